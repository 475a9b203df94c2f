"""Get-, New-, Set- and Remove-ReceiveConnector with Exchange's rules.

Sources: Microsoft's cmdlet docs (exchange/exchange-ps/ExchangePowerShell/
{Get,New,Set,Remove}-ReceiveConnector.md), the "Receive connectors" article
(usage type defaults), the E19 capture (shapes and defaults) and, for rules the
docs only hint at, the behaviour of Exchange's own tasks (parameter sets,
defaults per usage, the binding/remote range conflict rule, property checks).
"""
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any, Callable, Optional

from psrpcore.types import PSGuid, PSInt, PSObject, PSString

from exchange_lab import variants
from exchange_lab.exchange import connector_acl, errors, shapes
from exchange_lab.exchange.api import CmdletError, Command
from exchange_lab.exchange.binding import (
    CONFIRM, WHATIF, Param, as_bool, as_identity, as_int32, as_string, bind, multi_valued, name_pattern, switch,
)
from exchange_lab.exchange.context import Context, Outcome, Server
from exchange_lab.exchange.values import (
    TICKS_PER_SECOND, CertificateName, EnumSpec, IPBinding, ValueFormatError, format_byte_size,
    format_timespan, is_domain_with_subdomains, parse_binding, parse_byte_size, parse_certificate_name,
    parse_fqdn, parse_ip_range, parse_timespan, parse_unlimited,
)

CONNECTOR = shapes.RECEIVE_CONNECTOR_TYPE
_TASKS = errors.TASKS_NAMESPACE
_DATA_VALIDATION = "Microsoft.Exchange.Data.DataValidationException"
_INT_MAX = 2**31 - 1
_MVP = "Microsoft.Exchange.Data.MultiValuedProperty`1"
# New-ReceiveConnector.md, -Name: "The maximum length is 64 characters."
_MAX_NAME_LENGTH = 64
# GUESS: the remote IP entry limit ("between 1,200 and 1,300 entries" per
# Microsoft's troubleshooting article on AdminLimitExceededException).
_MAX_REMOTE_IP_ENTRIES = 1200


# --------------------------------------------------------------------------
# Settable properties: parameter, how to read the stored value, how to shape it
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    name: str
    param: Param
    read: Callable[[Any], Any]
    shape: Callable[[Any], Any]
    limits: Optional[tuple[int, int]] = None
    show: Callable[[Any], str] = str


def _prop(value: Any, name: str) -> Any:
    return shapes.property_value(value, name)


def _flag(name: str) -> Setting:
    return Setting(name, Param(name, as_bool, "System.Boolean"), bool, bool)


def _text(name: str) -> Setting:
    return Setting(name, Param(name, as_string), lambda v: "" if v is None else str(v),
                   lambda v: PSString("" if v is None else v))


def _int(name: str, low: int, high: int) -> Setting:
    return Setting(name, Param(name, as_int32, "System.Int32"), int, PSInt, (low, high))


def _unlimited(name: str, low: int, high: int) -> Setting:
    return Setting(name, Param(name, parse_unlimited, "Microsoft.Exchange.Data.Unlimited`1[System.Int32]"),
                   lambda v: None if _prop(v, "IsUnlimited") else int(_prop(v, "Value")), shapes.unlimited_int,
                   (low, high))


def _timespan(name: str, low_seconds: int, high_seconds: int) -> Setting:
    return Setting(name, Param(name, parse_timespan, "Microsoft.Exchange.Data.EnhancedTimeSpan"),
                   lambda v: int(_prop(v, "Ticks")), shapes.timespan,
                   (low_seconds * TICKS_PER_SECOND, high_seconds * TICKS_PER_SECOND), format_timespan)


def _size(name: str, low: int, high: int) -> Setting:
    return Setting(name, Param(name, parse_byte_size, "Microsoft.Exchange.Data.ByteQuantifiedSize"),
                   lambda v: parse_byte_size(str(v)), shapes.byte_size, (low, high), format_byte_size)


def _enum(name: str, spec: EnumSpec) -> Setting:
    return Setting(name, Param(name, spec.parse, spec.type_name), int, lambda v: shapes.enum_value(spec, v))


def _fqdn(name: str) -> Setting:
    return Setting(name, Param(name, lambda v: None if v is None else parse_fqdn(v), "Microsoft.Exchange.Data.Fqdn"),
                   lambda v: None if v is None else str(_prop(v, "Domain")), shapes.fqdn)


def _parse_capability(value: Any) -> tuple[str, str]:
    """SmtpReceiveDomainCapabilities "domain:Capability1,Capability2"."""
    domain, _, capabilities = str(value).partition(":")
    names = [c.strip() for c in capabilities.split(",") if c.strip()]
    # GUESS: capability names are only checked to be identifiers (the full enum isn't documented).
    if not names or not all(re.fullmatch(r"[A-Za-z]+", n) for n in names) or not (
            domain.upper() == "NO-TLS" or is_domain_with_subdomains(domain)):
        raise ValueFormatError(f"'{value}' isn't a valid domain capabilities value.")  # GUESS: wording
    return domain, ", ".join(names)


