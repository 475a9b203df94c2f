"""psrpcore objects in exactly the shapes a real Exchange server sends.

Type names, property names, property order and value kinds follow
data/E19-GetReceiveConnector.xml. The .NET serializer also attaches
"SerializationData" (a BinaryFormatter blob) to Exchange types; the lab cannot
produce those faithfully, so objects built here carry none (see new_object).

Enums are psrpcore enum classes built from an ``EnumSpec`` so they serialize as
<Obj><TN/><ToString/><I32/></Obj> like the capture. They are not registered for
rehydration: a lab process that also runs a pypsrp client must keep seeing
"Deserialized." objects exactly as it would from a real server.
"""
import functools
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable, Optional

from psrpcore.types import (
    PSDateTime, PSDouble, PSEnumBase, PSFlagBase, PSGuid, PSInt, PSInt64, PSList, PSNoteProperty, PSObject,
    PSString, PSType,
)
from psrpcore.types._enum import PSEnumMeta
from psrpcore.types._serializer import _deserialize_string, _serialize_string

from exchange_lab.exchange.values import (
    CertificateName, EnumSpec, IPBinding, IPRange, NetAddress, TICKS_PER_SECOND, format_byte_size, format_ipvx,
    format_timespan, format_unlimited,
)

_DATA = "Microsoft.Exchange.Data"
_SYSCONF = "Microsoft.Exchange.Data.Directory.SystemConfiguration"
_DATA_ASSEMBLY = "Microsoft.Exchange.Data, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35"
_MSCORLIB = "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"

RECEIVE_CONNECTOR_TYPE = f"{_SYSCONF}.ReceiveConnector"
RECEIVE_CONNECTOR_TYPE_NAMES = [
    RECEIVE_CONNECTOR_TYPE, f"{_SYSCONF}.ADConfigurationObject", "Microsoft.Exchange.Data.Directory.ADObject",
    "Microsoft.Exchange.Data.Directory.ADRawEntry", f"{_DATA}.ConfigurableObject", "System.Object",
]

# --------------------------------------------------------------------------
# Enums: numeric values from the capture where shown (AuthMechanism 31/15,
# PermissionGroups 14/13/6/4/2, ServerRole 32/16384, SizeMode 1/2, ...) and
# from the .NET enum definitions of Microsoft.Exchange.Data(.Directory).
# --------------------------------------------------------------------------
AUTH_MECHANISMS = EnumSpec(f"{_SYSCONF}.AuthMechanisms", (
    ("None", 0), ("Tls", 1), ("Integrated", 2), ("BasicAuth", 4), ("BasicAuthRequireTLS", 8),
    ("ExchangeServer", 16), ("ExternalAuthoritative", 32)), flags=True)
PERMISSION_GROUPS = EnumSpec(f"{_DATA}.PermissionGroups", (
    ("None", 0), ("AnonymousUsers", 1), ("ExchangeUsers", 2), ("ExchangeServers", 4),
    ("ExchangeLegacyServers", 8), ("Partners", 16), ("Custom", 32)), flags=True)
MESSAGE_RATE_SOURCE = EnumSpec(f"{_SYSCONF}.MessageRateSourceFlags", (
    ("None", 0), ("IPAddress", 1), ("User", 2), ("All", 3)))
PROTOCOL_LOGGING_LEVEL = EnumSpec(f"{_DATA}.ProtocolLoggingLevel", (("None", 0), ("Verbose", 1)))
# GUESS: Allow = 1 and Require = 2 (the capture shows only None = 0).
EXTENDED_PROTECTION = EnumSpec(f"{_SYSCONF}.ExtendedProtectionPolicySetting", (
    ("None", 0), ("Allow", 1), ("Require", 2)))
