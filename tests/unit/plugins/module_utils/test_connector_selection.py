# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The most-specific-match rule of receive connectors, and the preview of a planned connector."""

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import InvalidValue
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.selection import (
    canonical_planned,
    planned_moves,
    select,
)

SERVER = "MAIL1"


def connector(name, bindings, ranges, enabled=True, server=SERVER):
    return dict(name=name, server=server, bindings=bindings, remote_ip_ranges=ranges, enabled=enabled)


DEFAULT_FRONTEND = connector("Default Frontend MAIL1", ["0.0.0.0:25", "[::]:25"], ["0.0.0.0/0", "::/0"])
CLIENT_FRONTEND = connector("Client Frontend MAIL1", ["0.0.0.0:587", "[::]:587"], ["0.0.0.0/0", "::/0"])
RELAY = connector("RELAY MAIL1", ["0.0.0.0:25"], ["10.1.2.3", "10.1.2.0/28"])
LOCAL = connector("LOCAL MAIL1", ["10.0.0.5:25"], ["10.1.0.0/16"])
OTHER_SERVER = connector("RELAY MAIL2", ["0.0.0.0:25"], ["10.1.2.3"], server="MAIL2")
ALL = [DEFAULT_FRONTEND, CLIENT_FRONTEND, RELAY, LOCAL, OTHER_SERVER]


def winner(connectors, source, local="0.0.0.0", port=25):
    found, candidates = select(connectors, SERVER, ipaddress.ip_address(source), ipaddress.ip_address(local), port)
    return (found["name"] if found else None), {c["name"]: c["reason"] for c in candidates}


@pytest.mark.parametrize("source,local,expected", [
    ("10.1.2.3", "0.0.0.0", "RELAY MAIL1"),          # a single address beats everything wider
    ("10.1.2.9", "0.0.0.0", "RELAY MAIL1"),          # /28 beats 0.0.0.0/0
    ("10.1.9.9", "0.0.0.0", "Default Frontend MAIL1"),  # LOCAL is not reachable on 0.0.0.0
    ("10.1.9.9", "10.0.0.5", "LOCAL MAIL1"),          # /16 bound to the address beats /0
    ("10.1.2.3", "10.0.0.5", "RELAY MAIL1"),          # the range decides before the binding
    ("2001:db8::1", "0.0.0.0", "Default Frontend MAIL1"),
])
def test_the_most_specific_range_wins(source, local, expected):
    assert winner(ALL, source, local)[0] == expected


def test_every_loser_has_its_reason():
    found, reasons = winner(ALL, "10.1.2.3")
    assert found == "RELAY MAIL1"
    assert "RELAY MAIL2" not in reasons  # another server's connectors do not compete
    assert reasons["Client Frontend MAIL1"].startswith("does not listen")
    assert reasons["LOCAL MAIL1"].startswith("does not listen")
    assert reasons["Default Frontend MAIL1"].startswith("less specific: 0.0.0.0/0")
    assert reasons["RELAY MAIL1"].startswith("most specific match: 10.1.2.3 is in 10.1.2.3 (1 address)")


def test_equal_ranges_go_to_the_specific_binding():
    wide_local = connector("WIDE LOCAL", ["10.0.0.5:25"], ["0.0.0.0/0"])
    found, reasons = winner([DEFAULT_FRONTEND, wide_local], "10.9.9.9", "10.0.0.5")
    assert found == "WIDE LOCAL"
    assert "bound to all addresses" in reasons["Default Frontend MAIL1"]


def test_disabled_and_unlisted():
    found, reasons = winner([connector("OFF", ["0.0.0.0:25"], ["10.1.2.3"], enabled=False)], "10.1.2.3")
    assert found is None and reasons["OFF"] == "disabled"
    found, reasons = winner([RELAY], "10.9.9.9")
    assert found is None and "not in its remote IP ranges" in reasons["RELAY MAIL1"]


def test_planned_relay_takes_devices_from_the_default_range_only():
    planned = canonical_planned(dict(name="NEW MAIL1", server=SERVER, bindings=["0.0.0.0:25"],
                                     remote_ip_ranges=["10.5.0.1", "10.1.2.3"]))
    moves = planned_moves(ALL, planned)
    by_source = {move["source"]: move for move in moves}
    assert set(by_source) == {"10.5.0.1", "10.1.2.3"}
    assert by_source["10.5.0.1"]["from_connector"] == "Default Frontend MAIL1"
    assert by_source["10.5.0.1"]["from_default_range"] is True
    assert by_source["10.5.0.1"]["ambiguous"] is False
    # 10.1.2.3 is RELAY's own single address: the same pair twice, which Exchange refuses.
    assert by_source["10.1.2.3"]["ambiguous"] is True
    assert by_source["10.1.2.3"]["from_connector"] == "RELAY MAIL1"


def test_a_tie_is_ambiguous_whichever_name_sorts_first():
    planned = canonical_planned(dict(name="ZZZ MAIL1", server=SERVER, bindings=["0.0.0.0:25"],
                                     remote_ip_ranges=["10.1.2.3"]))
    (move,) = planned_moves(ALL, planned)
    assert move["ambiguous"] is True and move["from_connector"] == "RELAY MAIL1"


def test_planned_single_address_steals_from_a_narrower_connector():
    planned = canonical_planned(dict(name="PRINTER MAIL1", server=SERVER, bindings=["0.0.0.0:25"],
                                     remote_ip_ranges=["10.1.2.9"]))
    (move,) = planned_moves(ALL, planned)
    assert move["from_connector"] == "RELAY MAIL1"
    assert move["from_range"] == "10.1.2.0/28"
    assert move["from_default_range"] is False


def test_changing_an_existing_connector_is_not_a_move_from_itself():
    planned = canonical_planned(dict(RELAY, remote_ip_ranges=["10.1.2.3", "10.1.2.4"]))
    assert planned_moves(ALL, planned) == []


def test_bad_planned_values_name_the_option():
    with pytest.raises(InvalidValue) as err:
        canonical_planned(dict(name="X", server=SERVER, bindings=["0.0.0.0:99999"], remote_ip_ranges=["10.1.2.3"]))
    assert "planned.bindings" in str(err.value)
