"""Parameter values of the inbound connector cmdlets, converted and checked as Exchange Online does.

Rules from Microsoft's New-/Set-InboundConnector docs:
- SenderDomains: SMTP domains, ``*.contoso.com`` for a domain and its subdomains, no embedded
  wildcard; printed back as AddressSpaces (``smtp:contoso.com;1``, ``smtp:*;1`` for ``*``).
- SenderIPAddresses: IPv4 only, a single address or CIDR /24 through /32.
- TlsSenderCertificateName: an SMTP domain, ``*.contoso.com`` allowed, no embedded wildcard.
Multi-valued parameters take a JSON array, or ``{"@odata.type": "#Exchange.GenericHashTable",
"Add": [...], "Remove": [...]}`` to edit (EXCHANGE.md 5).
"""
import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Callable

from . import errors

BOOLEAN = "System.Boolean"
ADDRESS_SPACES = "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.AddressSpace]"
IP_RANGES = "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]"
TLS_CERTIFICATE = "Microsoft.Exchange.Data.TlsCertificate"
STRINGS = "Microsoft.Exchange.Data.MultiValuedProperty`1[System.String]"
GENERIC_HASHTABLE = "#Exchange.GenericHashTable"

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
_ADDRESS_SPACE = re.compile(r"^(?P<type>[a-z0-9]+):(?P<address>[^;]+)(?:;(?P<cost>\d+))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Edit:
    """A GenericHashTable Add/Remove edit of a multi-valued property."""

    add: list[Any]
    remove: list[Any]


def boolean(parameter: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    # PowerShell's own wording for a non-Boolean argument.
    raise errors.CmdletFailure(
        400, f"{errors.AUTOMATION}.ParameterBindingArgumentTransformationException",
        f"Cannot process argument transformation on parameter '{parameter}'. Cannot convert value "
        f"\"{_dotnet_type(raw)}\" to type "
        f"\"{BOOLEAN}\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.")


def _dotnet_type(raw: Any) -> str:
    names = {str: "System.String", list: "System.Object[]", dict: "System.Collections.Hashtable",
             int: "System.Int32", float: "System.Double", type(None): ""}
    return names.get(type(raw), "System.Object")


def text(parameter: str, raw: Any) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return str(raw)
    raise errors.cannot_convert(parameter, raw, "System.String", "Specify a string value.")  # GUESS


def enumeration(type_name: str, names: tuple[str, ...]) -> Callable[[str, Any], str]:
    def convert(parameter: str, raw: Any) -> str:
        for name in names:
            if isinstance(raw, str) and raw.strip().lower() == name.lower():
                return name
        # PowerShell's wording for an enum it cannot match.
        raise errors.CmdletFailure(
            400, f"{errors.AUTOMATION}.ParameterBindingException",
            f"Cannot bind parameter '{parameter}'. Cannot convert value \"{raw}\" to type \"{type_name}\". "
            f"Error: \"Unable to match the identifier name {raw} to a valid enumerator name. Specify one of the "
            f"following enumerator names and try again:\n{', '.join(names)}\"")
    return convert


def multi_valued(item: Callable[[str, Any], Any], type_name: str) -> Callable[[str, Any], Any]:
    """A list of converted items, or an Edit for a GenericHashTable; null clears."""
    def convert(parameter: str, raw: Any) -> list[Any] | Edit:
        if raw is None:
            return []
        if isinstance(raw, dict):
            if raw.get("@odata.type") != GENERIC_HASHTABLE:
                # GUESS: the REST endpoint binds a JSON object to a hashtable only by this @odata.type
                # (public clients of the endpoint send it for every Add/Remove edit and say the binding
                # needs it); without it the object is taken as a plain value, which no list converts from.
                raise errors.cannot_convert(parameter, raw, type_name,
                                            "Specify an array, or a #Exchange.GenericHashTable with Add or Remove.")
            keys = {key.lower(): value for key, value in raw.items() if not key.startswith("@odata.")}
            unknown = set(keys) - {"add", "remove"}
            if unknown:
                # GUESS: a hashtable with other keys fails the MultiValuedProperty conversion.
                reason = f"The hash table key '{sorted(unknown)[0]}' isn't valid. Use Add or Remove."
                raise errors.cannot_convert(parameter, raw, type_name, reason)
            return Edit(_items(parameter, keys.get("add"), item, type_name),
                        _items(parameter, keys.get("remove"), item, type_name))
        return _unique(parameter, _items(parameter, raw, item, type_name), type_name)
    return convert


def _items(parameter: str, raw: Any, item: Callable[[str, Any], Any], type_name: str) -> list[Any]:
    values = [] if raw is None else raw if isinstance(raw, list) else [raw]
    converted = []
    for value in values:
        if not isinstance(value, str):
            raise errors.cannot_convert(parameter, value, type_name, "Specify a string value.")  # GUESS
        try:
            converted.append(item(parameter, value.strip()))
        except ValueError as exc:
            raise errors.cannot_convert(parameter, value, type_name, str(exc)) from None
    return converted


def _unique(parameter: str, values: list[Any], type_name: str) -> list[Any]:
    seen: set[str] = set()
    for value in values:
        key = str(value).lower()
        if key in seen:
            # GUESS: MultiValuedProperty refuses duplicates with this wording.
            raise errors.cannot_convert(parameter, value, type_name,
                                        f"The value \"{value}\" is already present in the collection.")
        seen.add(key)
    return values


def apply(current: list[Any], change: list[Any] | Edit) -> list[Any]:
    """The new value of a multi-valued property: replaced, or edited by Add/Remove."""
    if not isinstance(change, Edit):
        return list(change)
    # GUESS: adding a value already present, or removing one that is absent, is silently ignored.
    result = [value for value in current if str(value).lower() not in {str(r).lower() for r in change.remove}]
    for value in change.add:
        if str(value).lower() not in {str(v).lower() for v in result}:
            result.append(value)
    return result


def _smtp_domain(value: str, allow_star: bool) -> str:
    """An SMTP domain, optionally ``*`` or ``*.domain``; the wildcard never embedded (docs)."""
    if allow_star and value == "*":
        return value
    labels = value.split(".")
    if labels[0] == "*":
        labels = labels[1:]
    if not labels or len(value) > 255 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"'{value}' isn't a valid SMTP domain.")  # GUESS: wording
    return value


def sender_domain(_parameter: str, value: str) -> str:
    """An AddressSpace: ``contoso.com`` or ``smtp:contoso.com;1`` in, ``smtp:<domain>;<cost>`` out."""
    match = _ADDRESS_SPACE.match(value)
    domain, cost = (match["address"], int(match["cost"] or 1)) if match else (value, 1)
    if match and match["type"].lower() != "smtp":
        # GUESS: inbound connectors take SMTP address spaces only.
        raise ValueError(f"The address space type '{match['type']}' isn't valid for an inbound connector.")
    if not 1 <= cost <= 100:
        raise ValueError(f"The address space cost {cost} isn't valid. It must be between 1 and 100.")  # GUESS
    try:
        domain = _smtp_domain(domain.strip(), allow_star=True)
    except ValueError:
        raise ValueError(f"The address space '{value}' isn't valid.") from None  # GUESS: wording
    return f"smtp:{domain};{cost}"


def sender_ip(_parameter: str, value: str) -> str:
    """IPv4 single address or CIDR /24../32 (New-InboundConnector.md, SenderIPAddresses)."""
    address, _, prefix = value.partition("/")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"'{value}' isn't a valid IP address or CIDR range.") from None  # GUESS
    if parsed.version == 6:
        raise ValueError(f"IPv6 addresses aren't supported: '{value}'.")  # GUESS: wording
    if not prefix:
        return str(parsed)
    if not prefix.isdigit() or not 24 <= int(prefix) <= 32:
        # GUESS: wording; the docs only say valid subnet masks are /24 through /32.
        raise ValueError(f"The CIDR length in '{value}' isn't valid. Valid subnet mask values are /24 through /32.")
    # Printed as the network, like Exchange's IPRange does for CIDR (GUESS for EXO).
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