# GUESS: Disabled = 0 (the capture shows Enabled = 1, EnabledWithoutValue = 2).
SIZE_MODE = EnumSpec(f"{_DATA}.SizeMode", (("Disabled", 0), ("Enabled", 1), ("EnabledWithoutValue", 2)))
# ServerRole is a large [Flags] enum; receive connectors only use these two values
# (New-/Set-ReceiveConnector.md: valid values FrontendTransport and HubTransport).
TRANSPORT_ROLE = EnumSpec(f"{_SYSCONF}.ServerRole", (("HubTransport", 32), ("FrontendTransport", 16384)))
# GUESS: New = 0, Changed = 2, Deleted = 3 (the capture shows Unchanged = 1).
OBJECT_STATE = EnumSpec(f"{_DATA}.ObjectState", (("New", 0), ("Unchanged", 1), ("Changed", 2), ("Deleted", 3)))

KNOWN_ENUMS = {spec.type_name: spec for spec in (
    AUTH_MECHANISMS, PERMISSION_GROUPS, MESSAGE_RATE_SOURCE, PROTOCOL_LOGGING_LEVEL, EXTENDED_PROTECTION,
    SIZE_MODE, TRANSPORT_ROLE, OBJECT_STATE)}


@functools.lru_cache(maxsize=None)
def enum_class(spec: EnumSpec) -> type:
    """A psrpcore enum class for ``spec`` (flags enums ToString like .NET)."""
    base = PSFlagBase if spec.flags else PSEnumBase
    namespace = PSEnumMeta.__prepare__(spec.type_name.rsplit(".", 1)[-1], (base,))
    for name, value in spec.members:
        namespace[name] = value
    cls = PSEnumMeta(spec.type_name.rsplit(".", 1)[-1], (base,), namespace)
    return PSType([spec.type_name], rehydrate=False)(cls)


def enum_value(spec: EnumSpec, value: int) -> PSObject:
    return enum_class(spec)(int(value))


@functools.lru_cache(maxsize=None)
def _opaque_enum_class(type_names: tuple[str, ...], value: int, text: str) -> type:
    namespace = PSEnumMeta.__prepare__("CapturedEnum", (PSEnumBase,))
    namespace[text] = value
    cls = PSEnumMeta("CapturedEnum", (PSEnumBase,), namespace)
    return PSType(list(type_names), skip_inheritance=True, rehydrate=False)(cls)


def captured_enum(type_names: list[str], value: int, text: str) -> PSObject:
    """An enum value exactly as a capture printed it (known spec if it agrees)."""
    spec = KNOWN_ENUMS.get(type_names[0]) if type_names else None
    if spec is not None and spec.format(value) == text and _spec_accepts(spec, value):
        return enum_value(spec, value)
    return _opaque_enum_class(tuple(type_names), int(value), text)(int(value))


def _spec_accepts(spec: EnumSpec, value: int) -> bool:
    try:
        enum_value(spec, value)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------
# Generic builders
# --------------------------------------------------------------------------
def new_object(type_names: list[str], to_string: Optional[str], props: Iterable[tuple[str, Any]] = (),
               extended: Iterable[tuple[str, Any]] = ()) -> PSObject:
    """A PSObject with the given type names, <ToString> and ordered properties."""
    # GUESS: clients never need the SerializationData blob (pypsrp does not read it), so none is added.
    obj = PSObject()
    obj.PSObject.type_names = list(type_names)
    obj.PSObject.to_string = clixml_text(to_string)
    for name, value in props:
        obj.PSObject.adapted_properties.append(PSNoteProperty(name, value))
    for name, value in extended:
        obj.PSObject.extended_properties.append(PSNoteProperty(name, value))
    return obj


def clixml_text(text: Optional[str]) -> Optional[str]:
    """<ToString> text as the serializer must write it.

    psrpcore escapes control characters (_x000D__x000A_) in strings but writes
    <ToString> verbatim, while its deserializer unescapes <ToString>; so a
    to_string holding "\r\n" would reach a client as "\n". Keep it escaped.
    """
    if text is None:
        return None
    escaped = _serialize_string(text)
    return escaped if escaped != text else text


def plain_text(obj: Any) -> str:
    """The real text of an object's <ToString> (see ``clixml_text``)."""
    to_string = getattr(getattr(obj, "PSObject", None), "to_string", None)
    return str(obj) if to_string is None else _deserialize_string(to_string)


