# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The properties of an on-premises receive connector that the collection reads and manages.

One row per option: the module option (snake_case of the Exchange property), the property as
Get-ReceiveConnector returns it (and the parameter name of New-/Set-ReceiveConnector, which is
the same), its value kind, and whether New-ReceiveConnector / Set-ReceiveConnector accept it (both do
unless the row says otherwise).

Sources: the properties of the E19 Get-ReceiveConnector capture (tests/unit/data), and for
types, ranges and which cmdlet takes what, Microsoft's New-ReceiveConnector.md and
Set-ReceiveConnector.md (MicrosoftDocs/office-docs-powershell,
exchange/exchange-ps/ExchangePowerShell/). Left out on purpose: properties no cmdlet sets
(ProxyEnabled, LiveCredentialEnabled, AcceptConsumerMail), MaxAcknowledgementDelay ("isn't used
by Exchange Server 2016"), ServiceDiscoveryFqdn and TlsDomainCapabilities (hybrid plumbing, not
relay settings).
"""
from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._common.engine import Row
from ansible_collections.mailflow.exchange.plugins.module_utils._values.addresses import BINDINGS, IP_RANGES
from ansible_collections.mailflow.exchange.plugins.module_utils._values.names import FQDN, IDENTITY, SERVER
from ansible_collections.mailflow.exchange.plugins.module_utils._values.scalars import (
    BOOL,
    STRING,
    EnumKind,
    FlagsKind,
    Int,
    String,
    UnlimitedInt,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.sizes_and_times import (
    TIMESPAN,
    ByteSize,
    TimeSpan,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.tls_certificate_name import TLS_CERTIFICATE_NAME


# Flag names in bit order, as the docs list them (AuthMechanism, PermissionGroups).
AUTH_MECHANISMS = ("None", "Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer",
                   "ExternalAuthoritative")
PERMISSION_GROUPS = ("None", "AnonymousUsers", "ExchangeUsers", "ExchangeServers", "ExchangeLegacyServers",
                     "Partners", "Custom")

_INT32_MAX = 2147483647
_ONE_DAY = 86400

ROWS = (
    # Identity: the name is unique per server, "The maximum length is 64 characters."
    Row("name", "Name", String(max_length=64)),
    Row("server", "Server", SERVER, settable_on_set=False),
    Row("identity", "Identity", IDENTITY, settable_on_new=False, settable_on_set=False),
    Row("transport_role", "TransportRole", EnumKind(("FrontendTransport", "HubTransport"))),

    # Who may connect, and how.
    Row("bindings", "Bindings", BINDINGS),
    Row("remote_ip_ranges", "RemoteIPRanges", IP_RANGES),
    Row("permission_groups", "PermissionGroups", FlagsKind(PERMISSION_GROUPS)),
    Row("auth_mechanism", "AuthMechanism", FlagsKind(AUTH_MECHANISMS)),
    Row("require_tls", "RequireTLS", BOOL),
    Row("domain_secure_enabled", "DomainSecureEnabled", BOOL),
    Row("enable_auth_gssapi", "EnableAuthGSSAPI", BOOL),
    Row("extended_protection_policy", "ExtendedProtectionPolicy", EnumKind(("None", "Allow", "Require"))),
    Row("fqdn", "Fqdn", FQDN),
    Row("tls_certificate_name", "TlsCertificateName", TLS_CERTIFICATE_NAME),
    Row("enabled", "Enabled", BOOL),
    Row("banner", "Banner", STRING),
    Row("comment", "Comment", STRING),
    # GUESS: Exchange prints DefaultDomain as the accepted domain's name, so the option compares
    # against that name (AcceptedDomainIdParameter also accepts a DN or GUID, which would not).
    Row("default_domain", "DefaultDomain", STRING),

    # Limits (ranges from the parameter descriptions).
    Row("max_message_size", "MaxMessageSize", ByteSize(minimum=65536, maximum=_INT32_MAX)),
    Row("max_header_size", "MaxHeaderSize", ByteSize(minimum=1, maximum=_INT32_MAX)),
    Row("max_recipients_per_message", "MaxRecipientsPerMessage", Int(1, 512000)),
    Row("message_rate_limit", "MessageRateLimit", UnlimitedInt(1, _INT32_MAX)),
    Row("message_rate_source", "MessageRateSource", EnumKind(("None", "IPAddress", "User", "All"))),
    Row("max_inbound_connection", "MaxInboundConnection", UnlimitedInt(1, _INT32_MAX)),
    Row("max_inbound_connection_per_source", "MaxInboundConnectionPerSource", UnlimitedInt(1, 10000)),
    Row("max_inbound_connection_percentage_per_source", "MaxInboundConnectionPercentagePerSource",
        Int(1, 100)),
    Row("max_hop_count", "MaxHopCount", Int(1, 500)),
    Row("max_local_hop_count", "MaxLocalHopCount", Int(0, 50)),
    Row("max_logon_failures", "MaxLogonFailures", Int(0, 10)),
    Row("max_protocol_errors", "MaxProtocolErrors", UnlimitedInt(0, _INT32_MAX)),
    Row("connection_timeout", "ConnectionTimeout", TimeSpan(1, _ONE_DAY)),
    Row("connection_inactivity_timeout", "ConnectionInactivityTimeout", TimeSpan(1, _ONE_DAY)),
    Row("tarpit_interval", "TarpitInterval", TIMESPAN),
    # Exchange 2016 and later only: older servers lack the property.
    Row("auth_tarpit_interval", "AuthTarpitInterval", TIMESPAN),

    # SMTP protocol behaviour.
    Row("require_ehlo_domain", "RequireEHLODomain", BOOL),
    Row("protocol_logging_level", "ProtocolLoggingLevel", EnumKind(("None", "Verbose"))),
    # The docs spell the value "EnabledwithoutValue"; Exchange prints "EnabledWithoutValue".
    Row("size_enabled", "SizeEnabled", EnumKind(("Enabled", "Disabled", "EnabledWithoutValue"))),
    Row("chunking_enabled", "ChunkingEnabled", BOOL),
    Row("pipelining_enabled", "PipeliningEnabled", BOOL),
    Row("binary_mime_enabled", "BinaryMimeEnabled", BOOL),
    Row("eight_bit_mime_enabled", "EightBitMimeEnabled", BOOL),
    Row("enhanced_status_codes_enabled", "EnhancedStatusCodesEnabled", BOOL),
    Row("delivery_status_notification_enabled", "DeliveryStatusNotificationEnabled", BOOL),
    # Set-ReceiveConnector only; "reserved for internal Microsoft use".
    Row("smtp_utf8_enabled", "SmtpUtf8Enabled", BOOL, settable_on_new=False),
    Row("long_addresses_enabled", "LongAddressesEnabled", BOOL),
    Row("orar_enabled", "OrarEnabled", BOOL),
    Row("suppress_x_anonymous_tls", "SuppressXAnonymousTls", BOOL),
    Row("advertise_client_settings", "AdvertiseClientSettings", BOOL),
    # Set-ReceiveConnector only (absent from New-ReceiveConnector's syntax).
    Row("bare_linefeed_rejection_enabled", "BareLinefeedRejectionEnabled", BOOL, settable_on_new=False),
    Row("reject_reserved_top_level_recipient_domains", "RejectReservedTopLevelRecipientDomains", BOOL),
    Row("reject_reserved_second_level_recipient_domains", "RejectReservedSecondLevelRecipientDomains", BOOL),
    Row("reject_single_label_recipient_domains", "RejectSingleLabelRecipientDomains", BOOL),
)

# The table psobject.object_to_values reads a connector with: {option: (property, kind)}.
READ_TABLE = {row.option: (row.property, row.kind) for row in ROWS}
