# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""List edits of multi-valued options: shapes, canonical comparison, ranges, and the delta sent."""

from __future__ import annotations

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._common import list_edit
from ansible_collections.mailflow.exchange.plugins.module_utils._values.addresses import (
    BINDINGS,
    IP_RANGES,
    SENDER_IP_ADDRESSES,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import SENDER_DOMAINS
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import InvalidValue
from ansible_collections.mailflow.exchange.plugins.module_utils._values.scalars import FlagsKind
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.table import AUTH_MECHANISMS
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.table import ROWS as RC_ROWS
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.table import ROWS as IC_ROWS

AUTH = FlagsKind(AUTH_MECHANISMS)


def edit(value, kind=IP_RANGES, option="remote_ip_ranges"):
    return list_edit.parse(option, value, kind)


def resolved(current, value, kind=IP_RANGES):
    return list_edit.resolve("remote_ip_ranges", current, edit(value, kind), kind)


# --- shapes ---------------------------------------------------------------------------------------

def test_a_list_is_the_whole_value_in_canonical_form():
    assert edit(["10.1.2.0-10.1.2.255", "10.1.2.3"]) == list_edit.ListEdit(["10.1.2.0/24", "10.1.2.3"], [], [])
    assert edit({"set": ["10.1.2.4"]}) == list_edit.ListEdit(["10.1.2.4"], [], [])


def test_add_and_remove_are_canonical():
    parsed = edit({"add": ["10.1.2.5/32"], "remove": "10.1.3.0-10.1.3.255"})
    assert parsed == list_edit.ListEdit(None, ["10.1.2.5"], ["10.1.3.0/24"])


@pytest.mark.parametrize("value, reason", [
    ({"append": ["10.1.2.5"]}, "unknown key append"),
    ({"set": ["10.1.2.5"], "add": ["10.1.2.6"]}, "set cannot be combined with add or remove"),
    ({}, "empty"),
    ({"add": ["10.1.2.5"], "remove": ["10.1.2.5/32"]}, "10.1.2.5 is both added and removed"),
])
def test_bad_shapes_name_the_option_and_the_accepted_form(value, reason):
    with pytest.raises(InvalidValue) as err:
        edit(value)
    assert str(err.value).startswith("remote_ip_ranges: ")
    assert reason in str(err.value)
    assert "a dict with add and/or remove" in str(err.value)


def test_a_non_list_under_a_key_is_refused_naming_the_key():
    with pytest.raises(InvalidValue, match=r"^remote_ip_ranges\.add: .*a list of values"):
        edit({"add": {"ip": "10.1.2.5"}})
    with pytest.raises(InvalidValue, match=r"^remote_ip_ranges: 5 is not a list or a list edit"):
        edit(5)


def test_a_bad_item_is_named_with_its_key():
    with pytest.raises(InvalidValue, match=r"^remote_ip_ranges\.remove: 'printer' is not an IP range"):
        edit({"remove": ["printer"]})


# --- resolving against the current value -----------------------------------------------------------

def test_add_a_new_device():
    assert resolved(["10.1.2.3"], {"add": ["10.1.2.5"]}) == list_edit.Resolved(
        ["10.1.2.3", "10.1.2.5"], ["10.1.2.5"], [])


def test_readding_a_present_value_or_one_covered_by_a_range_changes_nothing():
    assert resolved(["10.1.2.5"], {"add": ["10.1.2.5/32"]}) == list_edit.Resolved(["10.1.2.5"], [], [])
    assert resolved(["10.1.2.0-10.1.2.255"], {"add": ["10.1.2.0/24", "10.1.2.7", "10.1.2.8-10.1.2.9"]}) == \
        list_edit.Resolved(["10.1.2.0-10.1.2.255"], [], [])


def test_remove_a_device_and_a_missing_one():
    assert resolved(["10.1.2.3", "10.1.2.4"], {"remove": ["10.1.2.4", "10.9.9.9"]}) == list_edit.Resolved(
        ["10.1.2.3"], [], ["10.1.2.4"])
    assert resolved(["10.1.2.3"], {"remove": ["10.9.9.9"]}) == list_edit.Resolved(["10.1.2.3"], [], [])


def test_removing_a_range_takes_every_entry_inside_it():
    assert resolved(["10.1.2.3", "10.1.2.0/25", "10.1.3.1"], {"remove": ["10.1.2.0-10.1.2.255"]}) == \
        list_edit.Resolved(["10.1.3.1"], [], ["10.1.2.3", "10.1.2.0/25"])


@pytest.mark.parametrize("current", [["10.1.2.0/24"], ["10.1.2.4-10.1.2.9"]])
def test_removing_part_of_a_wider_entry_is_refused_rather_than_split(current):
    with pytest.raises(InvalidValue) as err:
        resolved(current, {"remove": ["10.1.2.5"]})
    message = str(err.value)
    assert message.startswith("remote_ip_ranges.remove: '10.1.2.5'")
    assert "holds addresses outside it too" in message and "nothing was changed" in message


def test_mixed_add_and_remove():
    assert resolved(["10.1.2.3", "10.1.2.4"], {"add": ["10.1.2.6"], "remove": ["10.1.2.4"]}) == \
        list_edit.Resolved(["10.1.2.3", "10.1.2.6"], ["10.1.2.6"], ["10.1.2.4"])


def test_adding_inside_a_removed_range_keeps_that_part():
    assert resolved(["10.1.2.0/24"], {"remove": ["10.1.2.0/24"], "add": ["10.1.2.5"]}) == \
        list_edit.Resolved(["10.1.2.5"], ["10.1.2.5"], ["10.1.2.0/24"])


@pytest.mark.parametrize("current, value", [
    (["10.1.2.5"], {"add": ["10.1.2.0/24"], "remove": ["10.1.2.5"]}),
    ([], {"add": ["10.1.2.0/25"], "remove": ["10.1.2.64-10.1.2.200"]}),
])
def test_an_add_that_accepts_again_what_the_same_task_removes_is_refused(current, value):
    # Afterwards the removed address would still be accepted, behind the admin's back.
    with pytest.raises(InvalidValue, match=r"^remote_ip_ranges\.add: .*which the same task removes"):
        resolved(current, value)


def test_the_whole_value_reports_its_delta_too():
    assert resolved(["10.1.2.3", "10.1.2.4"], ["10.1.2.4", "10.1.2.9"]) == list_edit.Resolved(
        ["10.1.2.4", "10.1.2.9"], ["10.1.2.9"], ["10.1.2.3"])


def test_other_kinds_compare_canonical_values():
    domains = edit({"add": ["smtp:Contoso.com;1", "fabrikam.com"]}, SENDER_DOMAINS)
    assert list_edit.resolve("sender_domains", ["contoso.com"], domains, SENDER_DOMAINS) == \
        list_edit.Resolved(["contoso.com", "fabrikam.com"], ["fabrikam.com"], [])
    assert list_edit.resolve("bindings", ["0.0.0.0:25"], edit({"remove": ["0.0.0.0:25"]}, BINDINGS), BINDINGS) == \
        list_edit.Resolved([], [], ["0.0.0.0:25"])
    assert list_edit.resolve("auth_mechanism", ["Tls"], edit({"add": ["basicauth", "BasicAuthRequireTLS"]}, AUTH),
                             AUTH).after == ["Tls", "BasicAuth", "BasicAuthRequireTLS"]


def test_sender_ip_addresses_cover_by_address():
    kind = SENDER_IP_ADDRESSES
    assert list_edit.resolve("sender_ip_addresses", ["203.0.113.0/24"],
                             edit({"add": ["203.0.113.9"]}, kind), kind).added == []


# --- what is sent -----------------------------------------------------------------------------------

def test_only_multivalued_properties_take_a_delta():
    kinds = {row.option: row.kind for row in RC_ROWS + IC_ROWS}
    assert [option for option, kind in kinds.items() if list_edit.sends_delta(kind)] == [
        "bindings", "remote_ip_ranges", "sender_domains", "sender_ip_addresses", "associated_accepted_domains"]


def test_parse_options_keeps_edits_apart_and_turns_set_into_the_list():
    params = {"remote_ip_ranges": {"add": ["10.1.2.5"]}, "bindings": {"set": ["0.0.0.0:25"]},
              "permission_groups": ["AnonymousUsers"], "banner": None}
    edits, plain = list_edit.parse_options(params, RC_ROWS)
    assert edits == {"remote_ip_ranges": list_edit.ListEdit(None, ["10.1.2.5"], [])}
    assert plain == dict(params, remote_ip_ranges=None, bindings=["0.0.0.0:25"])


def test_delta_parameters_replace_only_edited_multivalued_properties():
    edits, _plain = list_edit.parse_options({"remote_ip_ranges": {"add": ["10.1.2.5"], "remove": ["0.0.0.0/0"]},
                                             "auth_mechanism": {"add": ["BasicAuth"]}}, RC_ROWS)
    resolved_options = list_edit.resolve_options(edits, {"remote_ip_ranges": ["0.0.0.0/0"],
                                                         "auth_mechanism": ["Tls"]}, RC_ROWS)
    parameters = {"RemoteIPRanges": ["10.1.2.5"], "AuthMechanism": "Tls, BasicAuth", "Banner": "x"}
    assert list_edit.delta_parameters(parameters, resolved_options, RC_ROWS) == {
        "RemoteIPRanges": {"Add": ["10.1.2.5"], "Remove": ["0.0.0.0-255.255.255.255"]},
        "AuthMechanism": "Tls, BasicAuth", "Banner": "x"}


def test_the_rest_delta_carries_its_odata_type():
    delta = list_edit.Resolved(["203.0.113.9"], ["203.0.113.9"], [])
    assert list_edit.delta_parameter(SENDER_IP_ADDRESSES, delta, odata=True) == {
        "@odata.type": "#Exchange.GenericHashTable", "Add": ["203.0.113.9"]}


# --- a dict or a list for a single-valued option ---------------------------------------------------

@pytest.mark.parametrize("rows, option, value", [
    (RC_ROWS, "comment", {"add": ["printer 5"]}),
    (RC_ROWS, "fqdn", ["mail.contoso.com"]),
    (IC_ROWS, "comment", {"set": ["x"]}),
    (IC_ROWS, "name", {"add": "Relay"}),
])
def test_an_edit_or_a_list_for_a_single_valued_option_is_refused(rows, option, value):
    # Ansible hands the module the text "{'add': ['printer 5']}" for a type str option: only the
    # arguments as written show the mistake.
    params = {option: str(value)}
    with pytest.raises(InvalidValue, match=r"^%s: .*only fits a multi-valued option" % option):
        list_edit.parse_options(params, rows, given={option: value})


def test_text_for_a_single_valued_option_and_edits_for_multi_valued_ones_pass():
    given = {"comment": "{'add': ['x']} is a fine comment", "remote_ip_ranges": {"add": ["10.1.2.5"]}}
    edits, plain = list_edit.parse_options(dict(given), RC_ROWS, given=given)
    assert list(edits) == ["remote_ip_ranges"] and plain["comment"] == given["comment"]
