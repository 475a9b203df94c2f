# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compare/plan engine over the receive connector table, on a real capture."""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml, psobject

from ansible_collections.mailflow.exchange.plugins.module_utils._common import engine
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import InvalidValue
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    ROWS,
    check_name,
    combination_problems,
    connector_values,
)

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data")


@pytest.fixture(scope="module")
def frontend():
    with open(os.path.join(DATA, "E19-GetReceiveConnector.xml"), "rb") as capture:
        objects = clixml.plain_objects_from_export_clixml(capture.read())
    return connector_values(next(o for o in objects if psobject.property_value(o, "Name").startswith("Default Frontend")))


def test_argument_spec_types_follow_the_kinds():
    spec = engine.argument_spec(ROWS)
    assert spec["remote_ip_ranges"] == {"type": "raw"}  # a list, or an add/remove/set dict (list_edit)
    assert spec["enabled"] == {"type": "bool"}
    assert spec["max_message_size"] == {"type": "raw"}
    assert spec["max_hop_count"] == {"type": "int"}
    assert spec["banner"] == {"type": "str"}
    assert "identity" not in spec  # read-only: nothing sets it


def test_info_output_fed_back_has_no_differences(frontend):
    desired = engine.desired_values(frontend, ROWS)
    assert engine.differences(frontend, desired) == {}


def test_same_values_written_differently_have_no_differences(frontend):
    params = {"remote_ip_ranges": "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 0.0.0.0-255.255.255.255",
              "max_message_size": "36MB", "permission_groups": "exchangeservers,AnonymousUsers, ExchangeLegacyServers",
              "connection_timeout": 600}
    assert engine.differences(frontend, engine.desired_values(params, ROWS)) == {}


def test_one_changed_option_is_planned_alone(frontend):
    desired = engine.desired_values({"remote_ip_ranges": ["10.1.2.3"], "banner": "220 relay"}, ROWS)
    changes = engine.differences(frontend, desired)
    assert sorted(changes) == ["banner", "remote_ip_ranges"]
    assert changes["remote_ip_ranges"] == (["0.0.0.0/0", "::/0"], ["10.1.2.3"])
    parameters, refused = engine.parameters(desired, ROWS, list(changes), on_new=False)
    assert parameters == {"RemoteIPRanges": ["10.1.2.3"], "Banner": "220 relay"}
    assert refused == []


def test_options_new_does_not_take_are_left_for_set():
    desired = engine.desired_values({"smtp_utf8_enabled": True, "enabled": False}, ROWS)
    parameters, left_over = engine.parameters(desired, ROWS, list(desired), on_new=True)
    assert parameters == {"Enabled": False}
    assert left_over == ["smtp_utf8_enabled"]


def test_server_cannot_be_changed_by_set():
    desired = engine.desired_values({"server": "mail2"}, ROWS)
    refused = engine.parameters(desired, ROWS, ["server"], on_new=False)[1]
    assert refused == ["server"]


def test_invalid_input_names_the_option():
    with pytest.raises(InvalidValue, match="remote_ip_ranges.*10.0.0.0/33"):
        engine.desired_values({"remote_ip_ranges": ["10.0.0.1", "10.0.0.0/33"]}, ROWS)


@pytest.mark.parametrize("name", ["", "   ", "Relay\nInjected", "MAIL1\\Relay", "tab\there"])
def test_bad_names_are_refused(name):
    with pytest.raises(InvalidValue, match="name"):
        check_name(name)


def test_names_with_quotes_and_dollar_are_plain_text():
    check_name("Relay 'printers'; $(Remove-Item) \"x\"")


@pytest.mark.parametrize("values, problem", [
    ({"auth_mechanism": ["BasicAuth", "BasicAuthRequireTLS"]}, "BasicAuthRequireTLS needs BasicAuth and Tls"),
    ({"auth_mechanism": ["Tls", "Integrated", "ExternalAuthoritative"], "permission_groups": ["ExchangeServers"]},
     "ExternalAuthoritative can only be combined with Tls"),
    ({"auth_mechanism": ["Tls", "ExternalAuthoritative"], "permission_groups": ["AnonymousUsers"]},
     "needs permission_groups [ExchangeServers]"),
    ({"auth_mechanism": [], "require_tls": True}, "require_tls=true needs Tls"),
    ({"auth_mechanism": ["Integrated"], "domain_secure_enabled": True}, "domain_secure_enabled=true needs Tls"),
    ({"binary_mime_enabled": True, "chunking_enabled": False}, "binary_mime_enabled=true needs chunking_enabled"),
    ({"connection_timeout": "00:05:00", "connection_inactivity_timeout": "00:05:00"}, "must be shorter"),
])
def test_combination_rules(values, problem):
    assert any(problem in text for text in combination_problems(values))


def test_the_default_connectors_break_no_rule(frontend):
    assert combination_problems(frontend) == []
