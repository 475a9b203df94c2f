# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module fails cleanly, in one shape, whatever goes wrong; a session ignores explicit options, saying so."""

from __future__ import annotations

import copy
import importlib
from pathlib import Path

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._common import exchange_module
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
    ExchangeOutcomeUnknown,
    RuleViolation,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import InvalidValue, UnexpectedExchangeValue

# The fixtures are used by name.
from ansible_collections.mailflow.exchange.tests.unit.plugins.modules.module_harness import (  # noqa: F401 pylint: disable=unused-import
    ONPREM_OPTIONS,
    fake,
    module_process,
    run_module,
    warnings_of,
)

THUMBPRINT = "5113AE0233A72FCCB75B1D0198628675333D010E"
# Each module with arguments that get it past its input checks to its first read.
MODULES = {
    "accepted_domain_info": {},
    "ad_permission": dict(connector="Relay", server="MAIL1", user="CONTOSO\\relay", extended_rights=["ms-Exch-SMTP-Submit"]),
    "ad_permission_info": dict(server="MAIL1"),
    "exchange_certificate_info": {},
    "inbound_connector": dict(name="Relay", state="absent"),
    "inbound_connector_audit": {},
    "inbound_connector_info": {},
    "inbound_connector_preview": dict(source="203.0.113.10"),
    "receive_connector": dict(name="Relay", server="MAIL1", state="absent"),
    "receive_connector_certificate": dict(server="MAIL1", thumbprint=THUMBPRINT),
    "receive_connector_info": {},
    "receive_connector_preview": dict(server="MAIL1", source="10.1.2.3"),
    "relay_audit": {},
}
COMMON_KEYS = ("msg", "cmdlet", "error_id", "applied", "changed")


# The same modules, each reading one object of the kind it reads with one value that cannot be read.
SERVER = "WIN-CTD3L0RGEN4"
CONNECTOR = "Client Frontend WIN-CTD3L0RGEN4"
DECODING = {
    "accepted_domain_info": {},
    "ad_permission": dict(connector=CONNECTOR, server=SERVER, user="CONTOSO\\relay",
                          extended_rights=["ms-Exch-SMTP-Submit"]),
    "ad_permission_info": dict(server=SERVER),
    "exchange_certificate_info": {},
    "inbound_connector": dict(name="Relay", enabled=True),
    "inbound_connector_audit": {},
    "inbound_connector_info": {},
    "inbound_connector_preview": dict(source="203.0.113.10"),
    "receive_connector": dict(name=CONNECTOR, server=SERVER, enabled=True),
    "receive_connector_certificate": dict(server=SERVER, thumbprint=THUMBPRINT),
    "receive_connector_info": {},
    "receive_connector_preview": dict(server=SERVER, source="10.1.2.3"),
    "relay_audit": {},
}
CAPTURE = Path(__file__).resolve().parents[2] / "data" / "E19-GetReceiveConnector.xml"


def _object(**properties):
    return {"types": ["System.Object"], "text": None, "properties": dict(properties)}


@pytest.fixture(scope="module")
def unreadable_answers():
    """A handler answering each read with an object holding one value nothing can read."""
    connector = copy.deepcopy(clixml.plain_objects_from_export_clixml(CAPTURE.read_bytes())[4])
    connector["properties"]["RemoteIPRanges"] = "every printer"
    answers = {
        "Get-ReceiveConnector": [connector],
        # An entry of another object: never read as one of the connector.
        "Get-ADPermission": [_object(Identity="OTHER\\Connector", User="S-1-5-7")],
        "Get-ExchangeCertificate": [_object(Thumbprint=THUMBPRINT, Identity="%s\\%s" % (SERVER, THUMBPRINT))],
        "Get-AcceptedDomain": [_object(Name="contoso", DomainName="not a domain!", DomainType="Authoritative")],
        "Get-InboundConnector": [{"Name": "Relay", "Guid": "2f1d4c3b-9a8e-4b7c-8d6e-5f4a3b2c1d0e",
                                  "SenderIPAddresses": ["every printer"]}],
    }

    def handler(cmdlet, parameters):
        return copy.deepcopy(answers[cmdlet])
    return handler


