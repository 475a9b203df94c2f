"""Exchange's own value types, parsed and printed the way Exchange does it.

Every parser raises ``ValueFormatError`` whose message is the inner "Error:"
text PowerShell shows in a parameter binding error. Printing rules come from the
captures (data/E19-GetReceiveConnector.xml) and from Microsoft.Exchange.Data's
types (IPvxAddress, IPRange, IPBinding, ByteQuantifiedSize, Unlimited,
EnhancedTimeSpan, SmtpX509Identifier) as they behave on a server.
"""
import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Optional


class ValueFormatError(ValueError):
    """A value the server cannot convert; the message is Exchange's reason."""


# --------------------------------------------------------------------------
# IP addresses
# --------------------------------------------------------------------------
# Exchange keeps every address of a range in 128 bits ("IPvxAddress"): IPv4 as
# the mapped form ::ffff:a.b.c.d. Printing an IPvx value goes back through
# System.Net.IPAddress, so IPv4-mapped and IPv4-compatible values print dotted.
_V4_MAPPED = 0xFFFF << 32
_MAX128 = (1 << 128) - 1
_LOW64 = (1 << 64) - 1


@dataclass(frozen=True)
class NetAddress:
    """A System.Net.IPAddress: the family stays as typed (used in bindings)."""

    family: str  # "InterNetwork" | "InterNetworkV6"
    value: int  # 32 bits for IPv4, 128 bits for IPv6
    scope_id: int = 0

    @property
    def is_v4(self) -> bool:
        return self.family == "InterNetwork"

    def __str__(self) -> str:
        if self.is_v4:
            return _format_v4(self.value)
        return format_ipv6(self.value, self.scope_id)

    def to_ipvx(self) -> int:
        """The 128-bit IPvxAddress value Exchange compares ranges with."""
        if self.is_v4:
            return _V4_MAPPED | self.value
        if _is_v4_compatible(self.value):
            # IPvxAddress turns ::a.b.c.d into the mapped form (IPv4 family).
            return self.value | _V4_MAPPED
        return self.value


