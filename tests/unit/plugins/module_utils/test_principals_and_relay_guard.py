# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Principal matching by SID, rights spelling, and the open-relay guard."""

from __future__ import annotations

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import (
    RELAY_RIGHT,
    Ace,
    anyone_may_relay,
    canonical_rights,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import InvalidValue
from ansible_collections.mailflow.exchange.plugins.module_utils._values.ip_ranges import range_size, total_addresses
from ansible_collections.mailflow.exchange.plugins.module_utils._values.principals import Principal, canonical_sid, sid_in
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.relay_guard import (
    broad_ranges,
    broad_relay_problem,
    relay_principal_needs_guard,
)


@pytest.mark.parametrize("typed", ["NT AUTHORITY\\ANONYMOUS LOGON", "nt authority\\anonymous logon", "anonymous",
                                   "S-1-5-7", "s-1-5-7", "NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG"])
def test_anonymous_logon_in_any_spelling_is_s_1_5_7(typed):
    principal = Principal.from_input(typed)
    assert principal.sid == "S-1-5-7"
    assert principal.matches("NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG")
    assert principal.matches("AUTORITE NT\\ANONYMOUS LOGON")
    assert not principal.matches("NT AUTHORITY\\Authenticated Users")


def test_a_reported_sid_wins_over_the_name():
    principal = Principal.from_input("anonymous")
    assert principal.matches("some name the table lacks", "S-1-5-7")
    assert not principal.matches("NT AUTHORITY\\ANONYMOUS LOGON", "S-1-5-11")


@pytest.mark.parametrize("typed, canonical", [
    ("S-1-5-7", "S-1-5-7"), ("S-1-5-07", "S-1-5-7"), ("s-1-005-0007", "S-1-5-7"), ("S-1-0x5-7", "S-1-5-7"),
    ("S-1-0x000000000005-7", "S-1-5-7"), (" S-1-1-0 ", "S-1-1-0"), ("S-1-01-00", "S-1-1-0"),
    ("S-1-5-21-0001-2-3-01105", "S-1-5-21-1-2-3-1105"),
    ("S-1-0x100000000-1", "S-1-0x000100000000-1"), ("S-1-4294967296-1", "S-1-0x000100000000-1"),
    ("S-1-4294967295-1", "S-1-4294967295-1"),
])
def test_sids_are_read_as_windows_reads_them(typed, canonical):
    assert canonical_sid(typed) == canonical


@pytest.mark.parametrize("text", ["S-2-5-7", "S-1-5", "S-1-5-4294967296", "S-1-0x1000000000000-1", "S-1-5-7-",
                                  "S-1-5-0x7", "S-1-5-" + "-".join(["1"] * 16), "CONTOSO\\S-1-5-7",
                                  "S-1-5-\uff17", "S-1-5-\u0667"])
def test_what_is_no_sid(text):
    assert canonical_sid(text) is None


@pytest.mark.parametrize("typed", ["S-1-5-07", "s-1-0x5-7", "S-1-05-007"])
def test_anonymous_logon_spelled_with_leading_zeros_or_hex_is_anonymous(typed):
    principal = Principal.from_input(typed)
    assert principal.sid == "S-1-5-7"
    assert principal.matches("NT AUTHORITY\\ANONYMOUS LOGON")
    assert relay_principal_needs_guard(principal.sid)


@pytest.mark.parametrize("typed", ["S-1-5-99999999999", "S-2-5-7", "S-1-5-7x", "S-1-5-\uff17"])
def test_a_sid_shaped_user_that_is_no_sid_is_refused(typed):
    with pytest.raises(ValueError, match="is not a SID"):
        Principal.from_input(typed)


def test_a_reported_sid_is_compared_in_canonical_form():
    assert Principal.from_input("S-1-5-21-1-2-3-1105").matches("CONTOSO\\x", "S-1-5-21-01-2-3-1105")


@pytest.mark.parametrize("typed, guarded", [
    ("anonymous", True), ("Everyone", True), ("S-1-1-0", True),
    ("ANONYME ANMELDUNG IN EINER SPRACHE, DIE DIE TABELLE NICHT KENNT", True),   # cannot tell who: guarded
    ("CONTOSO\\svc-scanner", True),
    ("NT AUTHORITY\\Authenticated Users", False), ("S-1-5-11", False), ("S-1-5-21-1-2-3-1105", False),
])
def test_the_guard_applies_unless_the_principal_is_known_not_to_be_anyone(typed, guarded):
    assert relay_principal_needs_guard(Principal.from_input(typed).sid) is guarded


def test_domain_accounts_match_by_name():
    principal = Principal.from_input("CONTOSO\\svc-scanner")
    assert principal.sid is None
    assert principal.matches("contoso\\SVC-SCANNER")
    assert not principal.matches("CONTOSO\\svc-printer")


def test_sid_in_finds_a_sid_among_values():
    assert sid_in([None, "CONTOSO\\x", "S-1-5-21-1-2-3-1105"]) == "S-1-5-21-1-2-3-1105"
    assert sid_in(["CONTOSO\\x"]) is None


def test_rights_get_exchange_spelling_in_table_order():
    assert canonical_rights(["MS-EXCH-SMTP-ACCEPT-ANY-RECIPIENT", "ms-exch-smtp-submit"]) == [
        "ms-Exch-SMTP-Submit", "ms-Exch-SMTP-Accept-Any-Recipient"]


def test_unknown_right_names_the_option_and_the_choices():
    with pytest.raises(InvalidValue, match="extended_rights.*ms-Exch-SMTP-Relay.*ms-Exch-SMTP-Accept-Any-Recipient"):
        canonical_rights(["ms-Exch-SMTP-Relay"])


@pytest.mark.parametrize("text, size", [
    ("10.1.2.3", 1), ("10.1.2.0/24", 256), ("10.1.2.0-10.1.2.9", 10),
    ("0.0.0.0/0", 2 ** 32), ("::/0", 2 ** 128), ("2001:db8::/64", 2 ** 64),
])
def test_range_size(text, size):
    assert range_size(text) == size


@pytest.mark.parametrize("ranges, total", [
    ([], 0), (["10.1.2.0/24", "10.1.2.0/24"], 256), (["10.1.2.0/24", "10.1.2.128-10.1.3.3"], 260),
    (["10.%d.0.0/24" % i for i in range(4)], 1024), (["10.1.2.3", "::1", "::1"], 2),
    (["0.0.0.0/0", "10.0.0.0/8"], 2 ** 32),
])
def test_total_addresses_counts_overlaps_once(ranges, total):
    assert total_addresses(ranges) == total


def test_many_small_ranges_are_judged_together():
    slash_16 = ["10.1.%d.0/24" % i for i in range(256)]
    problem = broad_relay_problem("MAIL1\\Relay", slash_16, 256)
    assert problem and "65536" in problem
    assert "10.1.0.0/24, 10.1.1.0/24" in problem and "and 248 more" in problem and "10.1.255.0/24" not in problem
    assert broad_relay_problem("MAIL1\\Relay", ["10.1.2.0/25", "10.1.2.128/25"], 256) is None
    assert broad_relay_problem("MAIL1\\Relay", ["10.1.2.0/24", "10.1.3.0"], 256)
    # The same /24 listed twice is still 256 addresses.
    assert broad_relay_problem("MAIL1\\Relay", ["10.1.2.0/24", "10.1.2.0-10.1.2.255"], 256) is None


def test_broad_ranges_names_every_range_when_only_their_sum_is_too_broad():
    assert broad_ranges(["10.1.3.0/25", "10.1.2.0/24", "10.1.4.0/25"], 256) == [
        "10.1.2.0/24", "10.1.3.0/25", "10.1.4.0/25"]
    assert broad_ranges(["10.1.2.0/25", "10.1.2.128/25"], 256) == []


def test_broad_ranges_widest_first():
    assert broad_ranges(["10.1.2.3", "::/0", "10.0.0.0/16", "10.9.9.0/24"], 256) == ["::/0", "10.0.0.0/16"]


def test_open_relay_refusal_explains_and_allows_listed_devices():
    assert broad_relay_problem("MAIL1\\Relay", ["10.1.2.3", "10.1.2.4"], 256) is None
    problem = broad_relay_problem("MAIL1\\Relay", ["0.0.0.0/0"], 256)
    assert "open relay" in problem and "0.0.0.0/0" in problem and "allow_broad_relay" in problem


def _switch_object(present):
    """A SwitchParameter as plain data (psobject.py): an object whose ToString is True or False."""
    return {"types": ["System.Management.Automation.SwitchParameter"], "text": "True" if present else "False",
            "properties": {"IsPresent": present}}


@pytest.mark.parametrize("value, expected", [(True, True), (False, False), (None, False),
                                             (_switch_object(True), True), (_switch_object(False), False)])
def test_switch_values_are_read_by_their_meaning(value, expected):
    from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import _switch
    assert _switch(value) is expected


def _ace(user, sid, rights, deny=False, inherited=False):
    return Ace(user, sid, rights, [], deny, inherited)


@pytest.mark.parametrize("aces, relays", [
    ([_ace("NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG", "S-1-5-7", [RELAY_RIGHT])], True),
    ([_ace("Jeder", None, [RELAY_RIGHT], inherited=True)], True),
    ([_ace("NT AUTHORITY\\ANONYMOUS LOGON", "S-1-5-7", ["ms-Exch-SMTP-Submit"])], False),
    ([_ace("NT AUTHORITY\\Authenticated Users", "S-1-5-11", [RELAY_RIGHT])], False),
    ([_ace("NT AUTHORITY\\ANONYMOUS LOGON", "S-1-5-7", [RELAY_RIGHT], deny=True)], False),
    ([_ace("NT AUTHORITY\\ANONYMOUS LOGON", "S-1-5-07", [RELAY_RIGHT])], True),
    # A name neither the table nor a SID identifies may be anonymous in a language the table lacks.
    ([_ace("AUTORIDADE NT\\LOGON ANÔNIMO", None, [RELAY_RIGHT])], True),
    ([_ace("CONTOSO\\svc-scanner", "S-1-5-21-1-2-3-1105", [RELAY_RIGHT])], False),
    ([], False),
])
def test_anyone_may_relay_reads_anonymous_and_everyone_by_sid(aces, relays):
    assert anyone_may_relay(aces) is relays


def test_a_principal_name_matches_only_ignoring_case():
    # Windows compares account names ignoring case only: EXLAB\\Strasse is not EXLAB\\Straße.
    principal = Principal.from_input("EXLAB\\Strasse")
    assert principal.matches("exlab\\STRASSE")
    assert not principal.matches("EXLAB\\Straße")
