# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The open-relay guard: how wide a remote range may be before anonymous relay is refused.

Exchange relay how-tos call removing the default 0.0.0.0-255.255.255.255 range "very important":
an anonymous connector with the relay right and a broad range is an open relay.
"""

from __future__ import annotations

from typing import Iterable

from ansible_collections.mailflow.exchange.plugins.module_utils._values.ip_ranges import range_bounds, range_size, total_addresses
from ansible_collections.mailflow.exchange.plugins.module_utils._values.principals import ANYONE_SIDS

DEFAULT_MAX_ADDRESSES = 256


def broad_ranges(ranges: Iterable[str] | None, max_addresses: int) -> list[str]:
    """The ranges that make the relay too broad, widest first.

    The ranges are judged together: 256 separate /24s are a /16. When no range alone holds more than
    ``max_addresses`` but all of them together (overlaps counted once) do, every range is returned,
    since none of them can be named as the one to drop.
    """
    ranges = list(ranges or ())
    widest_first = sorted(ranges, key=_widest_first)
    alone = [text for text in widest_first if range_size(text) > max_addresses]
    if alone:
        return alone
    return widest_first if total_addresses(ranges) > max_addresses else []


def _widest_first(text):
    low = range_bounds(text)[0]
    return -range_size(text), low.version, int(low)


def relay_principal_needs_guard(sid: str | None) -> bool:
    """Whether granting relay to the principal with ``sid`` can open the relay to anyone who connects.

    True for Anonymous Logon and Everyone, and when the SID is not known (None): a name the guard
    cannot resolve may be a localised spelling of either, so it is treated as one of them.
    """
    return sid is None or sid in ANYONE_SIDS


def broad_relay_problem(connector: str, ranges: Iterable[str] | None, max_addresses: int) -> str | None:
    """A refusal message if anonymous relay on ``ranges`` would exceed ``max_addresses``, else None."""
    broad = broad_ranges(ranges, max_addresses)
    if not broad:
        return None
    return ("refusing anonymous relay on %s: remote ranges %s hold %d addresses together, more than %d, so anyone "
            "there could relay mail to any domain (an open relay). List only the devices' addresses, or "
            "raise the limit (relay_max_addresses) or set allow_broad_relay=true if this is really meant"
            % (connector, _listed(broad), total_addresses(ranges), max_addresses))


_LISTED_RANGES = 8


def _listed(ranges):
    """The widest ranges by name, and how many more there are, so 256 small ranges make a readable message."""
    shown = ", ".join(ranges[:_LISTED_RANGES])
    more = len(ranges) - _LISTED_RANGES
    return shown if more <= 0 else "%s and %d more" % (shown, more)