SETTINGS = [
    _enum("AuthMechanism", shapes.AUTH_MECHANISMS),
    _text("Banner"),
    _flag("BinaryMimeEnabled"),
    Setting("Bindings", Param("Bindings", multi_valued(parse_binding), f"{_MVP}[Microsoft.Exchange.Data.IPBinding]"),
            lambda v: [parse_binding(str(item)) for item in v], shapes.bindings),
    _flag("ChunkingEnabled"), _flag("DeliveryStatusNotificationEnabled"), _flag("EightBitMimeEnabled"),
    _flag("SmtpUtf8Enabled"), _flag("BareLinefeedRejectionEnabled"), _flag("DomainSecureEnabled"),
    _flag("EnhancedStatusCodesEnabled"), _flag("LongAddressesEnabled"), _flag("OrarEnabled"),
    _flag("SuppressXAnonymousTls"), _flag("ProxyEnabled"), _flag("AdvertiseClientSettings"),
    _fqdn("Fqdn"), _fqdn("ServiceDiscoveryFqdn"),
    Setting("TlsCertificateName",
            Param("TlsCertificateName", lambda v: None if v is None else parse_certificate_name(v),
                  "Microsoft.Exchange.Data.SmtpX509Identifier"),
            lambda v: None if v is None else CertificateName(
                None if _prop(v, "CertificateIssuer") is None else str(_prop(v, "CertificateIssuer")),
                str(_prop(v, "CertificateSubject")), str(_prop(v, "SubjectCommonName"))),
            shapes.certificate_name),
    _text("Comment"), _flag("Enabled"),
    # New-ReceiveConnector.md: ConnectionTimeout and ConnectionInactivityTimeout 00:00:01 to 1.00:00:00.
    _timespan("ConnectionTimeout", 1, 86400), _timespan("ConnectionInactivityTimeout", 1, 86400),
    _unlimited("MessageRateLimit", 1, _INT_MAX), _enum("MessageRateSource", shapes.MESSAGE_RATE_SOURCE),
    _unlimited("MaxInboundConnection", 1, _INT_MAX), _unlimited("MaxInboundConnectionPerSource", 1, 10000),
    _int("MaxInboundConnectionPercentagePerSource", 1, 100),
    _size("MaxHeaderSize", 1, _INT_MAX), _int("MaxHopCount", 1, 500), _int("MaxLocalHopCount", 0, 50),
    _int("MaxLogonFailures", 0, 10), _size("MaxMessageSize", 65536, _INT_MAX),
    _unlimited("MaxProtocolErrors", 0, _INT_MAX), _int("MaxRecipientsPerMessage", 1, 512000),
    _enum("PermissionGroups", shapes.PERMISSION_GROUPS), _flag("PipeliningEnabled"),
    _enum("ProtocolLoggingLevel", shapes.PROTOCOL_LOGGING_LEVEL),
    Setting("RemoteIPRanges",
            Param("RemoteIPRanges", multi_valued(parse_ip_range), f"{_MVP}[Microsoft.Exchange.Data.IPRange]"),
            lambda v: [parse_ip_range(str(item)) for item in v], shapes.ip_ranges),
    _flag("RequireEHLODomain"), _flag("RequireTLS"), _flag("EnableAuthGSSAPI"),
    _enum("ExtendedProtectionPolicy", shapes.EXTENDED_PROTECTION), _flag("LiveCredentialEnabled"),
    Setting("TlsDomainCapabilities",
            Param("TlsDomainCapabilities", multi_valued(_parse_capability),
                  f"{_MVP}[Microsoft.Exchange.Data.SmtpReceiveDomainCapabilities]"),
            lambda v: [(str(_prop(i, "Domain")), str(_prop(i, "Capabilities"))) for i in v],
            shapes.domain_capabilities),
    _enum("TransportRole", shapes.TRANSPORT_ROLE),
    _flag("RejectReservedTopLevelRecipientDomains"), _flag("RejectReservedSecondLevelRecipientDomains"),
    _flag("RejectSingleLabelRecipientDomains"), _enum("SizeEnabled", shapes.SIZE_MODE),
    # Set-ReceiveConnector.md: TarpitInterval "Setting ... more than a few seconds"; Exchange caps at 10 minutes.
    _timespan("TarpitInterval", 0, 600), _timespan("AuthTarpitInterval", 0, 600),  # GUESS: same cap for Auth
    _timespan("MaxAcknowledgementDelay", 0, 600),
]
SETTING = {s.name: s for s in SETTINGS}
_MULTI_VALUED = ("Bindings", "RemoteIPRanges", "TlsDomainCapabilities")
_ALWAYS_SET = ("AcceptConsumerMail",)  # in the capture, not a parameter

# Defaults of a new connector: the "Receive connectors" article and the cmdlet
# docs, checked against the E19 capture where a default connector shows them.
_MINUTE = 60 * TICKS_PER_SECOND
DEFAULTS: dict[str, Any] = {
    "Banner": "", "BinaryMimeEnabled": True, "ChunkingEnabled": True, "DeliveryStatusNotificationEnabled": True,
    "EightBitMimeEnabled": True,
    # GUESS: SmtpUtf8Enabled is $true on every Exchange 2019 connector of the capture.
    "SmtpUtf8Enabled": True,
    "BareLinefeedRejectionEnabled": False, "DomainSecureEnabled": False, "EnhancedStatusCodesEnabled": True,
    "LongAddressesEnabled": False, "OrarEnabled": False, "SuppressXAnonymousTls": False, "ProxyEnabled": False,
    "AdvertiseClientSettings": False, "ServiceDiscoveryFqdn": None, "TlsCertificateName": None, "Comment": "",
    "Enabled": True, "ConnectionTimeout": 10 * _MINUTE, "ConnectionInactivityTimeout": 5 * _MINUTE,
    "MessageRateLimit": None, "MessageRateSource": 1, "MaxInboundConnection": 5000,
    "MaxInboundConnectionPerSource": 20, "MaxInboundConnectionPercentagePerSource": 2,
    "MaxHeaderSize": 256 * 1024,
    # GUESS: 60 as on every captured connector (the docs say 30).
    "MaxHopCount": 60,
    # GUESS: 8 as the docs say (setup lowers its own connectors to 5, as captured).
    "MaxLocalHopCount": 8,
    "MaxLogonFailures": 3, "MaxMessageSize": 36 * 1024 * 1024, "MaxProtocolErrors": 5,
    "MaxRecipientsPerMessage": 200, "PipeliningEnabled": True, "ProtocolLoggingLevel": 0,
    "RemoteIPRanges": [parse_ip_range("0.0.0.0-255.255.255.255")], "Bindings": [parse_binding("0.0.0.0:25")],
    "RequireEHLODomain": False, "RequireTLS": False, "EnableAuthGSSAPI": False, "ExtendedProtectionPolicy": 0,
    "LiveCredentialEnabled": False, "TlsDomainCapabilities": [],
    # GUESS: a Mailbox server runs the Transport (Hub) service, so HubTransport is the default role.
    "TransportRole": 32,
    "RejectReservedTopLevelRecipientDomains": False, "RejectReservedSecondLevelRecipientDomains": False,
    "RejectSingleLabelRecipientDomains": False, "SizeEnabled": 1, "TarpitInterval": 5 * TICKS_PER_SECOND,
    "AuthTarpitInterval": 5 * TICKS_PER_SECOND, "MaxAcknowledgementDelay": 30 * TICKS_PER_SECOND,
}