def any_ip(_parameter: str, value: str) -> str:
    """EFSkipIPs: single address, a-b range or CIDR, IPv4 or IPv6 (New-InboundConnector.md)."""
    try:
        if "-" in value:
            low, high = (ipaddress.ip_address(part.strip()) for part in value.split("-", 1))
            if low.version != high.version or low > high:
                raise ValueError
            return f"{low}-{high}"
        if "/" in value:
            return str(ipaddress.ip_network(value, strict=False))
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"'{value}' isn't a valid IP address or range.") from None  # GUESS


def tls_certificate_name(parameter: str, raw: Any) -> str | None:
    """TlsSenderCertificateName: an SMTP domain, ``*.contoso.com`` allowed; null or empty clears."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise errors.cannot_convert(parameter, raw, TLS_CERTIFICATE, "Specify a string value.")  # GUESS
    try:
        return _smtp_domain(raw.strip(), allow_star=False)
    except ValueError as exc:
        raise errors.cannot_convert(parameter, raw, TLS_CERTIFICATE, str(exc)) from None


def plain(_parameter: str, value: str) -> str:
    return value


def smtp_address(_parameter: str, value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local:
        raise ValueError(f"'{value}' isn't a valid SMTP address.")  # GUESS
    _smtp_domain(domain, allow_star=False)
    return value


def domain_name(_parameter: str, value: str) -> str:
    return _smtp_domain(value, allow_star=False)
