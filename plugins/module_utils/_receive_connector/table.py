# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The properties of an on-premises receive connector that the collection reads and manages.

One row per option: the module option (snake_case of the Exchange property), the property as
Get-ReceiveConnector returns it (and the parameter name of New-/Set-ReceiveConnector, which is
the same), its value kind, and whether New-ReceiveConnector / Set-ReceiveConnector accept it.

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
from ansible_collections.mailflow.exchange.plugins.module_utils._values.canonical import (
    BINDINGS,
    BOOL,
    ENUM,
    FLAGS,
    FQDN,
    IDENTITY,
    IP_RANGES,
    SERVER,
    STRING,
    TIMESPAN,
    TLS_CERTIFICATE_NAME,
    ByteSize,
    Int,
    String,
    TimeSpan,
    UnlimitedInt,
)


# Flag names in bit order, as the docs list them (AuthMechanism, PermissionGroups).
AUTH_MECHANISMS = ("None", "Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer",
                   "ExternalAuthoritative")
PERMISSION_GROUPS = ("None", "AnonymousUsers", "ExchangeUsers", "ExchangeServers", "ExchangeLegacyServers",
                     "Partners", "Custom")

_INT32_MAX = 2147483647
_ONE_DAY = 86400

ROWS = (
    # Identity: the name is unique per server, "The maximum length is 64 characters."
    Row("name", "Name", String(max_length=64), True, True),
    Row("server", "Server", SERVER, True, False),
    Row("identity", "Identity", IDENTITY, False, False),
    Row("transport_role", "TransportRole", ENUM(("FrontendTransport", "HubTransport")), True, True),

    # Who may connect, and how.
    Row("bindings", "Bindings", BINDINGS, True, True),
    Row("remote_ip_ranges", "RemoteIPRanges", IP_RANGES, True, True),
    Row("permission_groups", "PermissionGroups", FLAGS(PERMISSION_GROUPS), True, True),
    Row("auth_mechanism", "AuthMechanism", FLAGS(AUTH_MECHANISMS), True, True),
    Row("require_tls", "RequireTLS", BOOL, True, True),
    Row("domain_secure_enabled", "DomainSecureEnabled", BOOL, True, True),
    Row("enable_auth_gssapi", "EnableAuthGSSAPI", BOOL, True, True),
    Row("extended_protection_policy", "ExtendedProtectionPolicy", ENUM(("None", "Allow", "Require")), True, True),
    Row("fqdn", "Fqdn", FQDN, True, True),
    Row("tls_certificate_name", "TlsCertificateName", TLS_CERTIFICATE_NAME, True, True),
    Row("enabled", "Enabled", BOOL, True, True),
    Row("banner", "Banner", STRING, True, True),
    Row("comment", "Comment", STRING, True, True),
    # GUESS: Exchange prints DefaultDomain as the accepted domain's name, so the option compares
    # against that name (AcceptedDomainIdParameter also accepts a DN or GUID, which would not).
    Row("default_domain", "DefaultDomain", STRING, True, True),

    # Limits (ranges from the parameter descriptions).
    Row("max_message_size", "MaxMessageSize", ByteSize(minimum=65536, maximum=_INT32_MAX), True, True),
    Row("max_header_size", "MaxHeaderSize", ByteSize(minimum=1, maximum=_INT32_MAX), True, True),
    Row("max_recipients_per_message", "MaxRecipientsPerMessage", Int(1, 512000), True, True),
    Row("message_rate_limit", "MessageRateLimit", UnlimitedInt(1, _INT32_MAX), True, True),
    Row("message_rate_source", "MessageRateSource", ENUM(("None", "IPAddress", "User", "All")), True, True),
    Row("max_inbound_connection", "MaxInboundConnection", UnlimitedInt(1, _INT32_MAX), True, True),
    Row("max_inbound_connection_per_source", "MaxInboundConnectionPerSource", UnlimitedInt(1, 10000), True, True),
    Row("max_inbound_connection_percentage_per_source", "MaxInboundConnectionPercentagePerSource",
        Int(1, 100), True, True),
    Row("max_hop_count", "MaxHopCount", Int(1, 500), True, True),
    Row("max_local_hop_count", "MaxLocalHopCount", Int(0, 50), True, True),
    Row("max_logon_failures", "MaxLogonFailures", Int(0, 10), True, True),
    Row("max_protocol_errors", "MaxProtocolErrors", UnlimitedInt(0, _INT32_MAX), True, True),
    Row("connection_timeout", "ConnectionTimeout", TimeSpan(1, _ONE_DAY), True, True),
    Row("connection_inactivity_timeout", "ConnectionInactivityTimeout", TimeSpan(1, _ONE_DAY), True, True),
    Row("tarpit_interval", "TarpitInterval", TIMESPAN, True, True),
    # Exchange 2016 and later only: older servers lack the property.
    Row("auth_tarpit_interval", "AuthTarpitInterval", TIMESPAN, True, True),

    # SMTP protocol behaviour.
    Row("require_ehlo_domain", "RequireEHLODomain", BOOL, True, True),
    Row("protocol_logging_level", "ProtocolLoggingLevel", ENUM(("None", "Verbose")), True, True),
    # The docs spell the value "EnabledwithoutValue"; Exchange prints "EnabledWithoutValue".
    Row("size_enabled", "SizeEnabled", ENUM(("Enabled", "Disabled", "EnabledWithoutValue")), True, True),
    Row("chunking_enabled", "ChunkingEnabled", BOOL, True, True),
    Row("pipelining_enabled", "PipeliningEnabled", BOOL, True, True),
    Row("binary_mime_enabled", "BinaryMimeEnabled", BOOL, True, True),
    Row("eight_bit_mime_enabled", "EightBitMimeEnabled", BOOL, True, True),
    Row("enhanced_status_codes_enabled", "EnhancedStatusCodesEnabled", BOOL, True, True),
    Row("delivery_status_notification_enabled", "DeliveryStatusNotificationEnabled", BOOL, True, True),
    # Set-ReceiveConnector only; "reserved for internal Microsoft use".
    Row("smtp_utf8_enabled", "SmtpUtf8Enabled", BOOL, False, True),
    Row("long_addresses_enabled", "LongAddressesEnabled", BOOL, True, True),
    Row("orar_enabled", "OrarEnabled", BOOL, True, True),
    Row("suppress_x_anonymous_tls", "SuppressXAnonymousTls", BOOL, True, True),
    Row("advertise_client_settings", "AdvertiseClientSettings", BOOL, True, True),
    # Set-ReceiveConnector only (absent from New-ReceiveConnector's syntax).
    Row("bare_linefeed_rejection_enabled", "BareLinefeedRejectionEnabled", BOOL, False, True),
    Row("reject_reserved_top_level_recipient_domains", "RejectReservedTopLevelRecipientDomains", BOOL, True, True),
    Row("reject_reserved_second_level_recipient_domains", "RejectReservedSecondLevelRecipientDomains", BOOL,
        True, True),
    Row("reject_single_label_recipient_domains", "RejectSingleLabelRecipientDomains", BOOL, True, True),
)

ROW_BY_OPTION = {row.option: row for row in ROWS}

# The table clixml.object_to_values reads a connector with: {option: (property, kind)}.
READ_TABLE = {row.option: (row.property, row.kind) for row in ROWS}