def _format_v4(value: int) -> str:
    return ".".join(str((value >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def _is_v4_mapped(value: int) -> bool:
    return (value >> 64) == 0 and (value & _LOW64) >> 32 == 0xFFFF


def _is_v4_compatible(value: int) -> bool:
    # IPvxAddress.IsIPv4Compatible: high 96 bits zero, not ::1, and above ::ffff.
    low = value & _LOW64
    return (value >> 64) == 0 and low != 1 and (low >> 32) == 0 and (low & ~0xFFFF) != 0


def ipvx_is_v4(value: int) -> bool:
    return _is_v4_mapped(value) or _is_v4_compatible(value)


def format_ipvx(value: int) -> str:
    """IPvxAddress.ToString(): IPv4 family values print dotted."""
    if ipvx_is_v4(value):
        return _format_v4(value & 0xFFFFFFFF)
    return format_ipv6(value)


def format_ipv6(value: int, scope_id: int = 0) -> str:
    """System.Net.IPAddress.ToString() for IPv6 (Windows' RFC 5952 rules).

    Lower-case hex, the first longest run of two or more zero groups becomes
    "::", and the IPv4-compatible, IPv4-mapped, SIIT and ISATAP forms print
    their last 32 bits dotted.
    """
    words = [(value >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
    embedded_v4 = (
        words[:4] == [0, 0, 0, 0] and words[6] != 0
        and ((words[4] == 0 and words[5] in (0, 0xFFFF)) or (words[4] == 0xFFFF and words[5] == 0))
    ) or (words[4] == 0 and words[5] == 0x5EFE)
    head = words[:6] if embedded_v4 else words
    text = _compress_groups(head, trailing=embedded_v4)
    if embedded_v4:
        text += _format_v4(value & 0xFFFFFFFF)
    if scope_id:
        text += f"%{scope_id}"
    return text


def _compress_groups(words: list[int], trailing: bool) -> str:
    best_start, best_len, start = -1, 0, -1
    for i, word in enumerate(words + [1]):
        if word == 0 and start < 0:
            start = i
        elif word != 0 and start >= 0:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = -1
    parts = [format(w, "x") for w in words]
    if best_len < 2:
        return ":".join(parts) + (":" if trailing else "")
    left = ":".join(parts[:best_start])
    right = ":".join(parts[best_start + best_len:])
    if trailing and right:
        right += ":"
    return f"{left}::{right}"


def parse_address(text: str) -> NetAddress:
    """IPAddress.TryParse as Exchange calls it (dotted IPv4, IPv6, [IPv6], %scope)."""
    # GUESS: strict dotted quads only; .NET also accepts legacy forms like "10.1".
    if not isinstance(text, str) or not text:
        raise ValueFormatError(f"'{text}' isn't a valid IP address.")
    candidate = text
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", candidate):
        octets = [int(part) for part in candidate.split(".")]
        if all(o <= 255 for o in octets):
            return NetAddress("InterNetwork", int(ipaddress.IPv4Address(".".join(map(str, octets)))))
    elif ":" in candidate:
        address, _, scope = candidate.partition("%")
        try:
            parsed = int(ipaddress.IPv6Address(address))
        except ValueError:
            pass
        else:
            if scope == "" or scope.isdigit():
                return NetAddress("InterNetworkV6", parsed, int(scope or 0))
    # GUESS: DataStrings.InvalidIPAddressFormat wording.
    raise ValueFormatError(f"'{text}' isn't a valid IP address.")


# --------------------------------------------------------------------------
# Remote IP ranges (Microsoft.Exchange.Data.IPRange)
# --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class IPRange:
    """A remote range. Two ranges are equal when their bounds are (IPRange.Equals)."""

    lower: int
    upper: int
    range_format: str  # "SingleAddress" | "CIDR" | "LoHi" | "Netmask"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IPRange) and (self.lower, self.upper) == (other.lower, other.upper)

    def __hash__(self) -> int:
        return hash((self.lower, self.upper))

    @property
    def is_v4(self) -> bool:
        return ipvx_is_v4(self.lower)

    @property
    def prefix_length(self) -> int:
        span = (self.upper ^ self.lower).bit_length()
        return (32 if self.is_v4 else 128) - span

    def __str__(self) -> str:
        lower = format_ipvx(self.lower)
        if self.range_format == "CIDR":
            return f"{lower}/{self.prefix_length}"
        if self.range_format == "Netmask":
            bits = 32 if self.is_v4 else 128
            mask = (((1 << bits) - 1) >> (bits - self.prefix_length)) << (bits - self.prefix_length)
            text = _format_v4(mask) if self.is_v4 else format_ipv6(mask)
            return f"{lower}({text})"
        if self.range_format == "LoHi":
            return f"{lower}-{format_ipvx(self.upper)}"
        return lower

    @property
    def size(self) -> int:
        # IPRange.Size: end - start + 1, saturating at all ones on overflow.
        return min(self.upper - self.lower + 1, _MAX128)

    def contains(self, other: "IPRange") -> bool:
        return self.lower <= other.lower and other.upper <= self.upper

    def partially_overlaps(self, other: "IPRange") -> bool:
        """IPRange.PartiallyOverlaps: they intersect but neither contains the other."""
        return (other.lower < self.lower <= other.upper < self.upper) or (
            self.lower < other.lower <= self.upper < other.upper)


def parse_ip_range(text: str) -> IPRange:
    """IPRange.Parse: "a.b.c.d", "lo-hi", "base/len", "base(mask)", IPv4 or IPv6."""
    if not isinstance(text, str):
        raise ValueFormatError(f"'{text}' isn't a valid IP address range.")
    separators = [i for i, ch in enumerate(text) if ch in "-/("]
    if not separators or separators[0] <= 0:
        address = parse_address(text)
        value = address.to_ipvx()
        return IPRange(value, value, "SingleAddress")
    sep = separators[0]
    if text[sep] == "/" and len(separators) > 1:
        sep = separators[1]
    kind = text[sep]
    if kind == "-":
        lower = parse_address(text[:sep]).to_ipvx()
        upper = parse_address(text[sep + 1:]).to_ipvx()
        if ipvx_is_v4(lower) != ipvx_is_v4(upper):
            # GUESS: DataStrings.AddressFamilyMismatch wording.
            raise ValueFormatError("The start and end addresses of the IP range must be of the same address family.")
        return _checked(IPRange(lower, upper, "LoHi"))
    if kind == "/":
        base = parse_address(text[:sep])
        length_text = text[sep + 1:]
        if not re.fullmatch(r"[+-]?\d+", length_text) or not -32768 <= int(length_text) <= 32767:
            raise ValueFormatError(f"'{length_text}' isn't a valid CIDR length.")  # GUESS: wording
        return _from_prefix(base.to_ipvx(), int(length_text), "CIDR")
    return _parse_netmask(text, sep)


def _from_prefix(base: int, length: int, range_format: str) -> IPRange:
    bits = 32 if ipvx_is_v4(base) else 128
    if not 0 <= length <= bits:
        # GUESS: DataStrings.InvalidCIDRLengthIPv4/IPv6 wording.
        raise ValueFormatError(f"The CIDR length {length} isn't valid. It must be between 0 and {bits}.")
    host_mask = _MAX128 >> (length + (96 if bits == 32 else 0))
    return IPRange(base & ~host_mask & _MAX128, base | host_mask, range_format)


def _parse_netmask(text: str, sep: int) -> IPRange:
    if not text.endswith(")"):
        raise ValueFormatError(f"'{text}' isn't a valid IP address range.")
    base = parse_address(text[:sep])
    mask = parse_address(text[sep + 1:-1])
    if base.family != mask.family:
        raise ValueFormatError("The start address and the mask must be of the same address family.")  # GUESS
    bits = 32 if mask.is_v4 else 128
    ones = bin(mask.value).count("1")
    if mask.value != (((1 << ones) - 1) << (bits - ones)):
        raise ValueFormatError(f"The IP address mask {mask} isn't valid.")  # GUESS: wording
    return _from_prefix(base.to_ipvx(), ones, "Netmask")


def _checked(value: IPRange) -> IPRange:
    if value.lower > value.upper:
        # GUESS: DataStrings.InvalidIPRange wording.
        raise ValueFormatError(
            f"The IP range {format_ipvx(value.lower)}-{format_ipvx(value.upper)} isn't valid: "
            "the start address is greater than the end address.")
    return value


# --------------------------------------------------------------------------
# Bindings (Microsoft.Exchange.Data.IPBinding, an IPEndPoint)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class IPBinding:
    address: NetAddress
    port: int

    def __str__(self) -> str:
        # IPEndPoint.ToString: IPv6 addresses in brackets.
        host = str(self.address)
        return f"[{host}]:{self.port}" if not self.address.is_v4 else f"{host}:{self.port}"

    @property
    def is_any(self) -> bool:
        return self.address.value == 0


def parse_binding(text: str) -> IPBinding:
    """IPBinding.Parse: "address:port", the last colon separates the port."""
    if not isinstance(text, str):
        raise ValueFormatError(f"'{text}' isn't a valid IP endpoint.")
    expression = text.strip()
    if expression.endswith(":"):
        expression = expression[:-1]
    sep = expression.rfind(":")
    if sep < 0:
        # GUESS: DataStrings.ExceptionEndPointMissingSeparator wording.
        raise ValueFormatError(f"The IP endpoint '{expression}' is missing the ':' separator between address and port.")
    host, port_text = expression[:sep], expression[sep + 1:]
    try:
        address = parse_address(host) if host else NetAddress("InterNetwork", 0)
    except ValueFormatError:
        # GUESS: DataStrings.ExceptionEndPointInvalidIPAddress wording.
        raise ValueFormatError(f"The IP endpoint '{expression}' has an invalid IP address.") from None
    if not re.fullmatch(r"\s*[+-]?\d+\s*", port_text) or not -(2**31) <= int(port_text) < 2**31:
        raise ValueFormatError(f"The IP endpoint '{expression}' has an invalid port.")  # GUESS: wording
    port = int(port_text)
    if not 0 <= port <= 65535:
        # GUESS: DataStrings.ExceptionEndPointPortOutOfRange wording.
        raise ValueFormatError(f"The port {port} is out of range. It must be between 0 and 65535.")
    return IPBinding(address, port)


# --------------------------------------------------------------------------
# Sizes (Microsoft.Exchange.Data.ByteQuantifiedSize)
# --------------------------------------------------------------------------
_UNITS = [("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)]
_SIZE_PATTERN = re.compile(
    r"^(?P<short>\S{0,14}\d)( ?(?P<unit>[KMGT]?B)( \((?P<long>\S+) bytes\))?)?$", re.IGNORECASE)


def format_byte_size(num_bytes: int) -> str:
    """ByteQuantifiedSize.ToString(): "36 MB (37,748,736 bytes)"."""
    for unit, factor in _UNITS:
        if num_bytes >> (factor.bit_length() - 1):
            return f"{_g4(num_bytes / factor)} {unit} ({num_bytes:,} bytes)"
    return f"{_g4(num_bytes)} B ({num_bytes:,} bytes)"


def _g4(number: float) -> str:
    """.NET "G4": four significant digits, no trailing zeros."""
    return format(number, ".4g").replace("e+", "E+")


def parse_byte_size(value: Any) -> int:
    """ByteQuantifiedSize.Parse; a bare number counts as bytes."""
    if isinstance(value, bool):
        raise ValueFormatError(f"The value '{value}' isn't in the correct format.")
    if isinstance(value, int):
        # GUESS: numbers (as PowerShell's 10MB literal arrives) count as bytes.
        if value < 0:
            raise ValueFormatError(f"The value '{value}' isn't in the correct format.")
        return int(value)
    text = str(value).strip()
    match = _SIZE_PATTERN.match(text)
    if not match:
        # GUESS: DataStrings.ExceptionFormatNotCorrect wording.
        raise ValueFormatError(f"The value '{text}' isn't in the correct format.")
    factor = dict(_UNITS).get((match.group("unit") or "B").upper(), 1)
    if match.group("long"):
        try:
            return int(match.group("long").replace(",", ""))
        except ValueError:
            raise ValueFormatError(f"The value '{text}' isn't in the correct format.") from None
    try:
        number = float(match.group("short").replace(",", ""))
    except ValueError:
        raise ValueFormatError(f"The value '{text}' isn't in the correct format.") from None
    if number < 0:
        raise ValueFormatError(f"The value '{text}' is out of range.")  # GUESS: wording
    return int(number * factor)


# --------------------------------------------------------------------------
# Unlimited<int>
# --------------------------------------------------------------------------
def parse_unlimited(value: Any) -> Optional[int]:
    """Unlimited<int>.Parse: "Unlimited" (any case) or a number; None means unlimited."""
    if isinstance(value, bool):
        raise ValueFormatError(f"'{value}' isn't a valid value. Use a number or 'Unlimited'.")
    if isinstance(value, int):
        return int(value)
    text = str(value).strip()
    if text.lower() == "unlimited":
        return None
    if re.fullmatch(r"[+-]?\d+", text) and -(2**31) <= int(text) < 2**31:
        return int(text)
    # GUESS: wording of the Unlimited parse failure.
    raise ValueFormatError(f"'{text}' isn't a valid value. Use a number or 'Unlimited'.")


def format_unlimited(value: Optional[int]) -> str:
    return "Unlimited" if value is None else str(value)


# --------------------------------------------------------------------------
# Time spans (EnhancedTimeSpan wraps System.TimeSpan)
# --------------------------------------------------------------------------
TICKS_PER_SECOND = 10_000_000
_TIMESPAN_PATTERN = re.compile(
    r"^(?P<sign>-)?(?:(?P<days>\d+)\.)?(?P<hours>\d+):(?P<minutes>\d+)(?::(?P<seconds>\d+)(?:\.(?P<fraction>\d{1,7}))?)?$")


def parse_timespan(value: Any) -> int:
    """TimeSpan.Parse ("[-][d.]hh:mm[:ss[.fffffff]]" or whole days); returns ticks."""
    if hasattr(value, "total_seconds") and not isinstance(value, (str, int)):
        return int(round(value.total_seconds() * TICKS_PER_SECOND))
    if isinstance(value, bool):
        raise ValueFormatError("String was not recognized as a valid TimeSpan.")
    if isinstance(value, int):
        return int(value)  # GUESS: PowerShell converts a number to TimeSpan ticks.
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text) * 86400 * TICKS_PER_SECOND
    match = _TIMESPAN_PATTERN.match(text)
    if not match:
        raise ValueFormatError("String was not recognized as a valid TimeSpan.")  # .NET's message
    hours, minutes = int(match["hours"]), int(match["minutes"])
    seconds = int(match["seconds"] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueFormatError(
            "The TimeSpan could not be parsed because at least one of the numeric components is out of "
            "range or contains too many digits.")  # .NET's message
    ticks = ((int(match["days"] or 0) * 24 + hours) * 60 + minutes) * 60 + seconds
    ticks = ticks * TICKS_PER_SECOND + int((match["fraction"] or "0").ljust(7, "0"))
    return -ticks if match["sign"] else ticks


def format_timespan(ticks: int) -> str:
    """TimeSpan.ToString() ("c"): [-][d.]hh:mm:ss[.fffffff]."""
    sign = "-" if ticks < 0 else ""
    ticks = abs(ticks)
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    text = f"{hours:02}:{minutes:02}:{seconds:02}"
    if days:
        text = f"{days}.{text}"
    if fraction:
        text += f".{fraction:07}"
    return sign + text


# --------------------------------------------------------------------------
# Enums ([Flags] or not), parsed like PowerShell converts parameter values
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class EnumSpec:
    type_name: str
    members: tuple[tuple[str, int], ...]
    flags: bool = False

    def names(self) -> list[str]:
        return [name for name, _ in self.members]

    def format(self, value: int) -> str:
        """Enum.ToString(): exact name, else the set flags in ascending order."""
        for name, member in self.members:
            if member == value:
                return name
        if not self.flags:
            return str(value)
        parts = [name for name, member in self.members if member and value & member == member]
        return ", ".join(parts) if parts else str(value)

    def parse(self, value: Any) -> int:
        """Convert a parameter value (name, "A, B", array of names, number)."""
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        if not items or (len(items) > 1 and not self.flags):
            raise self._unmatched(value)
        total = 0
        for item in items:
            for part in (str(item).split(",") if isinstance(item, str) else [item]):
                total |= self._one(part, value)
        if not self._is_defined(total):
            raise self._unmatched(value)
        return total

    def _one(self, part: Any, whole: Any) -> int:
        if isinstance(part, bool):
            raise self._unmatched(whole)
        if isinstance(part, int):
            return int(part)
        token = str(part).strip()
        if re.fullmatch(r"[+-]?\d+", token):
            return int(token)
        if not self.flags and "," in str(whole):
            raise self._unmatched(whole)
        for name, member in self.members:
            if name.lower() == token.lower():
                return member
        raise self._unmatched(token)

    def _is_defined(self, value: int) -> bool:
        all_bits = 0
        for _, member in self.members:
            all_bits |= member
        if self.flags:
            return value & ~all_bits == 0
        return any(member == value for _, member in self.members)

    def _unmatched(self, token: Any) -> ValueFormatError:
        # PowerShell's wording for a name that is no enum member.
        return ValueFormatError(
            f"Unable to match the identifier name {token} to a valid enumerator name. Specify one of the "
            f"following enumerator names and try again:\r\n{', '.join(self.names())}")


# --------------------------------------------------------------------------
# Domains and certificate names
# --------------------------------------------------------------------------
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")


def is_smtp_domain(text: str) -> bool:
    """Microsoft.Exchange.Data.SmtpDomain (and Fqdn): labels of letters, digits, - and _."""
    # GUESS: the exact character rules of SmtpDomain; these cover host names.
    return isinstance(text, str) and len(text) <= 255 and bool(_DOMAIN.match(text))


def is_domain_with_subdomains(text: str) -> bool:
    """SmtpDomainWithSubdomains: a domain, optionally "*." in front, or "*"."""
    return text == "*" or is_smtp_domain(text[2:] if text.startswith("*.") else text)


def parse_fqdn(value: Any) -> str:
    text = str(value)
    if not is_smtp_domain(text):
        raise ValueFormatError(f"'{text}' isn't a valid SMTP domain.")  # GUESS: wording
    return text


@dataclass(frozen=True)
class CertificateName:
    """SmtpX509Identifier "<I>issuer<S>subject"; equality ignores case (SmtpX509Identifier.Equals)."""

    issuer: Optional[str]
    subject: str
    subject_common_name: str

    def __str__(self) -> str:
        return (f"<I>{self.issuer}" if self.issuer else "") + f"<S>{self.subject}"

    def matches(self, issuer: str, subject: str) -> bool:
        return (self.subject.lower() == normalize_dn(subject).lower()
                and (self.issuer or "").lower() == normalize_dn(issuer).lower())


def normalize_dn(text: str) -> str:
    """X500DistinguishedName(...).Format(false): RDNs joined by ", "."""
    # GUESS: .NET's re-formatting reduced to trimming each RDN and joining with ", ".
    parts, current, quoted, escaped = [], "", False, False
    for ch in text or "":
        if escaped:
            current, escaped = current + ch, False
        elif ch == "\\":
            current, escaped = current + ch, True
        elif ch == '"':
            current, quoted = current + ch, not quoted
        elif ch in ",;" and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return ", ".join(parts)


def parse_certificate_name(value: Any) -> CertificateName:
    """SmtpX509Identifier.Parse (regex "^(<I>([^<]+))?(<S>(.+))", subject needs a CN)."""
    text = "" if value is None else str(value)
    match = re.match(r"^(<I>([^<]+))?(<S>(.+))", text, re.IGNORECASE)
    common_name = re.search(r"CN=(.*?)($|,)", match.group(4), re.IGNORECASE) if match else None
    if not match or not common_name:
        # Exchange's wording, as seen in a real Set-ReceiveConnector error.
        raise ValueFormatError(f"\"{text}\" isn't a valid Certificate Identifier.")
    if not is_domain_with_subdomains(common_name.group(1)):
        # GUESS: DataStrings.InvalidDomainInSmtpX509Identifier wording.
        raise ValueFormatError(
            f"\"{text}\" isn't a valid Certificate Identifier: the subject common name isn't a valid domain.")
    issuer = normalize_dn(match.group(2)) if match.group(2) else None
    return CertificateName(issuer, normalize_dn(match.group(4)), common_name.group(1))