@pytest.mark.parametrize("name", sorted(DECODING))
def test_a_value_the_decoding_cannot_read_fails_every_module_cleanly(name, unreadable_answers, fake, capsys):
    client = fake(unreadable_answers)
    result = run_module(capsys, _module(name), dict(DECODING[name]))
    assert result["failed"] is True, result
    assert result["msg"].startswith("cannot read what Exchange"), result["msg"]
    assert all(key in result for key in COMMON_KEYS)
    assert result["changed"] is False and client.writes == []
    assert "exception" not in result and "Traceback" not in str(result)


def _module(name):
    return importlib.import_module("ansible_collections.mailflow.exchange.plugins.modules.%s" % name)


def _raising(error):
    def handler(cmdlet, parameters):
        raise error
    return handler


@pytest.mark.parametrize("name", sorted(MODULES))
def test_an_unreadable_value_fails_cleanly(name, fake, capsys):
    fake(_raising(UnexpectedExchangeValue("Exchange returned 'x', which is not a size")))
    result = run_module(capsys, _module(name), dict(MODULES[name]))
    assert result["failed"] is True
    assert result["msg"].startswith("cannot read what Exchange") and "'x', which is not a size" in result["msg"]
    assert all(key in result for key in COMMON_KEYS)
    assert result["applied"] == [] and result["changed"] is False
    assert "exception" not in result and "Traceback" not in str(result)


@pytest.mark.parametrize("error, msg, cmdlet", [
    (ExchangeError("denied", cmdlet="Get-ReceiveConnector", error_id="X,Y"), "Get-ReceiveConnector failed: denied",
     "Get-ReceiveConnector"),
    (ExchangeConnectionError("cannot connect"), "cannot connect", None),
    (ExchangeOutcomeUnknown("reset", cmdlet="Get-ReceiveConnector"), "Get-ReceiveConnector failed: reset",
     "Get-ReceiveConnector"),
    (InvalidValue("server", "x y", "a server name"), "server: 'x y' is not a valid value; use a server name", None),
    (RuleViolation("a rule"), "nothing was changed: a rule", None),
    (UnexpectedExchangeValue("odd"), "cannot read what Exchange returned: odd", None),
    (KeyError("bug"), "mailflow.exchange failed unexpectedly (KeyError: 'bug')", None),
])
def test_every_error_class_fails_in_the_one_shape(error, msg, cmdlet, fake, capsys):
    fake(_raising(error))
    result = run_module(capsys, _module("receive_connector_info"), {})
    assert result["failed"] is True
    assert result["msg"] == msg
    assert result["cmdlet"] == cmdlet
    assert result["applied"] == [] and result["changed"] is False
    assert all(key in result for key in COMMON_KEYS)
    assert "Traceback" not in result["msg"]


def test_a_failure_after_a_write_says_what_was_applied(fake, capsys):
    def handler(cmdlet, parameters):
        if cmdlet == "Get-ReceiveConnector":
            return []
        raise ExchangeError("refused", cmdlet=cmdlet)

    client = fake(handler)
    client.applied.append({"cmdlet": "New-ReceiveConnector", "identity": "MAIL1\\Relay", "parameters": ["Name"]})
    result = run_module(capsys, _module("receive_connector"), dict(
        name="Relay", server="MAIL1", bindings=["0.0.0.0:25"], remote_ip_ranges=["10.1.2.3"],
        permission_groups=["AnonymousUsers"]))
    assert result["failed"] is True
    assert result["changed"] is True and result["applied"][0]["cmdlet"] == "New-ReceiveConnector"


def _over_session(monkeypatch, target):
    """The task runs over a session connection whose target settings are ``target``."""
    monkeypatch.setattr(exchange_module, "session_socket", lambda module, kind: "/tmp/socket")
    monkeypatch.setattr(exchange_module, "session_target", lambda path: target)


def test_options_a_session_ignores_are_named_never_their_values(fake, monkeypatch, capsys):
    fake(lambda cmdlet, parameters: [])
    _over_session(monkeypatch, {"host": "exchange.test"})
    result = run_module(capsys, _module("receive_connector_info"), dict(ONPREM_OPTIONS))
    assert not result.get("failed"), result
    warnings = [w for w in warnings_of(result) if "it ignores these options" in w]
    assert len(warnings) == 1
    assert "mailflow.exchange.onprem_session" in warnings[0]
    assert warnings[0].endswith("options of the task: auth, host, password, username")
    assert "secret" not in warnings[0] and "exchange.test" not in warnings[0]