# "Receive connectors" article, usage types table (and New-ReceiveConnector.md, the usage switches).
_TLS, _INTEGRATED, _BASIC, _BASIC_TLS, _EXCHANGE_SERVER = 1, 2, 4, 8, 16
USAGE_AUTH = {"Custom": _TLS, "Internet": _TLS, "Internal": _TLS | _EXCHANGE_SERVER,
              "Client": _TLS | _INTEGRATED | _BASIC | _BASIC_TLS, "Partner": _TLS}
USAGE_PERMISSIONS = {"Custom": 0, "Internet": 1, "Internal": 4 | 8, "Client": 2, "Partner": 16}
# Without a usage type Exchange gives the Mailbox server defaults (as "Default <server>" has).
NO_USAGE_AUTH = _TLS | _INTEGRATED | _BASIC | _BASIC_TLS | _EXCHANGE_SERVER
NO_USAGE_PERMISSIONS = 2 | 4 | 8
USAGE_TYPE = EnumSpec("Microsoft.Exchange.Management.SystemConfigurationTasks.NewReceiveConnector+UsageType", (
    ("Custom", 0), ("Internet", 1), ("Internal", 2), ("Client", 3), ("Partner", 4)))
_USAGE_SWITCHES = ("Custom", "Internet", "Internal", "Client", "Partner")
# New-ReceiveConnector.md, parameter sets: what each usage makes mandatory.
_MANDATORY = {"Custom": ("Bindings", "RemoteIPRanges"), "Internet": ("Bindings",),
              "Partner": ("Bindings", "RemoteIPRanges"), "Internal": ("RemoteIPRanges",),
              "Client": ("RemoteIPRanges",), "UsageType": ()}

_IDENTITY = Param("Identity", as_identity, "Microsoft.Exchange.Configuration.Tasks.ReceiveConnectorIdParameter",
                  position=0)
_DEFAULT_DOMAIN = Param("DefaultDomain", as_identity,
                        "Microsoft.Exchange.Configuration.Tasks.AcceptedDomainIdParameter")
_SERVER = Param("Server", as_identity, "Microsoft.Exchange.Configuration.Tasks.ServerIdParameter")
_SETTING_PARAMS = [s.param for s in SETTINGS] + [_DEFAULT_DOMAIN, CONFIRM, WHATIF]


# --------------------------------------------------------------------------
# Reading and finding connectors
# --------------------------------------------------------------------------
def read_state(connector: PSObject) -> dict[str, Any]:
    state = {s.name: s.read(shapes.property_value(connector, s.name)) for s in SETTINGS}
    state["DefaultDomain"] = shapes.property_value(connector, "DefaultDomain")
    state["Name"] = str(shapes.property_value(connector, "Name"))
    return state


def _server_name(connector: PSObject) -> str:
    return str(shapes.property_value(shapes.property_value(connector, "Server"), "Name"))


def _identity_text(connector: PSObject) -> str:
    return str(shapes.property_value(connector, "Identity"))


def find(ctx: Context, identity: str) -> list[PSObject]:
    """ReceiveConnectorIdParameter: GUID, distinguished name, "SERVER\\Name" or "Name" (wildcards allowed)."""
    connectors = ctx.store.of_type(CONNECTOR)
    text = identity.strip()
    try:
        wanted = uuid.UUID(text)
    except ValueError:
        wanted = None
    if wanted is not None:
        return [c for c in connectors if uuid.UUID(str(shapes.property_value(c, "Guid"))) == wanted]
    if text.lower().startswith("cn="):
        return [c for c in connectors if str(shapes.property_value(c, "DistinguishedName")).lower() == text.lower()]
    server_text, _, name = text.rpartition("\\")
    server = ctx.find_server(server_text) if server_text else None
    if server_text and server is None:
        return []
    pattern = name_pattern(name)
    return [c for c in connectors if pattern.match(str(shapes.property_value(c, "Name")))
            and (server is None or server.name.lower() == _server_name(c).lower())]


def _is_wildcard(identity: str) -> bool:
    return "*" in identity and not variants.is_active("literal-identities")


def _the_one(ctx: Context, cmdlet: str, identity: str) -> PSObject:
    matches = find(ctx, identity)
    if not matches:
        raise ctx.reporter.not_found(cmdlet, identity)
    if len(matches) > 1:
        raise ctx.reporter.ambiguous(cmdlet, identity)
    return matches[0]


def _identities(bound: dict[str, Any], inputs: Optional[list[Any]]) -> list[Optional[str]]:
    """What to process: -Identity, else each pipeline input (none: nothing), else no identity."""
    if "Identity" in bound:
        return [bound["Identity"]]
    if inputs is None:
        return [None]
    return [as_identity(item) for item in inputs]


