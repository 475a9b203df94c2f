# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ad_permission's extended_rights: a list with state/exclusive, or an add/remove/set edit."""

from __future__ import annotations

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import InvalidValue
from ansible_collections.mailflow.exchange.plugins.modules.ad_permission import RightsEdit, _rights_edit

SUBMIT, RELAY = "ms-Exch-SMTP-Submit", "ms-Exch-SMTP-Accept-Any-Recipient"


def rights(value, state="present", exclusive=False):
    return _rights_edit(dict(extended_rights=value, state=state, exclusive=exclusive))


def test_a_list_follows_state_and_exclusive():
    assert rights(["ms-exch-smtp-submit"]) == RightsEdit([SUBMIT], [], False)
    assert rights([SUBMIT], exclusive=True) == RightsEdit([SUBMIT], [], True)
    assert rights([SUBMIT], state="absent") == RightsEdit([], [SUBMIT], False)


def test_a_dict_adds_and_removes_in_one_task():
    assert rights({"add": [RELAY], "remove": ["ms-exch-smtp-submit"]}) == RightsEdit([RELAY], [SUBMIT], False)
    assert rights({"set": [SUBMIT]}) == RightsEdit([SUBMIT], [], True)


@pytest.mark.parametrize("state, exclusive", [("absent", False), ("present", True), ("absent", True)])
def test_a_dict_with_state_absent_or_exclusive_is_refused(state, exclusive):
    # state=absent with {add: [relay]} would otherwise grant relay to someone the task meant to take it from.
    with pytest.raises(InvalidValue, match=r"^extended_rights: .*a dict says itself what to add, remove or set"):
        rights({"add": [RELAY]}, state=state, exclusive=exclusive)


@pytest.mark.parametrize("value, reason", [
    ({"grant": [SUBMIT]}, "unknown key grant"),
    ({"set": [SUBMIT], "remove": [RELAY]}, "set cannot be combined"),
    ({"add": ["ms-Exch-Relay-Everything"]}, "extended_rights.add: 'ms-Exch-Relay-Everything'"),
    (7, "extended_rights: 7 is not a list or a list edit"),
])
def test_bad_shapes_are_refused_naming_the_option(value, reason):
    with pytest.raises(InvalidValue, match="^extended_rights") as err:
        rights(value)
    assert reason in str(err.value)
