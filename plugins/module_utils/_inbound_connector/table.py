# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The properties of an Exchange Online inbound connector that the collection reads and manages.

One row per option, as in _receive_connector/table.py: the module option, the property as
Get-InboundConnector returns it (also the parameter name of New-/Set-InboundConnector), its value
kind, and whether New-InboundConnector / Set-InboundConnector accept it (all rows here: both).

Source: Microsoft's New-InboundConnector.md and Set-InboundConnector.md
(MicrosoftDocs/office-docs-powershell, exchange/exchange-ps/ExchangePowerShell/). Only the
settings a relay or partner connector needs are here. Left out on purpose: ConnectorSource ("We
recommended that you don't change this value"), ClientHostNames (undocumented), the Enhanced
Filtering settings (EFSkipIPs, EFSkipLastIP, EFUsers; not relay settings), TrustedOrganizations
(tenant-to-tenant mail only) and the parameters "reserved for internal Microsoft use".
"""
from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._common.engine import Row
from ansible_collections.mailflow.exchange.plugins.module_utils._values.addresses import SENDER_IP_ADDRESSES
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import (
    SENDER_DOMAINS,
    SmtpDomain,
    SmtpDomains,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.scalars import BOOL, STRING, EnumKind, String


CONNECTOR_TYPES = ("OnPremises", "Partner")

ROWS = (
    # GUESS: 64 characters at most, the AD common-name limit the on-premises connectors document.
    Row("name", "Name", String(max_length=64)),
    Row("connector_type", "ConnectorType", EnumKind(CONNECTOR_TYPES)),
    Row("enabled", "Enabled", BOOL),
    Row("comment", "Comment", STRING),

    # Which mail the connector takes: sender domains, and how their servers are recognised.
    Row("sender_domains", "SenderDomains", SENDER_DOMAINS),
    Row("sender_ip_addresses", "SenderIPAddresses", SENDER_IP_ADDRESSES),
    Row("tls_sender_certificate_name", "TlsSenderCertificateName", SmtpDomain(wildcard=True)),
    Row("require_tls", "RequireTls", BOOL),
    Row("restrict_domains_to_ip_addresses", "RestrictDomainsToIPAddresses", BOOL),
    Row("restrict_domains_to_certificate", "RestrictDomainsToCertificate", BOOL),
    # "A valid value is an SMTP domain that's configured as an accepted domain".
    Row("associated_accepted_domains", "AssociatedAcceptedDomains", SmtpDomains(wildcard=True)),

    # How the mail is treated once accepted.
    Row("cloud_services_mail_enabled", "CloudServicesMailEnabled", BOOL),
    Row("treat_messages_as_internal", "TreatMessagesAsInternal", BOOL),
)

# The table kind.values_from_properties reads a connector with: {option: (property, kind)}.
READ_TABLE = {row.option: (row.property, row.kind) for row in ROWS}

# Values a new connector gets for options left unset, for checking the rules before New- runs.
# New-InboundConnector.md documents False for TreatMessagesAsInternal, RestrictDomainsToIPAddresses
# and RestrictDomainsToCertificate, and True for Enabled; unset lists and names are empty.
# GUESS: CloudServicesMailEnabled is False unless the Hybrid Configuration Wizard sets it.
NEW_CONNECTOR_DEFAULTS = {
    "enabled": True,
    "sender_ip_addresses": [],
    "tls_sender_certificate_name": None,
    "restrict_domains_to_ip_addresses": False,
    "restrict_domains_to_certificate": False,
    "associated_accepted_domains": [],
    "cloud_services_mail_enabled": False,
    "treat_messages_as_internal": False,
}

# What New-InboundConnector needs besides the name (SenderDomains is mandatory in its syntax;
# ConnectorType because its unset default is not documented and decides the relay rights).
REQUIRED_ON_CREATE = ("connector_type", "sender_domains")