# --------------------------------------------------------------------------
# Get-ReceiveConnector
# --------------------------------------------------------------------------
def get_receive_connector(ctx: Context, command: Command, inputs: Optional[list[Any]]) -> Outcome:
    cmdlet = "Get-ReceiveConnector"
    bound = bind(cmdlet, [_IDENTITY, _SERVER], command)
    if "Identity" in bound and "Server" in bound:
        # Get-ReceiveConnector.md: Identity and Server are different parameter sets.
        raise errors.ambiguous_parameter_set(cmdlet)
    outcome = Outcome()
    if inputs is not None and not inputs:
        return outcome  # downstream in a pipeline that delivered nothing: never processes a record
    if bound.get("Server") is not None:
        server = ctx.find_server(bound["Server"])
        if server is None:
            outcome.errors.append(ctx.reporter.not_found(cmdlet, bound["Server"]))
            return outcome
        outcome.output = [c for c in ctx.store.of_type(CONNECTOR) if _server_name(c).lower() == server.name.lower()]
        return outcome
    for identity in _identities(bound, inputs):
        if identity is None:
            # Get-ReceiveConnector.md: a $null Identity returns all objects.
            outcome.output.extend(ctx.store.of_type(CONNECTOR))
            continue
        matches = find(ctx, identity)
        if not matches and variants.is_active("identity-miss-returns-all"):
            # Get-ReceiveConnector.md (Caution): "a non-existent value for the Identity parameter returns
            # *all* objects as if you ran the Get- command without the Identity parameter".
            matches = ctx.store.of_type(CONNECTOR)
        # GUESS: a wildcard that matches nothing is no error (an empty result, as for other Get- cmdlets).
        elif not matches and not _is_wildcard(identity):
            outcome.errors.append(ctx.reporter.not_found(cmdlet, identity))
        outcome.output.extend(matches)
    return outcome


# --------------------------------------------------------------------------
# New-ReceiveConnector
# --------------------------------------------------------------------------
_NEW_PARAMS = [Param("Name", as_string, position=0, refuses_empty=True), _SERVER,
               Param("Usage", USAGE_TYPE.parse, USAGE_TYPE.type_name),
               *[switch(name) for name in _USAGE_SWITCHES],
               *_SETTING_PARAMS]


def new_receive_connector(ctx: Context, command: Command, inputs: Optional[list[Any]]) -> Outcome:
    cmdlet = "New-ReceiveConnector"
    bound = bind(cmdlet, _NEW_PARAMS, command)
    if inputs is not None and not inputs:
        return Outcome()  # downstream in a pipeline that delivered nothing: never processes a record
    usage, parameter_set = _usage(cmdlet, bound)
    missing = [name for name in ("Name", *_MANDATORY[parameter_set]) if name not in bound]
    if missing:
        raise errors.missing_mandatory(cmdlet, missing)
    for name in _MANDATORY[parameter_set]:
        if bound[name].replace == [] or (bound[name].replace is None and not bound[name].added):
            raise errors.null_not_allowed(cmdlet, name, "collection")
    _check_usage_parameters(ctx, cmdlet, usage, bound)
    name = bound["Name"]
    _check_name(ctx, cmdlet, name)
    server = _target_server(ctx, cmdlet, bound.get("Server"))
    state = _new_state(ctx, cmdlet, server, usage, bound)
    _validate(ctx, cmdlet, server, state, own_guid=None, modified=set(bound))
    if any(str(shapes.property_value(c, "Name")).lower() == name.lower() and _server_name(c) == server.name
           for c in ctx.store.of_type(CONNECTOR)):
        raise _already_exists(ctx, cmdlet, _connector_dn(name, server))
    if bound.get("WhatIf"):
        return Outcome()
    if _confirm_requested(bound):
        raise errors.confirmation_needed(cmdlet, "Creating Receive connector", name)  # GUESS: wording
    connector = _build_connector(ctx, server, state)
    ctx.store.add(connector)
    connector_acl.sync_permission_groups(ctx, connector)  # the usage type's permission groups write ACEs
    return Outcome(output=[connector], changed=True)


def _usage(cmdlet: str, bound: dict[str, Any]) -> tuple[Optional[str], str]:
    """The parameter set: one usage switch, -Usage, or none (the default "Custom" set)."""
    chosen = [name for name in _USAGE_SWITCHES if name in bound]
    if "Usage" in bound:
        chosen.append("Usage")
    if len(chosen) > 1:
        raise errors.ambiguous_parameter_set(cmdlet)
    if not chosen:
        return None, "Custom"
    if chosen[0] == "Usage":
        return USAGE_TYPE.format(bound["Usage"]), "UsageType"
    return chosen[0], chosen[0]


# New-ReceiveConnector.md, -Usage: "The following values for this parameter also require the Bindings parameter:
# Internet, Partner, Custom" and "... also require the RemoteIPRanges parameter: Client, Internal, Partner, Custom".
_USAGE_REQUIRES = {"Internet": ("Bindings",), "Internal": ("RemoteIPRanges",), "Client": ("RemoteIPRanges",),
                   "Partner": ("Bindings", "RemoteIPRanges"), "Custom": ("Bindings", "RemoteIPRanges")}
# GUESS: the exception names of Client and Partner follow those of Internet and Internal.
_USAGE_EXCEPTION = {"Internet": "ParameterErrorForInternetUsageException",
                    "Internal": "ParameterErrorForInternalUsageException",
                    "Client": "ParameterErrorForClientUsageException",
                    "Partner": "ParameterErrorForPartnerUsageException",
                    "Custom": "ParameterErrorForDefaultUsageException"}


