# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exact identity for inbound connectors: refused names, every returned object checked, writes by GUID."""

from __future__ import annotations

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector import api
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    UnexpectedExchangeValue,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError

GUID = "9feb45ad-0cc9-43dc-a609-2110e2216c15"
RELAY = {"Name": "Relay", "Guid": GUID}
RELAY_PRINTERS = {"Name": "Relay Printers", "Guid": "0b3c0d1e-2f40-4a5b-8c6d-7e8f90a1b2c3"}


class AnsweringClient:
    """Answers each cmdlet with what a real tenant could: under the Get- page's Caution, every object."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def invoke(self, cmdlet, parameters=None):
        self.calls.append((cmdlet, parameters))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.mark.parametrize("name, reason", [
    ("Relay*", "wildcards"), ("Rel?y", "wildcards"), ("[R]elay", "wildcards"),
    ("Relay ", "trims surrounding spaces"), (" Relay", "trims surrounding spaces"),
    (GUID, "GUID"), ("{%s}" % GUID.upper(), "GUID"), ("CN=Relay,CN=Transport Settings", "CN="),
    ("", "empty"), ("R" * 65, "too long"), ("Relay\nSet-InboundConnector", "control characters"),
])
def test_names_that_could_match_another_connector_are_refused(name, reason):
    with pytest.raises(InvalidValue, match=reason):
        api.check_name(name)


def test_a_plain_name_with_powershell_syntax_is_accepted():
    api.check_name("Relay 'a'; $(x) & @{y=1} | #z")


def test_a_read_returning_every_connector_finds_only_the_named_one():
    # Get-InboundConnector.md (Caution): a non-existent Identity returns *all* objects.
    client = AnsweringClient([RELAY_PRINTERS, RELAY])
    assert api.get_connector(client, "relay") == RELAY
    assert api.get_connector(AnsweringClient([RELAY_PRINTERS]), "Relay") is None


@pytest.mark.parametrize("other", ["Relay \u212a", "Relay \u2126", "Relay \u212b", "Relay \u017f"])
def test_a_read_returning_every_connector_never_takes_a_look_alike_name_for_the_asked_one(other):
    # The Kelvin, Ohm and Angstrom signs lower() to k, ω and å, and the long s upper()s to S; Windows'
    # ordinal ignore-case tells them apart, so under the Get- page's Caution the other connector came back
    # for "Relay k" (and so on) and would have been changed or removed by its GUID.
    asked = {"Relay \u212a": "Relay k", "Relay \u2126": "Relay \u03c9", "Relay \u212b": "Relay \u00e5",
             "Relay \u017f": "Relay s"}[other]
    assert api.get_connector(AnsweringClient([RELAY, {"Name": other, "Guid": GUID}]), asked) is None


def test_names_differing_in_case_only_are_the_same_name():
    assert api.get_connector(AnsweringClient([{"Name": "RELAY Ärger", "Guid": GUID}]), "relay ärger")["Guid"] == GUID


def test_two_connectors_answering_to_the_name_are_an_error_not_a_choice():
    with pytest.raises(ExchangeError, match="2 inbound connectors named 'Relay'"):
        api.get_connector(AnsweringClient([RELAY, dict(RELAY, Guid="1" * 8 + GUID[8:])]), "Relay")


def test_not_found_is_none():
    missing = ExchangeError("couldn't be found", exception_type="Microsoft.Exchange.Configuration.Tasks."
                                                                "ManagementObjectNotFoundException")
    assert api.get_connector(AnsweringClient(missing), "Relay") is None


def test_writes_address_the_guid_read_first():
    assert api.write_identity(RELAY) == GUID
    assert api.write_identity({"Name": "Relay", "ExchangeObjectId": GUID}) == GUID
    assert api.write_identity({"Name": "Relay"}) == "Relay"


def test_a_list_with_something_else_than_connectors_is_refused():
    with pytest.raises(UnexpectedExchangeValue):
        api.list_connectors(AnsweringClient([RELAY, "not a connector"]))


def test_reads_are_repeated_until_the_change_shows_bounded():
    stale, fresh = dict(RELAY, Enabled=True), dict(RELAY, Enabled=False)
    client = AnsweringClient([stale], [stale], [fresh])
    slept = []
    found = api.read_until(client, "Relay", lambda c: c is not None and c["Enabled"] is False, sleep=slept.append)
    assert found == fresh and len(slept) == 2
    never = AnsweringClient(*[[stale]] * 20)
    api.read_until(never, "Relay", lambda c: False, sleep=slept.append)
    assert len(never.calls) <= api.REPLICATION_BACKOFF["attempts"]


def test_already_exists_is_recognised():
    assert api.already_exists(ExchangeError("x", category="ResourceExists"))
    assert api.already_exists(ExchangeError("An inbound connector with the name 'R' already exists."))
    assert not api.already_exists(ExchangeError("validation failed", category="InvalidData"))