def multi_valued(element_type: str, items: Iterable[Any]) -> PSList:
    """MultiValuedProperty`1[[element_type]] as <Obj><TN/><LST/></Obj>."""
    values = PSList(list(items))
    values.PSObject.type_names = [
        f"{_DATA}.MultiValuedProperty`1[[{element_type}]]", f"{_DATA}.MultiValuedPropertyBase", "System.Object"]
    return values


def text(value: Optional[str]) -> Optional[PSString]:
    return None if value is None else PSString(value)


def property_value(obj: PSObject, name: str) -> Any:
    for prop in obj.PSObject.adapted_properties + obj.PSObject.extended_properties:
        if prop.name == name:
            return prop.get_value(obj)
    raise KeyError(name)


def set_property(obj: PSObject, name: str, value: Any) -> None:
    for prop in obj.PSObject.adapted_properties + obj.PSObject.extended_properties:
        if prop.name == name:
            prop.set_value(value, obj)
            return
    raise KeyError(name)


def drop_extended(obj: PSObject, name: str) -> None:
    obj.PSObject.extended_properties[:] = [p for p in obj.PSObject.extended_properties if p.name != name]


# --------------------------------------------------------------------------
# Microsoft.Exchange.Data value types
# --------------------------------------------------------------------------
def ip_address(address: NetAddress) -> PSObject:
    """System.Net.IPAddress as .NET Framework serializes it (capture shape)."""
    value = address.value
    v6_flags = [
        ("IsIPv6Multicast", not address.is_v4 and value >> 120 == 0xFF),
        ("IsIPv6LinkLocal", not address.is_v4 and value >> 118 == 0x3FA),
        ("IsIPv6SiteLocal", not address.is_v4 and value >> 118 == 0x3FB),
        ("IsIPv6Teredo", not address.is_v4 and value >> 96 == 0x20010000),
        ("IsIPv4MappedToIPv6", not address.is_v4 and value >> 32 == 0xFFFF),
    ]
    if address.is_v4:
        # IPAddress.Address: the four bytes in network order read as a little-endian long.
        head = [("Address", PSInt64(int.from_bytes(value.to_bytes(4, "big"), "little"))),
                ("AddressFamily", PSString("InterNetwork"))]
    else:
        head = [("AddressFamily", PSString("InterNetworkV6")), ("ScopeId", PSInt64(address.scope_id))]
    return new_object(["System.Net.IPAddress", "System.Object"], str(address), head + v6_flags,
                      [("IPAddressToString", PSString(str(address)))])


def ip_binding(binding: IPBinding) -> PSObject:
    return new_object(
        [f"{_DATA}.IPBinding", "System.Net.IPEndPoint", "System.Net.EndPoint", "System.Object"], str(binding),
        [("Port", PSInt(binding.port)), ("AddressFamily", PSString(binding.address.family)),
         ("Address", ip_address(binding.address))])


def ip_range(value: IPRange) -> PSObject:
    # GUESS: Expression shows the canonical form: the server re-reads ranges from AD.
    return new_object([f"{_DATA}.IPRange", "System.Object"], str(value), [
        ("LowerBound", PSString(format_ipvx(value.lower))), ("UpperBound", PSString(format_ipvx(value.upper))),
        ("RangeFormat", PSString(value.range_format)), ("Size", PSString(format_ipvx(value.size))),
        ("Expression", PSString(str(value)))])


def bindings(values: Iterable[IPBinding]) -> PSList:
    return multi_valued(f"{_DATA}.IPBinding, {_DATA_ASSEMBLY}", [ip_binding(v) for v in values])


def ip_ranges(values: Iterable[IPRange]) -> PSList:
    return multi_valued(f"{_DATA}.IPRange, {_DATA_ASSEMBLY}", [ip_range(v) for v in values])


def byte_size(num_bytes: int) -> PSObject:
    # The capture's ByteQuantifiedSize carries no properties, only <ToString>.
    return new_object([f"{_DATA}.ByteQuantifiedSize", "System.ValueType", "System.Object"],
                      format_byte_size(num_bytes))


def unlimited_int(value: Optional[int]) -> PSObject:
    props: list[tuple[str, Any]] = [("IsUnlimited", value is None)]
    if value is not None:
        props.append(("Value", PSInt(value)))
    return new_object([f"{_DATA}.Unlimited`1[[System.Int32, {_MSCORLIB}]]", "System.ValueType", "System.Object"],
                      format_unlimited(value), props)