def _check_usage_parameters(ctx: Context, cmdlet: str, usage: Optional[str], bound: dict[str, Any]) -> None:
    """With -Usage, Exchange itself demands what the usage switches make mandatory.

    The page contradicts itself on what a usage type forbids: -Bindings says "You can't use this parameter"
    with Client or Internal, -RemoteIPRanges "can't use this parameter with the Internet usage type", yet the
    syntax blocks of the Client, Internal and Internet parameter sets list them as optional. The lab follows the
    syntax blocks (accepted); variant usage-forbids-parameters plays the prose (refused).
    """
    needed = _USAGE_REQUIRES.get(usage, ())
    missing = [name for name in needed if name not in bound]
    if missing:
        # GUESS: wording.
        raise ctx.reporter.task_error(cmdlet, f"{_TASKS}.{_USAGE_EXCEPTION[usage]}",
                                      f"The {' and '.join(missing)} parameter{'s are' if len(missing) > 1 else ' is'} "
                                      f"required for the {usage} usage type.", "InvalidOperation")
    if variants.is_active("usage-forbids-parameters"):
        forbidden = [name for name in _USAGE_FORBIDS.get(usage, ()) if name in bound]
        if forbidden:
            raise ctx.reporter.task_error(cmdlet, f"{_TASKS}.ParameterErrorFor{usage}UsageException",  # GUESS
                                          f"The {forbidden[0]} parameter can't be used with the {usage} usage type.",
                                          "InvalidOperation")


# New-ReceiveConnector.md prose (variant usage-forbids-parameters): -Bindings "You can't use this parameter when
# you use ... Client ... Internal"; -RemoteIPRanges "You can't use this parameter with the Internet usage type".
_USAGE_FORBIDS = {"Client": ("Bindings",), "Internal": ("Bindings",), "Internet": ("RemoteIPRanges",)}


def _target_server(ctx: Context, cmdlet: str, requested: Optional[str]) -> Server:
    # New-ReceiveConnector.md, -Server: "If you don't use this parameter, the command is run on the local server."
    server = ctx.local_server if requested is None else ctx.find_server(requested)
    if server is None:
        # GUESS: Exchange's ErrorServerNotFound reads like the generic not-found error.
        raise ctx.reporter.not_found(cmdlet, requested or "localhost")
    return server


def _new_state(ctx: Context, cmdlet: str, server: Server, usage: Optional[str], bound: dict[str, Any]) -> dict:
    state = dict(DEFAULTS, Name=bound["Name"], Fqdn=server.fqdn, DefaultDomain=None)
    state["AuthMechanism"] = NO_USAGE_AUTH if usage is None else USAGE_AUTH[usage]
    state["PermissionGroups"] = NO_USAGE_PERMISSIONS if usage is None else USAGE_PERMISSIONS[usage]
    if usage == "Partner" and "AuthMechanism" not in bound:
        state["DomainSecureEnabled"] = True  # the Partner usage type is domain secure (mutual TLS)
    if usage == "Internal":
        state["SizeEnabled"] = 2  # EnabledWithoutValue, as on "Default <server>"
        state["MaxInboundConnectionPercentagePerSource"] = 100
    if usage == "Client" and "Bindings" not in bound:
        # New-ReceiveConnector.md, -Client: "the default value is 0.0.0.0:587".
        state["Bindings"] = [parse_binding("0.0.0.0:587")]
    _apply(ctx, cmdlet, state, bound)
    return state


def _apply(ctx: Context, cmdlet: str, state: dict[str, Any], bound: dict[str, Any]) -> None:
    """Apply bound parameters to ``state``; multi-valued ones replace or edit."""
    for name, value in bound.items():
        if name in _MULTI_VALUED:
            state[name] = value.apply(state[name])
        elif name in SETTING:
            setting = SETTING[name]
            if setting.limits and value is not None and not setting.limits[0] <= value <= setting.limits[1]:
                raise _out_of_range(ctx, cmdlet, setting, value)
            if setting.param.convert is parse_timespan and value % TICKS_PER_SECOND:
                raise _invalid(ctx, cmdlet, f"The {name} value must be a whole number of seconds.")  # GUESS
            state[name] = _as_stored(name, value)
        elif name == "DefaultDomain":
            state[name] = None if value is None else _accepted_domain(ctx, cmdlet, value)
        elif name == "Name":
            state[name] = value


def _as_stored(name: str, value: Any) -> Any:
    """The value as Exchange stores it.

    New-/Set-ReceiveConnector.md, -MaxHeaderSize: "small values might be rounded up to the nearest kilobyte".
    GUESS: "small" is under 1 KB, stored as 1024 bytes; variant max-header-size-exact keeps the bytes.
    """
    if name == "MaxHeaderSize" and value is not None and value < 1024 and not variants.is_active("max-header-size-exact"):
        return 1024
    return value


def _accepted_domain(ctx: Context, cmdlet: str, identity: str) -> PSObject:
    """AcceptedDomainIdParameter: name, domain name, distinguished name or GUID."""
    wanted = identity.lower()
    for domain in ctx.accepted_domains():
        keys = {str(shapes.property_value(domain, key)).lower() for key in
                ("Name", "DomainName", "DistinguishedName", "Guid")}
        if wanted in keys:
            return shapes.property_value(domain, "Identity")
    raise ctx.reporter.not_found(cmdlet, identity)


# --------------------------------------------------------------------------
# Set-ReceiveConnector
# --------------------------------------------------------------------------
_SET_PARAMS = [replace(_IDENTITY, refuses_empty=True), Param("Name", as_string), *_SETTING_PARAMS]


def set_receive_connector(ctx: Context, command: Command, inputs: Optional[list[Any]]) -> Outcome:
    cmdlet = "Set-ReceiveConnector"
    bound = bind(cmdlet, _SET_PARAMS, command)
    outcome = Outcome()
    for identity in _identities(bound, inputs):
        if identity is None:
            raise errors.missing_mandatory(cmdlet, ["Identity"])
        try:
            if _set_one(ctx, cmdlet, identity, bound, outcome):
                outcome.changed = True
        except CmdletError as failure:
            outcome.errors.append(failure)
    return outcome


