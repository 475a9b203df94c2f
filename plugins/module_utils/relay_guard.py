# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The open-relay guard: how wide a remote range may be before anonymous relay is refused.

Seed 002 calls removing the default 0.0.0.0-255.255.255.255 range "very important":
an anonymous connector with the relay right and a broad range is an open relay.
"""

from __future__ import annotations

import ipaddress

DEFAULT_MAX_ADDRESSES = 256


def range_size(text):
    """Number of addresses in a canonical remote range (single, low-high or CIDR)."""
    if "/" in text:
        return ipaddress.ip_network(text, strict=False).num_addresses
    if "-" in text:
        low, high = (ipaddress.ip_address(part) for part in text.split("-", 1))
        return int(high) - int(low) + 1
    return 1


def broad_ranges(ranges, max_addresses):
    """The ranges wider than ``max_addresses``, widest first."""
    sized = [(range_size(text), text) for text in ranges or ()]
    return [text for size, text in sorted(sized, reverse=True) if size > max_addresses]


def open_relay_problem(connector, ranges, max_addresses):
    """A refusal message if anonymous relay on ``ranges`` would exceed ``max_addresses``, else None."""
    broad = broad_ranges(ranges, max_addresses)
    if not broad:
        return None
    return ("refusing anonymous relay on %s: remote ranges %s hold more than %d addresses, so anyone "
            "there could relay mail to any domain (an open relay). List only the devices' addresses, or "
            "raise the limit (relay_max_addresses) or set allow_broad_relay=true if this is really meant"
            % (connector, ", ".join(broad), max_addresses))
