# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IP addresses as Exchange options take them: remote IP ranges, local bindings (address:port) and the
sender addresses of an Exchange Online inbound connector. How many addresses ranges hold: ip_ranges.py.
"""
from __future__ import annotations

import ipaddress
import re

from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    MultiKind,
    Rejected,
    items_of,
    text_of,
)


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise Rejected("not an IP address: %s" % text.strip()) from None


class IpRanges(MultiKind):
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
                raise Rejected("bad CIDR block") from None
            return network[0], network[-1]
        if "-" in text:
            parts = text.split("-")
            if len(parts) != 2:
                raise Rejected("a range has exactly one '-'")
            low, high = _address(parts[0]), _address(parts[1])
            if low.version != high.version:
                raise Rejected("the two ends are of different IP versions")
            if getattr(low, "scope_id", None) or getattr(high, "scope_id", None):
                raise Rejected("a range cannot carry an IPv6 zone")
            if int(low) > int(high):
                raise Rejected("the low address is above the high address")
            return low, high
        address = _address(text)
        return address, address

    def parse_item(self, text):
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


class Bindings(MultiKind):
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
            raise Rejected()
        address = _address(match.group("address"))
        if address.version != version:
            raise Rejected("IPv6 addresses go in brackets: [::]:25")
        port = int(match.group("port"))
        if not 1 <= port <= 65535:
            raise Rejected("the port must be from 1 to 65535")
        return address, port

    def parse_item(self, text):
        address, port = self._split_binding(text)
        if address.version == 6:
            return "[%s]:%d" % (address, port)
        return "%s:%d" % (address, port)

    def _sort_key(self, item):
        address, port = self._split_binding(item)
        return (address.version, int(address), port)


class SenderIpAddresses(IpRanges):
    """Inbound connector SenderIPAddresses: IPv4 only, a single address or CIDR /24 to /32
    (New-InboundConnector.md, SenderIPAddresses: "Valid subnet mask values are /24 through /32",
    "IPv6 addresses are not supported"; the a-b range form is not documented for it).

    Canonical as IpRanges: ``10.1.2.3``, ``10.1.2.0/24`` (a /32 is the single address, host bits
    are dropped). What Exchange prints is read with IpRanges' wider rules, so an unexpected
    spelling of a valid range still compares."""

    noun = "a sender IP address"
    accepted = "an IPv4 address (203.0.113.10) or an IPv4 CIDR block from /24 to /32 (203.0.113.0/24)"

    def parse_item(self, text):
        if "-" in text:
            raise Rejected("ranges a-b are not accepted for this option, use CIDR")
        address, _sep, prefix = text.partition("/")
        if _address(address).version != 4:
            raise Rejected("IPv6 is not supported")
        if _sep and not (prefix.isdigit() and 24 <= int(prefix) <= 32):
            raise Rejected("the prefix must be from /24 to /32")
        return super().parse_item(text)

    def _parse_exchange(self, raw):
        read_widely = super().parse_item
        return self._canonical_list(read_widely(str(text_of(item)).strip()) for item in items_of(raw))


IP_RANGES = IpRanges()
BINDINGS = Bindings()
SENDER_IP_ADDRESSES = SenderIpAddresses()