def _set_one(ctx: Context, cmdlet: str, identity: str, bound: dict[str, Any], outcome: Outcome) -> bool:
    connector = _the_one(ctx, cmdlet, identity)
    server = ctx.find_server(_server_name(connector))
    before = read_state(connector)
    after = dict(before)
    _apply(ctx, cmdlet, after, bound)
    if "Name" in bound and not after["Name"]:
        raise _invalid(ctx, cmdlet, "The Name property can't be empty.")  # GUESS: wording
    if "Name" in bound:
        _check_name(ctx, cmdlet, after["Name"])
        if after["Name"].lower() != before["Name"].lower() and any(
                str(shapes.property_value(c, "Name")).lower() == after["Name"].lower()
                and _server_name(c) == server.name for c in ctx.store.of_type(CONNECTOR)):
            raise _already_exists(ctx, cmdlet, _connector_dn(after["Name"], server))
    own_guid = str(shapes.property_value(connector, "Guid"))
    _validate(ctx, cmdlet, server, after, own_guid, modified=set(bound))
    if bound.get("WhatIf"):
        return False
    if _confirm_requested(bound):
        raise errors.confirmation_needed(cmdlet, "Modifying Receive connector", identity)  # GUESS: wording
    changed = [name for name in after if not _same(name, before[name], after[name])]
    if not changed:
        # Exchange's warning for a Set that changes nothing.
        outcome.warnings.append(
            f"The command completed successfully but no settings of '{_identity_text(connector)}' have been "
            "modified.")
        return False
    _store_changes(ctx, connector, server, after, changed)
    return True


def _same(name: str, old: Any, new: Any) -> bool:
    if name in _MULTI_VALUED:
        # GUESS: a multi-valued property with the same values in another order is unchanged (AD keeps no order).
        return len(old) == len(new) and all(item in old for item in new)
    if name == "DefaultDomain":
        return _dn(old) == _dn(new)
    return old == new


def _dn(identity: Optional[PSObject]) -> Optional[str]:
    return None if identity is None else str(shapes.property_value(identity, "DistinguishedName")).lower()


def _store_changes(ctx: Context, connector: PSObject, server: Server, state: dict, changed: list[str]) -> None:
    for name in changed:
        if name in SETTING:
            shapes.set_property(connector, name, SETTING[name].shape(state[name]))
        elif name == "DefaultDomain":
            shapes.set_property(connector, name, state[name])
    if "Name" in changed:
        guid = uuid.UUID(str(shapes.property_value(connector, "Guid")))
        identity = _identity(ctx, server, state["Name"], guid, shapes.property_value(connector, "Identity"))
        for prop, value in (("Name", PSString(state["Name"])), ("Identity", identity), ("Id", identity),
                            ("DistinguishedName", PSString(_connector_dn(state["Name"], server)))):
            shapes.set_property(connector, prop, value)
        connector.PSObject.to_string = str(identity)
    local, utc = shapes.timestamps(ctx.clock())
    shapes.set_property(connector, "WhenChanged", local)
    shapes.set_property(connector, "WhenChangedUTC", utc)
    # GUESS: the captured binary SerializationData no longer matches a changed object.
    shapes.drop_extended(connector, "SerializationData")
    ctx.store.changed(connector)
    if "PermissionGroups" in changed:
        connector_acl.sync_permission_groups(ctx, connector)


# --------------------------------------------------------------------------
# Remove-ReceiveConnector
# --------------------------------------------------------------------------
def remove_receive_connector(ctx: Context, command: Command, inputs: Optional[list[Any]]) -> Outcome:
    cmdlet = "Remove-ReceiveConnector"
    bound = bind(cmdlet, [replace(_IDENTITY, refuses_empty=True), CONFIRM, WHATIF], command)
    outcome = Outcome()
    for identity in _identities(bound, inputs):
        if identity is None:
            raise errors.missing_mandatory(cmdlet, ["Identity"])
        try:
            connector = _the_one(ctx, cmdlet, identity)
            if bound.get("WhatIf"):
                continue
            # Remove-ReceiveConnector.md, -Confirm: destructive cmdlets pause unless -Confirm:$false.
            if bound.get("Confirm", True):
                raise errors.confirmation_needed(cmdlet, "Removing Receive connector",  # GUESS: wording
                                                 _identity_text(connector))
            ctx.store.remove(connector)
            connector_acl.forget(ctx, connector)
            outcome.changed = True
        except CmdletError as failure:
            outcome.errors.append(failure)
    return outcome


CMDLETS = {
    "get-receiveconnector": get_receive_connector,
    "new-receiveconnector": new_receive_connector,
    "set-receiveconnector": set_receive_connector,
    "remove-receiveconnector": remove_receive_connector,
}


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------
def _check_name(ctx: Context, cmdlet: str, name: str) -> None:
    if "\\" in name:
        # NewReceiveConnector.ValidataName refuses a backslash (it separates server and name).
        message = f"The value \"{name}\" of parameter Name contains invalid characters: " + "{ '\\' }."  # GUESS
        raise ctx.reporter.task_error(cmdlet, "System.ArgumentException", message, "InvalidArgument", name)
    if len(name) > _MAX_NAME_LENGTH:
        raise _invalid(ctx, cmdlet, f"The length of the property is too long. The maximum length is "
                                    f"{_MAX_NAME_LENGTH} and the length of the value provided is {len(name)}.")


