# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Canonical values: one form per Exchange value, for user input and Exchange output alike.

Exchange prints values back in its own form (``36 MB (37,748,736 bytes)``, ``Tls, BasicAuth``,
IP ranges as typed). An idempotent module must compare meanings, not strings, so every option
has a *kind* that turns both the user's input (``from_input``) and Exchange's output
(``from_exchange``) into the same canonical value, and turns a canonical value back into a
parameter Exchange accepts (``to_parameter``).

``from_exchange`` takes a value as read from a deserialised object: ``None``, a primitive, a
string, an object with a ``to_string`` attribute (pypsrp's GenericComplexObject: its
``<ToString>`` is used), or a list of those for multi-valued properties. clixml.py turns
pypsrp's raw ``<LST>`` XML of a MultiValuedProperty into such a list first.

Only the standard library is used here, so these functions are cheap to test and to reuse.
"""
from __future__ import annotations

import ipaddress
import re


class InvalidValue(ValueError):
    """The user gave a value that the option cannot take.

    The message names the option, the bad value and the accepted form, so the user can fix the
    playbook without reading the code.
    """

    def __init__(self, option, value, accepted, noun="a valid value", reason=None):
        self.option = option
        self.value = value
        self.accepted = accepted
        self.reason = reason
        because = " (%s)" % reason if reason else ""
        super().__init__("%s: %r is not %s%s; use %s" % (option, value, noun, because, accepted))


class UnexpectedExchangeValue(ValueError):
    """Exchange returned a value this collection cannot read (an unknown shape, never user error)."""


class _Reject(Exception):
    """Internal: a parser refuses a value; the caller turns it into the right public error."""

    def __init__(self, reason=None):
        super().__init__(reason)
        self.reason = reason


def _text(raw):
    """The user-facing text of a deserialised value: an object's ToString, else the value."""
    if hasattr(raw, "to_string"):
        return raw.to_string
    return raw


def _items(raw):
    """A multi-valued value as a list (Nil is the empty list)."""
    if raw is None:
        return []
    if isinstance(raw, (list, tuple)):
        return list(raw)
    return [raw]


class Kind:
    """A value kind. Subclasses implement ``_parse`` (and may override the rest)."""

    multi = False
    noun = "a valid value"
    accepted = ""

    def _parse(self, value):
        """Return the canonical value of ``value`` or raise _Reject."""
        raise NotImplementedError

    def _parse_exchange(self, raw):
        return self._parse(_text(raw))

    def from_input(self, value, option):
        try:
            return self._parse(value)
        except _Reject as err:
            raise InvalidValue(option, value, self.accepted, self.noun, err.reason) from None

    def from_exchange(self, raw):
        try:
            return self._parse_exchange(raw)
        except _Reject as err:
            because = " (%s)" % err.reason if err.reason else ""
            raise UnexpectedExchangeValue(
                "Exchange returned %r, which is not %s%s" % (_text(raw), self.noun, because)) from None

    def to_parameter(self, canonical):
        return canonical

    def __repr__(self):
        return "<%s>" % type(self).__name__


class _MultiKind(Kind):
    """A multi-valued kind: a list (or comma-separated string) of items, canonical as a sorted,
    duplicate-free list so two values compare equal whatever order they were given in."""

    multi = True

    def _parse_item(self, text):
        """Return the canonical item for ``text`` or raise _Reject."""
        raise NotImplementedError

    def _sort_key(self, item):
        return item

    def _canonical_list(self, items):
        return sorted(set(items), key=self._sort_key)

    def _split(self, value):
        if value is None:
            return []
        if isinstance(value, str):
            return [part for part in (p.strip() for p in value.split(",")) if part]
        if isinstance(value, (list, tuple)):
            return list(value)
        raise _Reject("expected a list or a comma-separated string")

    def from_input(self, value, option):
        try:
            entries = self._split(value)
        except _Reject as err:
            raise InvalidValue(option, value, self.accepted, self.noun, err.reason) from None
        items = []
        for entry in entries:
            try:
                if not isinstance(entry, str):
                    raise _Reject("expected a string")
                items.append(self._parse_item(entry.strip()))
            except _Reject as err:
                # Name the offending entry, not the whole list.
                raise InvalidValue(option, entry, self.accepted, self.noun, err.reason) from None
        return self._canonical_list(items)

    def _parse_exchange(self, raw):
        return self._canonical_list(self._parse_item(str(_text(item)).strip()) for item in _items(raw))

    def to_parameter(self, canonical):
        return list(canonical)


