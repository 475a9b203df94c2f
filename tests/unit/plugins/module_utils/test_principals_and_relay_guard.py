# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Principal matching by SID, rights spelling, and the open-relay guard."""

from __future__ import annotations

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils.ad_permission_api import (
    RELAY_RIGHT,
    Ace,
    anyone_may_relay,
    canonical_rights,
)
from ansible_collections.mailflow.exchange.plugins.module_utils.canonical import InvalidValue
from ansible_collections.mailflow.exchange.plugins.module_utils.principals import Principal, sid_in
from ansible_collections.mailflow.exchange.plugins.module_utils.relay_guard import (
    broad_ranges,
    open_relay_problem,
    range_size,
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


def test_broad_ranges_widest_first():
    assert broad_ranges(["10.1.2.3", "::/0", "10.0.0.0/16", "10.9.9.0/24"], 256) == ["::/0", "10.0.0.0/16"]


def test_open_relay_refusal_explains_and_allows_listed_devices():
    assert open_relay_problem("MAIL1\\Relay", ["10.1.2.3", "10.1.2.4"], 256) is None
    problem = open_relay_problem("MAIL1\\Relay", ["0.0.0.0/0"], 256)
    assert "open relay" in problem and "0.0.0.0/0" in problem and "allow_broad_relay" in problem


class _Switch:
    """A SwitchParameter as pypsrp hands it over: an object whose ToString is True or False."""

    def __init__(self, present):
        self.adapted_properties = {"IsPresent": present}
        self.extended_properties = {}
        self.to_string = "True" if present else "False"


@pytest.mark.parametrize("value, expected", [(True, True), (False, False), (None, False),
                                             (_Switch(True), True), (_Switch(False), False)])
def test_switch_values_are_read_by_their_meaning(value, expected):
    from ansible_collections.mailflow.exchange.plugins.module_utils.ad_permission_api import _switch
    assert _switch(value) is expected


def _ace(user, sid, rights, deny=False, inherited=False):
    return Ace(user, sid, rights, [], deny, inherited)


@pytest.mark.parametrize("aces, relays", [
    ([_ace("NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG", "S-1-5-7", [RELAY_RIGHT])], True),
    ([_ace("Jeder", None, [RELAY_RIGHT], inherited=True)], True),
    ([_ace("NT AUTHORITY\\ANONYMOUS LOGON", "S-1-5-7", ["ms-Exch-SMTP-Submit"])], False),
    ([_ace("NT AUTHORITY\\Authenticated Users", "S-1-5-11", [RELAY_RIGHT])], False),
    ([_ace("NT AUTHORITY\\ANONYMOUS LOGON", "S-1-5-7", [RELAY_RIGHT], deny=True)], False),
    ([], False),
])
def test_anyone_may_relay_reads_anonymous_and_everyone_by_sid(aces, relays):
    assert anyone_may_relay(aces) is relays
