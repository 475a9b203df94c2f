# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address arithmetic on remote IP ranges in canonical form (a single address, ``low-high`` or CIDR).

One place for what the open-relay guard, the audit and the connector preview count.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable, Union

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


def range_bounds(text: str) -> tuple[IPAddress, IPAddress]:
    """(first, last) address of a canonical remote range."""
    if "/" in text:
        network = ipaddress.ip_network(text, strict=False)
        return network[0], network[-1]
    if "-" in text:
        low, high = (ipaddress.ip_address(part) for part in text.split("-", 1))
        return low, high
    address = ipaddress.ip_address(text)
    return address, address


def range_size(text: str) -> int:
    """Number of addresses in one canonical remote range."""
    low, high = range_bounds(text)
    return int(high) - int(low) + 1


def total_addresses(ranges: Iterable[str] | None) -> int:
    """Number of distinct addresses all ``ranges`` hold together: overlaps and duplicates count once."""
    networks = {4: [], 6: []}
    for text in ranges or ():
        low, high = range_bounds(text)
        networks[low.version].extend(ipaddress.summarize_address_range(low, high))
    return sum(network.num_addresses
               for version in networks.values() for network in ipaddress.collapse_addresses(version))