# --- simple scalars -----------------------------------------------------------------------------

class String(Kind):
    """Free text; empty means unset (Exchange prints an unset Banner/Comment as '' or Nil)."""

    noun = "a string"

    def __init__(self, max_length=None):
        self.max_length = max_length
        self.accepted = "text" if max_length is None else "text of at most %d characters" % max_length

    def _parse(self, value):
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise _Reject("expected text")
        if self.max_length is not None and len(value) > self.max_length:
            raise _Reject("longer than %d characters" % self.max_length)
        return value


# The boolean spellings Ansible accepts (ansible.module_utils.parsing.convert_bool).
_TRUE_WORDS = frozenset(("y", "yes", "on", "1", "true", "t"))
_FALSE_WORDS = frozenset(("n", "no", "off", "0", "false", "f"))


class Bool(Kind):
    noun = "a boolean"
    accepted = "true or false (yes/no, on/off, 1/0 also work)"

    def _parse(self, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE_WORDS:
                return True
            if word in _FALSE_WORDS:
                return False
        raise _Reject()


def _range_text(minimum, maximum):
    if minimum is not None and maximum is not None:
        return " from %d to %d" % (minimum, maximum)
    if minimum is not None:
        return " of at least %d" % minimum
    if maximum is not None:
        return " of at most %d" % maximum
    return ""


def _whole_number(value):
    """An int from an int or a string of digits (bool is not a number here)."""
    if isinstance(value, bool):
        raise _Reject()
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    raise _Reject()


def _check_bounds(number, minimum, maximum):
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise _Reject("out of range")
    return number


class Int(Kind):
    def __init__(self, minimum=None, maximum=None):
        self.minimum = minimum
        self.maximum = maximum
        self.noun = "a whole number" + _range_text(minimum, maximum)
        self.accepted = self.noun

    def _parse(self, value):
        return _check_bounds(_whole_number(value), self.minimum, self.maximum)


UNLIMITED = "Unlimited"


def _is_unlimited(value):
    return isinstance(value, str) and value.strip().lower() == "unlimited"


class UnlimitedInt(Kind):
    """Exchange's Unlimited<int>: a number or the word Unlimited."""

    def __init__(self, minimum=None, maximum=None):
        self.minimum = minimum
        self.maximum = maximum
        self.noun = "a whole number%s or Unlimited" % _range_text(minimum, maximum)
        self.accepted = self.noun

    def _parse(self, value):
        if _is_unlimited(value):
            return UNLIMITED
        return _check_bounds(_whole_number(value), self.minimum, self.maximum)

    def to_parameter(self, canonical):
        # A string binds to Unlimited<int> through its Parse method, for numbers and 'Unlimited'.
        return str(canonical)


class EnumKind(Kind):
    """One name of a .NET enum. Input is case-insensitive; canonical is Exchange's spelling."""

    noun = "a known value"

    def __init__(self, names):
        self.names = tuple(names)
        self._by_lower = {name.lower(): name for name in self.names}
        self.accepted = "one of " + ", ".join(self.names)

    def _parse(self, value):
        if isinstance(value, str) and value.strip().lower() in self._by_lower:
            return self._by_lower[value.strip().lower()]
        raise _Reject()

    def _parse_exchange(self, raw):
        text = _text(raw)
        if not isinstance(text, str) or not text:
            raise _Reject()
        # A name Exchange knows but this collection does not is still a fact to report.
        return self._by_lower.get(text.lower(), text)


class FlagsKind(_MultiKind):
    """A .NET [Flags] enum (AuthMechanism, PermissionGroups): canonical is the list of set names,
    in the enum's declared (bit) order, the order Exchange prints them; None is the empty list."""

    noun = "a known value"

    def __init__(self, names):
        self.names = tuple(names)
        self._by_lower = {name.lower(): name for name in self.names}
        self._order = {name: index for index, name in enumerate(self.names)}
        self.accepted = ("one or more of %s (a list or a comma-separated string; None only by itself)"
                         % ", ".join(self.names))

    def _sort_key(self, item):
        return (self._order.get(item, len(self._order)), item)

    def _parse_item(self, text):
        name = self._by_lower.get(text.lower())
        if name is None:
            raise _Reject("unknown name")
        return name

    def from_input(self, value, option):
        names = super().from_input(value, option)
        # "You can only use the value None by itself." (Set-ReceiveConnector.md, AuthMechanism)
        if "None" in names and len(names) > 1:
            raise InvalidValue(option, value, self.accepted, self.noun, "None cannot be combined")
        return [name for name in names if name != "None"]

    def _parse_exchange(self, raw):
        text = _text(raw)
        if text is None:
            return []
        if isinstance(text, (list, tuple)):
            parts = [str(_text(item)) for item in text]
        else:
            parts = str(text).split(",")
        names = []
        for part in (p.strip() for p in parts):
            if part and part != "None":
                # Keep a name this collection does not know rather than hide it.
                names.append(self._by_lower.get(part.lower(), part))
        return self._canonical_list(names)

    def to_parameter(self, canonical):
        # The enum's own text form ("Tls, BasicAuth"), which Enum.Parse reads back.
        return ", ".join(canonical) if canonical else "None"


ENUM = EnumKind
FLAGS = FlagsKind


# --- network values -----------------------------------------------------------------------------

def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise _Reject("not an IP address: %s" % text.strip()) from None


class IpRanges(_MultiKind):
    """Remote IP ranges. Canonical item: a single address if low == high, CIDR if the range is
    exactly one CIDR block, else ``low-high``; IPv6 compressed. So 10.0.0.0-10.0.0.255 and
    10.0.0.0/24 are the same value."""

    noun = "an IP range"
    accepted = ("a single address (10.1.2.3), a range (10.1.2.3-10.1.2.9) or CIDR (10.1.2.0/24), "
                "IPv4 or IPv6")

    def _bounds(self, text):
        """(low, high) addresses of one range, written in any accepted form."""
        if "/" in text:
            # Host bits may be set: "192.168.1.1/24" is a documented example (RemoteIPRanges in
            # Set-ReceiveConnector.md); it means the whole block.
            try:
                network = ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise _Reject("bad CIDR block") from None
            return network[0], network[-1]
        if "-" in text:
            parts = text.split("-")
            if len(parts) != 2:
                raise _Reject("a range has exactly one '-'")
            low, high = _address(parts[0]), _address(parts[1])
            if low.version != high.version:
                raise _Reject("the two ends are of different IP versions")
            if getattr(low, "scope_id", None) or getattr(high, "scope_id", None):
                raise _Reject("a range cannot carry an IPv6 zone")
            if int(low) > int(high):
                raise _Reject("the low address is above the high address")
            return low, high
        address = _address(text)
        return address, address

    def _parse_item(self, text):
        low, high = self._bounds(text)
        if low == high:
            # Keeps an IPv6 zone (fe80::1%11), which the docs show for single addresses.
            return str(low)
        size = int(high) - int(low) + 1
        if size & (size - 1) == 0 and int(low) % size == 0:
            prefix = low.max_prefixlen - (size.bit_length() - 1)
            return "%s/%d" % (low, prefix)
        return "%s-%s" % (low, high)

    def _sort_key(self, item):
        low, high = self._bounds(item)
        return (low.version, int(low), int(high), item)

    def to_parameter(self, canonical):
        result = []
        for item in canonical:
            if item.endswith("/0"):
                # GUESS: a /0 CIDR block may not parse; the low-high form is what Exchange itself
                # stores for "everything" (0.0.0.0-255.255.255.255 in the E19 capture).
                low, high = self._bounds(item)
                item = "%s-%s" % (low, high)
            result.append(item)
        return result


_BINDING_V6 = re.compile(r"\[(?P<address>[^\]]+)\]:(?P<port>\d+)")
_BINDING_V4 = re.compile(r"(?P<address>[0-9.]+):(?P<port>\d+)")


class Bindings(_MultiKind):
    """Local bindings ``address:port``, IPv6 as ``[address]:port`` (Set-ReceiveConnector.md,
    Bindings). Canonical: ``0.0.0.0:25``, ``[::]:25``."""

    noun = "a binding"
    accepted = "address:port with a port from 1 to 65535 (0.0.0.0:25, 10.1.2.3:2525, [::]:25)"

    def _split_binding(self, text):
        match = _BINDING_V6.fullmatch(text)
        version = 6
        if match is None:
            match = _BINDING_V4.fullmatch(text)
            version = 4
        if match is None:
            raise _Reject()
        address = _address(match.group("address"))
        if address.version != version:
            raise _Reject("IPv6 addresses go in brackets: [::]:25")
        port = int(match.group("port"))
        if not 1 <= port <= 65535:
            raise _Reject("the port must be from 1 to 65535")
        return address, port

    def _parse_item(self, text):
        address, port = self._split_binding(text)
        if address.version == 6:
            return "[%s]:%d" % (address, port)
        return "%s:%d" % (address, port)

    def _sort_key(self, item):
        address, port = self._split_binding(item)
        return (address.version, int(address), port)


# --- sizes and times ----------------------------------------------------------------------------

_BYTE_UNITS = {"b": 1, "kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3, "tb": 1024 ** 4}
# "36 MB (37,748,736 bytes)": Exchange's ByteQuantifiedSize text; the count in brackets is exact.
# Any separators in the count are dropped, so a culture that groups digits differently still reads.
_PRINTED_SIZE = re.compile(r"[\d.,]+\s*[KMGT]?B\s*\((?P<count>[\d.,\s\u00a0']+)\s*bytes\)", re.IGNORECASE)
_TYPED_SIZE = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[KMGT]?B)?", re.IGNORECASE)


class ByteSize(Kind):
    """Exchange's ByteQuantifiedSize (binary units: 1 KB = 1024 bytes). Canonical: an int of
    bytes, or 'Unlimited' for an Unlimited<ByteQuantifiedSize>."""

    noun = "a size"

    def __init__(self, minimum=None, maximum=None, unlimited=False):
        self.minimum = minimum
        self.maximum = maximum
        self.unlimited = unlimited
        self.accepted = "a byte count or a number with B, KB, MB, GB or TB (37748736, 36MB, 512 KB)"
        if minimum is not None or maximum is not None:
            self.accepted += ", %s bytes" % _range_text(minimum, maximum).strip()
        if unlimited:
            self.accepted += ", or Unlimited"

    def _parse(self, value):
        if self.unlimited and _is_unlimited(value):
            return UNLIMITED
        if isinstance(value, bool):
            raise _Reject()
        if isinstance(value, int):
            count = value
        elif isinstance(value, str):
            count = self._count_from_text(value.strip())
        else:
            raise _Reject()
        if count < 0:
            raise _Reject()
        return _check_bounds(count, self.minimum, self.maximum)

    @staticmethod
    def _count_from_text(text):
        printed = _PRINTED_SIZE.fullmatch(text)
        if printed:
            return int(re.sub(r"\D", "", printed.group("count")))
        typed = _TYPED_SIZE.fullmatch(text)
        if typed is None:
            raise _Reject()
        number = typed.group("number")
        multiplier = _BYTE_UNITS[(typed.group("unit") or "b").lower()]
        whole, _dot, fraction = number.partition(".")
        numerator = int(whole + fraction) * multiplier
        denominator = 10 ** len(fraction)
        if numerator % denominator:
            raise _Reject("not a whole number of bytes")
        return numerator // denominator

    def to_parameter(self, canonical):
        # A plain byte count: "Unqualified values are typically treated as bytes"
        # (Set-ReceiveConnector.md, MaxMessageSize/MaxHeaderSize).
        return str(canonical)


_TIMESPAN = re.compile(r"(?:(?P<days>\d+)\.)?(?P<hours>\d{1,2}):(?P<minutes>\d{2}):(?P<seconds>\d{2})")


class TimeSpan(Kind):
    """Exchange's EnhancedTimeSpan, canonical as Exchange prints it: ``hh:mm:ss`` or
    ``d.hh:mm:ss`` (Set-ReceiveConnector.md: "enter it as a time span: dd.hh:mm:ss")."""

    noun = "a time span"

    def __init__(self, minimum=None, maximum=None):
        # Bounds in seconds.
        self.minimum = minimum
        self.maximum = maximum
        bounds = ""
        if minimum is not None or maximum is not None:
            bounds = " (from %s to %s)" % (
                self._format(minimum) if minimum is not None else "00:00:00",
                self._format(maximum) if maximum is not None else "any")
        self.accepted = "hh:mm:ss, d.hh:mm:ss or a number of seconds%s" % bounds

    @staticmethod
    def _format(total):
        days, rest = divmod(total, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        clock = "%02d:%02d:%02d" % (hours, minutes, seconds)
        return "%d.%s" % (days, clock) if days else clock

    def _seconds(self, value):
        if isinstance(value, str):
            match = _TIMESPAN.fullmatch(value.strip())
            if match:
                hours, minutes, seconds = (int(match.group(n)) for n in ("hours", "minutes", "seconds"))
                if hours > 23 or minutes > 59 or seconds > 59:
                    raise _Reject("hours 0-23, minutes and seconds 0-59")
                return int(match.group("days") or 0) * 86400 + hours * 3600 + minutes * 60 + seconds
        # A bare number is seconds (never days, as .NET's TimeSpan.Parse would read "300").
        return _whole_number(value)

    def _parse(self, value):
        total = self._seconds(value)
        if total < 0:
            raise _Reject()
        return self._format(_check_bounds(total, self.minimum, self.maximum))


# --- names --------------------------------------------------------------------------------------

_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class Fqdn(Kind):
    """A DNS name, lower-cased (DNS names are case-insensitive; Exchange keeps the case typed)."""

    noun = "a DNS name"
    accepted = "a host name such as mail.contoso.com (letters, digits and hyphens)"

    def _parse(self, value):
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise _Reject()
        name = value.strip().lower()
        if name.endswith("."):
            name = name[:-1]
        # GUESS: Exchange's Fqdn type follows the DNS host-name rules (labels of letters, digits and
        # inner hyphens, at most 63 characters each, 253 in all); single-label names are allowed.
        if not name or len(name) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in name.split(".")):
            raise _Reject()
        return name


_SERVER_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class Server(Kind):
    """An Exchange server, canonical as its upper-cased short name.

    Server names are NetBIOS/AD computer names: case-insensitive, and Exchange prints them the
    way Windows stores them, in capitals (WIN-CTD3L0RGEN4 in the E19 capture). Upper case is
    therefore both a faithful display and a safe compare key.
    """

    noun = "a server name"
    accepted = "a server name such as MAIL1 (or its FQDN; only the host name counts)"

    def _parse(self, value):
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise _Reject()
        name = value.strip()
        if "." in name:
            # GUESS: an Exchange server's AD name is the first label of its FQDN.
            if FQDN._parse(name) is None:
                raise _Reject()
            name = name.split(".", 1)[0]
        if not _SERVER_NAME.fullmatch(name):
            raise _Reject()
        return name.upper()


def split_identity(text):
    """``SERVER\\Name`` -> (server, name). Server names cannot hold a backslash, so the first one
    splits. Raises ValueError if there is none."""
    server, sep, name = text.partition("\\")
    if not sep or not server or not name:
        raise ValueError("%r is not SERVER\\Name" % (text,))
    return server, name


def join_identity(server, name):
    return "%s\\%s" % (server, name)


def _simple_upper(text):
    """Each character's upper case where it is one character (ß stays ß), as Windows maps them."""
    return "".join(char.upper() if len(char.upper()) == 1 else char for char in text)


def same_name(left, right):
    """Whether two object names (connectors, servers) are the same name to Exchange.

    GUESS: Exchange compares names like Windows' ordinal ignore-case, one character's upper case for
    another's. Python's lower() alone equates more than that (the Kelvin sign with k, the Ohm sign with ω)
    and upper() alone other pairs (ſ with s), so two names are the same only when both agree: a name
    Exchange may tell apart is never taken for another object's (at worst Exchange refuses a duplicate).
    """
    if left is None or right is None:
        return False
    left, right = str(left), str(right)
    return left.lower() == right.lower() and _simple_upper(left) == _simple_upper(right)


class Identity(Kind):
    """A server-scoped identity ``SERVER\\Name`` (Get-ReceiveConnector's Identity), canonical with
    the server part as SERVER canonicalises it and the name as given."""

    noun = "an identity"
    accepted = "SERVER\\Name (for example MAIL1\\Anonymous Relay)"

    def _parse(self, value):
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise _Reject()
        try:
            server, name = split_identity(value.strip())
        except ValueError:
            raise _Reject() from None
        return join_identity(SERVER._parse(server), name)


# --- TLS certificate name -----------------------------------------------------------------------

def _split_unquoted(text, separator):
    """Split on ``separator`` outside double quotes and not escaped by a backslash (RFC 4514)."""
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted or escaped:
        raise _Reject("unbalanced quote or trailing backslash")
    parts.append("".join(current))
    return parts


def _strip_value(value):
    """Strip spaces around an attribute value, keeping an escaped trailing space ("a\\ ")."""
    stripped = value.strip()
    trailing_backslashes = len(stripped) - len(stripped.rstrip("\\"))
    if trailing_backslashes % 2 == 1:
        stripped += " "
    return stripped


_ATTRIBUTE_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+")


def _normalise_dn(dn):
    """One X.500 DN in one spelling: no spaces around '=', ',' and '+', attribute types in upper
    case, values untouched; RDNs joined with ', ' as Windows prints Issuer/Subject."""
    if not isinstance(dn, str) or not dn.strip():
        raise _Reject("empty distinguished name")
    rdns = []
    for rdn in _split_unquoted(dn, ","):
        avas = []
        for ava in _split_unquoted(rdn, "+"):
            attribute, sep, value = ava.partition("=")
            attribute, value = attribute.strip(), _strip_value(value)
            if not sep or not _ATTRIBUTE_TYPE.fullmatch(attribute) or not value:
                raise _Reject("%r is not TYPE=value" % ava.strip())
            avas.append("%s=%s" % (attribute.upper(), value))
        rdns.append("+".join(avas))
    return ", ".join(rdns)


def tls_certificate_name(issuer, subject):
    """The canonical ``<I>issuer<S>subject`` of a certificate (Set-ReceiveConnector.md,
    TlsCertificateName: "<I>$($TLSCert.Issuer)<S>$($TLSCert.Subject)"). Raises ValueError."""
    try:
        return "<I>%s<S>%s" % (_normalise_dn(issuer), _normalise_dn(subject))
    except _Reject as err:
        raise ValueError(err.reason) from None


_TLS_NAME = re.compile(r"\s*<I>(?P<issuer>.+?)<S>(?P<subject>.+)", re.IGNORECASE | re.DOTALL)


class TlsCertificateName(Kind):
    noun = "a TLS certificate name"
    accepted = "<I>issuer DN<S>subject DN (for example <I>CN=Contoso CA, O=Contoso<S>CN=mail.contoso.com)"

    def _parse(self, value):
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise _Reject()
        match = _TLS_NAME.fullmatch(value)
        if match is None:
            raise _Reject("missing <I> or <S>")
        return "<I>%s<S>%s" % (_normalise_dn(match.group("issuer")), _normalise_dn(match.group("subject")))


# --- Exchange Online inbound connector values ---------------------------------------------------

_WILDCARD_PREFIX = "*."


class SmtpDomain(Kind):
    """An SMTP domain, lower-cased: ``contoso.com``, ``*.contoso.com`` if ``wildcard``, ``*`` alone if
    ``any_domain``. "You can't embed the wildcard character" (New-InboundConnector.md, SenderDomains
    and TlsSenderCertificateName): only a leading ``*.`` is a wildcard. Empty means unset."""

    noun = "an SMTP domain"

    def __init__(self, wildcard=True, any_domain=False):
        self.wildcard = wildcard
        self.any_domain = any_domain
        forms = ["a domain such as contoso.com"]
        if wildcard:
            forms.append("*.contoso.com for a domain and its subdomains (a wildcard only as the first label)")
        if any_domain:
            forms.append("* for any domain")
        self.accepted = ", ".join(forms[:-1]) + " or " + forms[-1] if len(forms) > 1 else forms[0]

    def _parse(self, value):
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise _Reject("expected text")
        text = value.strip().lower()
        if text == "*":
            if self.any_domain:
                return text
            raise _Reject("* alone is not allowed here")
        wildcard = text.startswith(_WILDCARD_PREFIX)
        if wildcard and not self.wildcard:
            raise _Reject("no wildcard allowed here")
        rest = text[len(_WILDCARD_PREFIX):] if wildcard else text
        if "*" in rest:
            raise _Reject("a wildcard cannot be embedded")
        # GUESS: Exchange Online wants at least two labels in an SMTP domain (DNS names may have one).
        if "." not in rest.strip("."):
            raise _Reject("not a domain with at least two labels")
        name = FQDN._parse(rest)
        return _WILDCARD_PREFIX + name if wildcard else name


class SmtpDomains(_MultiKind):
    """A list of SmtpDomain values (AssociatedAcceptedDomains), sorted and duplicate-free."""

    noun = "an SMTP domain"

    def __init__(self, wildcard=True, any_domain=False):
        self.domain = SmtpDomain(wildcard=wildcard, any_domain=any_domain)
        self.accepted = self.domain.accepted

    def _parse_item(self, text):
        name = self.domain._parse(text)
        if name is None:
            raise _Reject("empty")
        return name


# An AddressSpace as Get-InboundConnector prints SenderDomains: "smtp:contoso.com;1", "smtp:*;1".
_ADDRESS_SPACE = re.compile(r"(?P<type>[A-Za-z0-9]+):(?P<domain>[^;]*)(?:;(?P<cost>\d+))?")


class SenderDomains(SmtpDomains):
    """Inbound connector SenderDomains, canonical as plain lower-case domains (``*`` kept).

    Get-InboundConnector prints them as address spaces (``smtp:*;1`` for ``*``, EXCHANGE.md 5);
    both forms are read, so the value a user writes and the one Exchange prints compare equal.
    """

    def __init__(self):
        super().__init__(wildcard=True, any_domain=True)
        self.accepted += " (the address space form smtp:contoso.com;1 is read too)"

    def _parse_item(self, text):
        space = _ADDRESS_SPACE.fullmatch(text)
        if space:
            if space.group("type").lower() != "smtp":
                raise _Reject("only smtp address spaces")
            # GUESS: the cost of an inbound connector's address space has no meaning (costs rank
            # outbound routes), so it is dropped: smtp:contoso.com;1 and contoso.com are equal.
            text = space.group("domain")
        return super()._parse_item(text)


class SenderIpAddresses(IpRanges):
    """Inbound connector SenderIPAddresses: IPv4 only, a single address or CIDR /24 to /32
    (New-InboundConnector.md, SenderIPAddresses: "Valid subnet mask values are /24 through /32",
    "IPv6 addresses are not supported"; the a-b range form is not documented for it).

    Canonical as IpRanges: ``10.1.2.3``, ``10.1.2.0/24`` (a /32 is the single address, host bits
    are dropped). What Exchange prints is read with IpRanges' wider rules, so an unexpected
    spelling of a valid range still compares."""

    noun = "a sender IP address"
    accepted = "an IPv4 address (203.0.113.10) or an IPv4 CIDR block from /24 to /32 (203.0.113.0/24)"

    def _parse_item(self, text):
        if "-" in text:
            raise _Reject("ranges a-b are not accepted for this option, use CIDR")
        address, _sep, prefix = text.partition("/")
        if _address(address).version != 4:
            raise _Reject("IPv6 is not supported")
        if _sep and not (prefix.isdigit() and 24 <= int(prefix) <= 32):
            raise _Reject("the prefix must be from /24 to /32")
        return super()._parse_item(text)

    def _parse_exchange(self, raw):
        return self._canonical_list(IpRanges._parse_item(self, str(_text(item)).strip()) for item in _items(raw))


# --- the kinds modules use ----------------------------------------------------------------------

STRING = String()
BOOL = Bool()
INT = Int()
UNLIMITED_INT = UnlimitedInt()
IP_RANGES = IpRanges()
BINDINGS = Bindings()
BYTE_SIZE = ByteSize(unlimited=True)
TIMESPAN = TimeSpan()
FQDN = Fqdn()
SERVER = Server()
IDENTITY = Identity()
TLS_CERTIFICATE_NAME = TlsCertificateName()
SENDER_DOMAINS = SenderDomains()
SENDER_IP_ADDRESSES = SenderIpAddresses()
