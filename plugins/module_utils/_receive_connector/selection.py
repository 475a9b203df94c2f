# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which receive connector takes a connection, and why the others do not.

Pure functions over connectors in canonical form (receive_connector_info's values), so a
planned change can be previewed before anything is written.

The rule: Set-ReceiveConnector.md, RemoteIPRanges: "When remote IP address ranges overlap, the
Receive connector with the most specific match to the IP address of the connecting server is
used." EXCHANGE.md section 3 adds the local side: the connector must listen on the port, and one
bound to the specific local address beats one bound to all addresses (0.0.0.0).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.mailflow.exchange.plugins.module_utils._values.addresses import BINDINGS, IP_RANGES
from ansible_collections.mailflow.exchange.plugins.module_utils._values.ip_ranges import range_bounds, range_size

ALL_ADDRESSES = ("0.0.0.0/0", "::/0")


def parse_binding(text):
    """(address, port) of a canonical binding such as ``0.0.0.0:25`` or ``[::]:25``."""
    address, _colon, port = text.rpartition(":")
    return ipaddress.ip_address(address.strip("[]")), int(port)


def matching_range(ranges, source):
    """The smallest of ``ranges`` that contains ``source`` (canonical text), or None."""
    best = None
    for text in ranges or ():
        low, high = range_bounds(text)
        if low.version == source.version and low <= source <= high:
            if best is None or range_size(text) < range_size(best):
                best = text
    return best


def binding_match(bindings, local, port):
    """The connector's binding that serves ``local``:``port`` and how specifically (0 exact, 1 all addresses).

    (None, None) when it does not listen there.
    GUESS: a binding on all addresses serves both IP versions (0.0.0.0 and [::] alike), as a
    dual-stack listener on Windows does.
    """
    best = (None, None)
    for text in bindings or ():
        address, bound_port = parse_binding(text)
        if bound_port != port:
            continue
        if not local.is_unspecified and address == local:
            return text, 0
        if address.is_unspecified and best[1] is None:
            best = (text, 1)
    return best


def _label(connector):
    return "%s\\%s" % (connector.get("server"), connector.get("name"))


def select(connectors, server, source, local, port):
    """The winner (or None) and every connector of ``server`` with the reason it won or lost."""
    candidates, matched = [], []
    for connector in connectors:
        if str(connector.get("server", "")).lower() != server.lower():
            continue
        entry = dict(name=connector.get("name"), identity=_label(connector), selected=False,
                     binding=None, remote_ip_range=None, range_addresses=None)
        candidates.append(entry)
        binding, rank = binding_match(connector.get("bindings"), local, port)
        found = matching_range(connector.get("remote_ip_ranges"), source)
        if connector.get("enabled") is False:
            entry["reason"] = "disabled"
        elif binding is None:
            entry["reason"] = "does not listen on port %d (%s)" % (
                port, "neither on %s nor on all addresses" % local if not local.is_unspecified else "on all addresses")
        elif found is None:
            entry["reason"] = "%s is not in its remote IP ranges" % source
        else:
            entry.update(binding=binding, remote_ip_range=found, range_addresses=range_size(found))
            # GUESS: the remote range decides first and the local binding only breaks ties; Microsoft
            # documents the range rule alone. The name makes a (misconfigured) tie deterministic.
            matched.append(((range_size(found), rank, entry["name"].lower()), entry))
    if not matched:
        return None, candidates
    matched.sort(key=lambda item: item[0])
    winner_key, winner = matched[0]
    winner["selected"] = True
    winner["reason"] = "most specific match: %s is in %s (%d address%s), bound to %s" % (
        source, winner["remote_ip_range"], winner["range_addresses"],
        "" if winner["range_addresses"] == 1 else "es", winner["binding"])
    for key, entry in matched[1:]:
        if key[0] > winner_key[0]:
            entry["reason"] = "less specific: %s (%d addresses) is wider than %s (%d)" % (
                entry["remote_ip_range"], entry["range_addresses"], winner["remote_ip_range"],
                winner["range_addresses"])
        elif key[1] > winner_key[1]:
            entry["reason"] = "same remote range size, but bound to all addresses (%s) where %s names %s" % (
                entry["binding"], winner["name"], winner["binding"])
        else:
            entry["tie"] = winner["tie"] = True
            entry["reason"] = "tie with %s (the same range size and binding: Exchange refuses such overlaps); " \
                              "lost by name order" % winner["name"]
    return winner, candidates


def representative_sources(ranges):
    """The addresses that stand for a list of remote ranges: each range's first and last address."""
    sources = []
    for text in ranges or ():
        for address in range_bounds(text):
            if address not in sources:
                sources.append(address)
    return sources


def planned_moves(connectors, planned):
    """Sources the planned connector would take over from another connector of its server.

    ``planned`` holds the connector's values after the change (name, server, bindings,
    remote_ip_ranges, enabled). Each move names the source, the binding, the connector that
    handles it now (and by which range), whether that range is one of the all-addresses
    defaults (0.0.0.0/0, ::/0), which a relay connector is meant to take devices from, and
    whether the outcome is ambiguous (the planned connector would tie with the current one).
    """
    name = str(planned["name"]).lower()
    others = [c for c in connectors if not (str(c.get("name", "")).lower() == name
                                            and str(c.get("server", "")).lower() == planned["server"].lower())]
    after_connectors = others + [planned]
    moves = []
    for binding in planned.get("bindings") or ():
        local, port = parse_binding(binding)
        for source in representative_sources(planned.get("remote_ip_ranges")):
            now = select(connectors, planned["server"], source, local, port)[0]
            after = select(after_connectors, planned["server"], source, local, port)[0]
            if now is None or after is None or str(now["name"]).lower() == name:
                continue
            # A tie means the planned connector and another one match the source equally well: Exchange
            # wants each (binding, remote range) pair unique per server (EXCHANGE.md section 3).
            if str(after["name"]).lower() != name and not after.get("tie"):
                continue
            moves.append(dict(source=str(source), binding=binding, from_connector=now["name"],
                              from_range=now["remote_ip_range"], to_connector=planned["name"],
                              from_default_range=now["remote_ip_range"] in ALL_ADDRESSES,
                              ambiguous=bool(after.get("tie"))))
    return moves


def canonical_planned(planned, option="planned"):
    """The planned connector's bindings and ranges in canonical form (InvalidValue on bad input)."""
    result = dict(planned)
    result["bindings"] = BINDINGS.from_input(planned.get("bindings") or [], option + ".bindings")
    result["remote_ip_ranges"] = IP_RANGES.from_input(planned.get("remote_ip_ranges") or [],
                                                      option + ".remote_ip_ranges")
    return result