@pytest.mark.parametrize("name, args, target, option", [
    ("receive_connector_info", dict(ONPREM_OPTIONS, host="mail2.contoso.com"), {"host": "mail1.contoso.com"}, "host"),
    ("inbound_connector_info", dict(tenant="fabrikam.onmicrosoft.com"),
     {"tenant": "contoso.onmicrosoft.com", "exchange_url": None}, "tenant"),
    ("inbound_connector_info", dict(tenant="contoso.onmicrosoft.com", exchange_url="https://other.example/"),
     {"tenant": "contoso.onmicrosoft.com", "exchange_url": None}, "exchange_url"),
])
def test_a_task_naming_another_server_or_tenant_than_its_session_is_refused_before_any_call(
        name, args, target, option, fake, monkeypatch, capsys):
    client = fake(lambda cmdlet, parameters: [])
    _over_session(monkeypatch, target)
    result = run_module(capsys, _module(name), args)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("the task sets %s=" % option)
    assert "nothing was done" in result["msg"]
    assert client.sent == []
    assert "secret" not in result["msg"]


def test_a_task_naming_its_sessions_own_server_runs_with_the_warning(fake, monkeypatch, capsys):
    fake(lambda cmdlet, parameters: [])
    _over_session(monkeypatch, {"host": "EXCHANGE.test "})
    result = run_module(capsys, _module("receive_connector_info"), dict(ONPREM_OPTIONS))
    assert not result.get("failed"), result
    assert [w for w in warnings_of(result) if "it ignores these options" in w]


def test_no_warning_without_session_or_without_options(fake, monkeypatch, capsys):
    fake(lambda cmdlet, parameters: [])
    result = run_module(capsys, _module("receive_connector_info"), dict(ONPREM_OPTIONS))
    assert not [w for w in warnings_of(result) if "it ignores these options" in w]
    monkeypatch.setattr(exchange_module, "session_socket", lambda module, kind: "/tmp/socket")
    result = run_module(capsys, _module("inbound_connector_info"), {})
    assert not [w for w in warnings_of(result) if "it ignores these options" in w]


@pytest.mark.parametrize("name, args", [
    ("ad_permission", dict(connector="Relay", server="MAIL1", extended_rights=["ms-Exch-SMTP-Submit"])),
    ("ad_permission_info", dict(server="MAIL1")),
])
def test_a_user_shaped_like_a_sid_that_is_none_fails_before_any_read(name, args, fake, capsys):
    client = fake(lambda cmdlet, parameters: [])
    result = run_module(capsys, _module(name), dict(args, user="S-1-5-x"))
    assert result["failed"] is True and result["msg"].startswith("user: 'S-1-5-x' is not a SID")
    assert client.sent == []


def test_a_warning_that_echoes_a_password_shows_it_masked(fake, capsys):
    # ansible-core masks no_log values in a result but passes warnings on as they are: a connection library
    # echoing the password in an interrupted write's error reaches the user as the re-read's warning.
    sets = []
    connector = clixml.plain_objects_from_export_clixml(CAPTURE.read_bytes())[4]

    def handler(cmdlet, parameters):
        if cmdlet == "Set-ReceiveConnector" and not sets:
            sets.append(parameters)
            raise ExchangeOutcomeUnknown("connection lost (CONTOSO\\admin:%s)" % ONPREM_OPTIONS["password"],
                                         cmdlet=cmdlet)
        return [copy.deepcopy(connector)] if cmdlet == "Get-ReceiveConnector" else []

    fake(handler)
    result = run_module(capsys, _module("receive_connector"), dict(ONPREM_OPTIONS, name=CONNECTOR, server=SERVER,
                                                                   max_message_size="30MB"))
    warnings = [w for w in warnings_of(result) if "reading the object again" in w]
    assert warnings and ONPREM_OPTIONS["password"] not in str(result)