def _validate(ctx: Context, cmdlet: str, server: Server, state: dict[str, Any], own_guid: Optional[str],
              modified: set[str]) -> None:
    """The checks of New-/Set-ReceiveConnector and of ReceiveConnector itself, in Exchange's order."""
    auth, groups = state["AuthMechanism"], state["PermissionGroups"]
    # New-/Set-ReceiveConnector.md, -PermissionGroups: Custom is one of the valid values ("When you use the
    # value Custom, you need to configure individual permissions by using the Add-ADPermission cmdlet").
    if "ChunkingEnabled" in modified and not state["ChunkingEnabled"] and state["BinaryMimeEnabled"]:
        # New-ReceiveConnector.md, -BinaryMimeEnabled: "requires that the ChunkingEnabled parameter is ... $true".
        raise _operation(ctx, cmdlet, "ChunkingEnabledSettingConflictException",
                         "ChunkingEnabled can't be $false while BinaryMimeEnabled is $true.")  # GUESS: wording
    if auth & _EXCHANGE_SERVER and (state["Fqdn"] or "").lower() not in (server.fqdn.lower(), server.name.lower()):
        raise _operation(ctx, cmdlet, "InvalidFqdnUnderExchangeServerAuthException",
                         "When the AuthMechanism parameter on a Receive connector includes ExchangeServer, the Fqdn "
                         f"parameter must be the FQDN of the server \"{server.fqdn}\" or its name "
                         f"\"{server.name}\".")  # GUESS: wording
    _validate_properties(ctx, cmdlet, state)
    if state["AdvertiseClientSettings"] and not groups & 2:
        raise _operation(ctx, cmdlet, "AdvertiseClientSettingsWithoutExchangeUsersPermissionGroupsException",
                         "AdvertiseClientSettings requires the ExchangeUsers permission group.")  # GUESS: wording
    if "TlsCertificateName" in modified and state["TlsCertificateName"] is not None:
        _check_certificate(ctx, cmdlet, server, state["TlsCertificateName"])
    _check_mapping(ctx, cmdlet, server, state, own_guid)


def _validate_properties(ctx: Context, cmdlet: str, state: dict[str, Any]) -> None:
    """ReceiveConnector's own write validation; New-/Set-ReceiveConnector.md list the AuthMechanism rules."""
    auth = state["AuthMechanism"]
    tls, basic, basic_tls = auth & _TLS, auth & _BASIC, auth & _BASIC_TLS
    external = auth & 32
    for name in ("Bindings", "RemoteIPRanges"):
        if not state[name]:
            raise _invalid(ctx, cmdlet, f"The {name} property can't be empty.")  # GUESS: wording
    if len(state["RemoteIPRanges"]) > _MAX_REMOTE_IP_ENTRIES:
        raise ctx.reporter.task_error(cmdlet, "Microsoft.Exchange.Data.Directory.AdminLimitExceededException",
                                      "The administrative limit for this request was exceeded.")
    rules = [
        (any(_multicast_or_broadcast(b) for b in state["Bindings"]),
         "A binding can't use a multicast or broadcast address."),
        (state["Banner"] and not re.fullmatch(r"220(?: [^\r\n]*)?", state["Banner"]),
         "The banner must start with the SMTP response code 220."),
        (basic_tls and not tls, "The BasicAuthRequireTLS authentication mechanism requires Tls."),
        (basic_tls and not basic, "The BasicAuthRequireTLS authentication mechanism requires BasicAuth."),
        (state["RequireTLS"] and not tls, "RequireTLS requires the Tls authentication mechanism."),
        (external and auth & (_BASIC | _BASIC_TLS | _EXCHANGE_SERVER | _INTEGRATED),
         "ExternalAuthoritative can only be combined with Tls."),
        (state["LiveCredentialEnabled"] and not (basic or basic_tls),
         "LiveCredentialEnabled requires BasicAuth or BasicAuthRequireTLS."),
        # New-ReceiveConnector.md, -ConnectionInactivityTimeout: "must be less than the value of the
        # ConnectionTimeout parameter" (and -ConnectionTimeout: "must be greater than"): equal is refused.
        (state["ConnectionInactivityTimeout"] >= state["ConnectionTimeout"],
         "ConnectionTimeout must be greater than ConnectionInactivityTimeout."),
        (state["DomainSecureEnabled"] and not tls, "DomainSecureEnabled requires the Tls authentication mechanism."),
        (state["DomainSecureEnabled"] and external, "DomainSecureEnabled can't be used with ExternalAuthoritative."),
        (external and not state["PermissionGroups"] & 4,
         "ExternalAuthoritative requires the ExchangeServers permission group."),
        (state["ExtendedProtectionPolicy"] and not state["RequireTLS"],
         "ExtendedProtectionPolicy requires RequireTLS to be $true."),
        (len({d.lower() for d, _ in state["TlsDomainCapabilities"]}) < len(state["TlsDomainCapabilities"]),
         "A domain can appear only once in TlsDomainCapabilities."),
    ]
    for broken, message in rules:
        if broken:
            raise _invalid(ctx, cmdlet, message)  # GUESS: DirectoryStrings wording of each rule


def _multicast_or_broadcast(binding: IPBinding) -> bool:
    value = binding.address.value
    if binding.address.is_v4:
        return value >> 28 == 0xE or value == 0xFFFFFFFF
    return value >> 120 == 0xFF


def _check_certificate(ctx: Context, cmdlet: str, server: Server, name: CertificateName) -> None:
    """EXCHANGE.md: the server checks that a certificate with that issuer and subject exists."""
    if any(name.matches(cert.issuer, cert.subject) for cert in ctx.certificates(server)):
        return
    raise ctx.reporter.task_error(  # GUESS: exception type and wording
        cmdlet, f"{_TASKS}.TlsCertificateNameNotFoundException",
        f"The certificate specified by TlsCertificateName \"{name}\" wasn't found on server \"{server.name}\". "
        "Use Get-ExchangeCertificate to find the Issuer and Subject of an installed certificate.", "ObjectNotFound")