def timespan(ticks: int) -> PSObject:
    """EnhancedTimeSpan with System.TimeSpan's component and total properties."""
    sign = (ticks > 0) - (ticks < 0)
    magnitude = abs(ticks)
    parts = {
        "Days": magnitude // (86400 * TICKS_PER_SECOND),
        "Hours": magnitude // (3600 * TICKS_PER_SECOND) % 24,
        "Milliseconds": magnitude // 10_000 % 1000,
        "Minutes": magnitude // (60 * TICKS_PER_SECOND) % 60,
        "Seconds": magnitude // TICKS_PER_SECOND % 60,
    }
    # System.TimeSpan computes its totals as ticks * (1.0 / ticks per unit); so do we, bit for bit.
    totals = [(name, PSDouble(ticks * (1.0 / ticks_per_unit))) for name, ticks_per_unit in (
        ("TotalDays", 86400 * TICKS_PER_SECOND), ("TotalHours", 3600 * TICKS_PER_SECOND),
        ("TotalMilliseconds", TICKS_PER_SECOND // 1000), ("TotalMinutes", 60 * TICKS_PER_SECOND),
        ("TotalSeconds", TICKS_PER_SECOND))]
    return new_object([f"{_DATA}.EnhancedTimeSpan", "System.ValueType", "System.Object"], format_timespan(ticks), [
        *[(name, PSInt(sign * part)) for name, part in parts.items()],
        ("Ticks", PSInt64(ticks)), *totals, ("Sign", PSInt(sign))])


def fqdn(domain: Optional[str]) -> Optional[PSObject]:
    if domain is None:
        return None
    return new_object([f"{_DATA}.Fqdn", f"{_DATA}.SmtpDomain", "System.Object"], domain,
                      [("Domain", PSString(domain))])


def certificate_name(value: Optional[CertificateName]) -> Optional[PSObject]:
    if value is None:
        return None
    # GUESS: a name without "<I>issuer" has a null CertificateIssuer (<Nil/>).
    return new_object([f"{_DATA}.SmtpX509Identifier", "System.Object"], str(value), [
        ("CertificateSubject", PSString(value.subject)), ("CertificateIssuer", text(value.issuer)),
        ("SubjectCommonName", PSString(value.subject_common_name))])


def domain_capabilities(values: Iterable[tuple[str, str]]) -> PSList:
    """TlsDomainCapabilities: SmtpReceiveDomainCapabilities "domain:capabilities"."""
    items = [new_object([f"{_DATA}.SmtpReceiveDomainCapabilities", "System.Object"], f"{domain}:{caps}", [
        ("Domain", PSString(domain)), ("Capabilities", PSString(caps)), ("SmtpX509Identifier", None)])
        for domain, caps in values]
    return multi_valued(f"{_DATA}.SmtpReceiveDomainCapabilities, {_DATA_ASSEMBLY}", items)


def string_list(values: Iterable[str]) -> PSList:
    return multi_valued(f"System.String, {_MSCORLIB}", [PSString(v) for v in values])


def ad_object_id(distinguished_name: str, to_string: str, parent: str, domain_id: str,
                 partition_guid: uuid.UUID, object_guid: uuid.UUID) -> PSObject:
    """Microsoft.Exchange.Data.Directory.ADObjectId (capture property order)."""
    rdn = split_dn(distinguished_name)[0]
    return new_object(["Microsoft.Exchange.Data.Directory.ADObjectId", f"{_DATA}.ObjectId", "System.Object"],
                      to_string, [
        ("OrgHierarchyToIgnore", None), ("IsDeleted", False), ("Rdn", PSString(rdn)), ("Parent", PSString(parent)),
        ("Depth", PSInt(len(split_dn(distinguished_name)) - 1)),
        ("DistinguishedName", PSString(distinguished_name)), ("IsRelativeDn", False),
        ("DomainId", PSString(domain_id)), ("PartitionGuid", PSGuid(str(partition_guid))),
        ("PartitionFQDN", PSString(domain_id)), ("ObjectGuid", PSGuid(str(object_guid))),
        ("Name", PSString(unescape_rdn_value(rdn)))])


def split_dn(dn: str) -> list[str]:
    """Split a DN on unescaped commas."""
    parts, current, escaped = [], "", False
    for ch in dn:
        if escaped:
            current, escaped = current + ch, False
        elif ch == "\\":
            current, escaped = current + ch, True
        elif ch == ",":
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def escape_rdn_value(value: str) -> str:
    """RFC 4514 escaping of a CN value."""
    escaped = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if escaped.startswith((" ", "#")):
        escaped = "\\" + escaped
    if escaped.endswith(" ") and not escaped.endswith("\\ "):
        escaped = escaped[:-1] + "\\ "
    return escaped


def unescape_rdn_value(rdn: str) -> str:
    value = rdn.split("=", 1)[1] if "=" in rdn else rdn
    out, escaped = "", False
    for ch in value:
        if escaped:
            out, escaped = out + ch, False
        elif ch == "\\":
            escaped = True
        else:
            out += ch
    return out


def timestamps(now: datetime) -> tuple[PSDateTime, PSDateTime]:
    """(local time with offset, UTC) at whole seconds, like AD's WhenChanged pair."""
    local = now.astimezone().replace(microsecond=0)
    return PSDateTime(local), PSDateTime(local.astimezone(timezone.utc))


# --------------------------------------------------------------------------
# The receive connector, all properties in capture order
# --------------------------------------------------------------------------
RECEIVE_CONNECTOR_PROPERTIES = [
    "AuthMechanism", "Banner", "BinaryMimeEnabled", "Bindings", "ChunkingEnabled", "DefaultDomain",
    "DeliveryStatusNotificationEnabled", "EightBitMimeEnabled", "SmtpUtf8Enabled", "BareLinefeedRejectionEnabled",
    "DomainSecureEnabled", "EnhancedStatusCodesEnabled", "LongAddressesEnabled", "OrarEnabled",
    "SuppressXAnonymousTls", "ProxyEnabled", "AdvertiseClientSettings", "Fqdn", "ServiceDiscoveryFqdn",
    "TlsCertificateName", "Comment", "Enabled", "ConnectionTimeout", "ConnectionInactivityTimeout",
    "MessageRateLimit", "MessageRateSource", "MaxInboundConnection", "MaxInboundConnectionPerSource",
    "MaxInboundConnectionPercentagePerSource", "MaxHeaderSize", "MaxHopCount", "MaxLocalHopCount",
    "MaxLogonFailures", "MaxMessageSize", "MaxProtocolErrors", "MaxRecipientsPerMessage", "PermissionGroups",
    "PipeliningEnabled", "ProtocolLoggingLevel", "RemoteIPRanges", "RequireEHLODomain", "RequireTLS",
    "EnableAuthGSSAPI", "ExtendedProtectionPolicy", "LiveCredentialEnabled", "TlsDomainCapabilities", "Server",
    "TransportRole", "RejectReservedTopLevelRecipientDomains", "RejectReservedSecondLevelRecipientDomains",
    "RejectSingleLabelRecipientDomains", "AcceptConsumerMail", "SizeEnabled", "TarpitInterval",
    "AuthTarpitInterval", "MaxAcknowledgementDelay", "AdminDisplayName", "ExchangeVersion", "Name",
    "DistinguishedName", "Identity", "Guid", "ObjectCategory", "ObjectClass", "WhenChanged", "WhenCreated",
    "WhenChangedUTC", "WhenCreatedUTC", "OrganizationId", "Id", "OriginatingServer", "IsValid", "ObjectState",
]


def receive_connector(values: dict[str, Any]) -> PSObject:
    """A ReceiveConnector from already shaped property values (all of them)."""
    missing = [name for name in RECEIVE_CONNECTOR_PROPERTIES if name not in values]
    if missing:
        raise KeyError(f"receive connector shape lacks {missing}")
    return new_object(RECEIVE_CONNECTOR_TYPE_NAMES, str(values["Identity"]),
                      [(name, values[name]) for name in RECEIVE_CONNECTOR_PROPERTIES])