def _check_mapping(ctx: Context, cmdlet: str, server: Server, state: dict[str, Any], own_guid: Optional[str]) -> None:
    """Each (binding, remote range) must be unique per server and transport service.

    Set-ReceiveConnector.md, -Bindings: a binding used by another connector is
    allowed only with different remote ranges; -RemoteIPRanges: ranges may
    overlap only when one contains the other. Connectors of different
    transport roles may not share a binding at all (ReceiveConnectorRoleConflict).
    """
    for other in ctx.store.of_type(CONNECTOR):
        if _server_name(other) != server.name or str(shapes.property_value(other, "Guid")) == own_guid:
            continue
        theirs = read_state(other)
        exact = any(mine == their for mine in state["Bindings"] for their in theirs["Bindings"])
        shared = exact or any(_same_wildcard_port(mine, their)
                              for mine in state["Bindings"] for their in theirs["Bindings"])
        if not shared:
            continue
        name = _identity_text(other)
        if theirs["TransportRole"] != state["TransportRole"]:
            raise _operation(ctx, cmdlet, "ReceiveConnectorRoleConflictException",
                             f"The values that you specified for the Bindings and RemoteIPRanges parameters conflict "
                             f"with the settings on Receive connector \"{name}\". Receive connectors assigned to "
                             "different Transport roles on a single server must listen on unique local IP address "
                             "& port bindings.")
        clash = any((exact and mine == their) or mine.partially_overlaps(their)
                    for mine in state["RemoteIPRanges"] for their in theirs["RemoteIPRanges"])
        if clash:
            raise _operation(ctx, cmdlet, "ConnectorMappingConflictException",
                             f"The values that you specified for the Bindings and RemoteIPRanges parameters conflict "
                             f"with the settings on Receive connector \"{name}\". A Receive connector must have a "
                             "unique combination of a local IP address & port bindings and remote IP address "
                             "ranges. Change at least one of these values.")  # GUESS: second sentence


def _same_wildcard_port(mine: IPBinding, their: IPBinding) -> bool:
    return (mine.address.family == their.address.family and mine.port == their.port
            and (mine.is_any or their.is_any))


# --------------------------------------------------------------------------
# Building connectors
# --------------------------------------------------------------------------
def _connector_dn(name: str, server: Server) -> str:
    return f"CN={shapes.escape_rdn_value(name)},CN=SMTP Receive Connectors,CN=Protocols,{server.distinguished_name}"


def _identity(ctx: Context, server: Server, name: str, guid: uuid.UUID, like: Optional[PSObject]) -> PSObject:
    template = like if like is not None else shapes.property_value(_template(ctx), "Identity")
    partition = uuid.UUID(str(shapes.property_value(template, "PartitionGuid")))
    return shapes.ad_object_id(_connector_dn(name, server), f"{server.name}\\{name}", "SMTP Receive Connectors",
                               server.domain_id, partition, guid)


def _template(ctx: Context) -> PSObject:
    """A captured connector to borrow organisation-wide values from (version, category, organisation)."""
    return ctx.store.of_type(CONNECTOR)[0]


def _build_connector(ctx: Context, server: Server, state: dict[str, Any]) -> PSObject:
    template = _template(ctx)
    guid = uuid.uuid4()
    identity = _identity(ctx, server, state["Name"], guid, None)
    local, utc = shapes.timestamps(ctx.clock())
    values = {s.name: s.shape(state[s.name]) for s in SETTINGS}
    values.update({
        "DefaultDomain": state["DefaultDomain"], "Server": server.identity, "AcceptConsumerMail": False,
        "AdminDisplayName": PSString(""), "Name": PSString(state["Name"]),
        "DistinguishedName": PSString(_connector_dn(state["Name"], server)), "Identity": identity, "Id": identity,
        "Guid": PSGuid(str(guid)), "ObjectClass": shapes.string_list(["top", "msExchSmtpReceiveConnector"]),
        "WhenChanged": local, "WhenCreated": local, "WhenChangedUTC": utc, "WhenCreatedUTC": utc,
        "OriginatingServer": PSString(ctx.reporter.domain_controller), "IsValid": True,
        "ObjectState": shapes.enum_value(shapes.OBJECT_STATE, 1),
    })
    for borrowed in ("ExchangeVersion", "ObjectCategory", "OrganizationId"):
        values[borrowed] = shapes.property_value(template, borrowed)
    return shapes.receive_connector(values)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------
def _confirm_requested(bound: dict[str, Any]) -> bool:
    """New-/Set- pause only when -Confirm is given without $false (New-ReceiveConnector.md, -Confirm)."""
    return bool(bound.get("Confirm", False))


def _operation(ctx: Context, cmdlet: str, exception: str, message: str) -> CmdletError:
    return ctx.reporter.task_error(cmdlet, f"{_TASKS}.{exception}", message, "InvalidOperation")


def _invalid(ctx: Context, cmdlet: str, message: str) -> CmdletError:
    # GUESS: property validation surfaces as DataValidationException, category NotSpecified.
    return ctx.reporter.task_error(cmdlet, _DATA_VALIDATION, message)


def _out_of_range(ctx: Context, cmdlet: str, setting: Setting, value: Any) -> CmdletError:
    low, high = setting.limits
    return _invalid(ctx, cmdlet, f"The value of {setting.name} must be between {setting.show(low)} and "
                                 f"{setting.show(high)}. The value provided is {setting.show(value)}.")  # GUESS


def _already_exists(ctx: Context, cmdlet: str, dn: str) -> CmdletError:
    # AD refuses a second object with the same name under the server's connector container.
    return ctx.reporter.task_error(
        cmdlet, "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
        f"Active Directory operation failed on {ctx.reporter.domain_controller}. The object '{dn}' already "
        "exists.")
