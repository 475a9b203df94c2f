# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The session's rule for a broken session: reopen once, repeat only what certainly did not run or reads.

The session holds stand-in clients (the client is the extension point, see _new_client);
the code under test is the session's own decision and bookkeeping.
"""

from __future__ import annotations

import json
import signal
import time

import pytest
from ansible.playbook.play_context import PlayContext

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.client import ONPREM_CONNECTION_SPEC
from ansible_collections.mailflow.exchange.plugins.module_utils._common.retry import is_read
from ansible_collections.mailflow.exchange.plugins.plugin_utils.exchange_session import (
    ExchangeSession,
    params_from_options,
)


class StandInClient:
    """Runs a script of outcomes, one per call: an exception to raise or output to return."""

    def __init__(self, outcomes):
        self.outcomes = outcomes
        self.calls = []
        self.closed = False
        self.warnings = []

    def invoke_pipeline(self, commands):
        self.calls.append(commands)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def close(self):
        self.closed = True

    def close_after_failure(self):
        self.closed = "after failure"


class ScriptedSession(ExchangeSession):
    """A session whose clients follow ``scripts`` (one list of outcomes per client it opens)."""

    transport = "test"
    kind = "test"

    def __init__(self, scripts, problem=None):
        super().__init__(PlayContext())
        self.scripts = list(scripts)
        self.clients = []
        self.problem = problem

    def _client_params(self):
        if self.problem:
            raise ExchangeConnectionError(self.problem)
        return {}

    def _new_client(self, params, warn):
        client = StandInClient(self.scripts.pop(0))
        self.clients.append(client)
        return client

    def _warnings(self, params):
        return ["settings warning"]

    def _encode(self, output):
        return output


def invoke(session, *commands):
    return json.loads(session.exchange_invoke(json.dumps({"commands": [list(c) for c in commands]})))


def broken(not_run=False):
    error = ExchangeConnectionError("cannot reach http://mail1/PowerShell: connection reset")
    error.command_not_run = not_run
    return error


GET = ("Get-ReceiveConnector", {"Identity": "MAIL1\\Relay"})
SET = ("Set-ReceiveConnector", {"Identity": "MAIL1\\Relay", "Banner": "220 x"})


def test_one_client_serves_every_call():
    session = ScriptedSession([[["a"], ["b"], ["c"]]])
    answers = [invoke(session, GET), invoke(session, SET), invoke(session, GET)]
    assert [a["output"] for a in answers] == [["a"], ["b"], ["c"]]
    assert len(session.clients) == 1
    assert answers[0]["warnings"] == ["settings warning"]


def test_a_read_on_a_broken_session_is_repeated_once_on_a_new_one():
    session = ScriptedSession([[["first"], broken()], [["again"]]])
    invoke(session, GET)
    answer = invoke(session, GET)
    assert answer["output"] == ["again"]
    assert session.clients[0].closed
    assert session.clients[1].calls == [[GET]]


def test_a_write_with_unknown_outcome_is_reported_never_repeated():
    session = ScriptedSession([[["first"], broken()], [["must not run"]]])
    invoke(session, GET)
    answer = invoke(session, SET)
    assert answer["error"]["connection"] is True
    assert "connection reset" in answer["error"]["message"]
    assert len(session.clients) == 1 and session.clients[0].closed
    # The next call opens a new session rather than reusing the broken one.
    assert invoke(session, GET)["output"] == ["must not run"]


def test_a_write_that_certainly_did_not_run_is_repeated_once():
    session = ScriptedSession([[["first"], broken(not_run=True)], [["created"]]])
    invoke(session, GET)
    assert invoke(session, SET)["output"] == ["created"]
    assert session.clients[1].calls == [[SET]]


def test_a_pipeline_with_a_write_counts_as_a_write():
    session = ScriptedSession([[["first"], broken()], [["must not run"]]])
    invoke(session, GET)
    assert "error" in invoke(session, GET, SET)


def test_a_new_session_that_fails_is_not_reopened():
    session = ScriptedSession([[broken(not_run=True)], [["must not run"]]])
    answer = invoke(session, GET)
    assert answer["error"]["connection"] is True
    assert len(session.clients) == 1


def test_reopened_once_only():
    session = ScriptedSession([[["first"], broken()], [broken()], [["third"]]])
    invoke(session, GET)
    answer = invoke(session, GET)
    assert "error" in answer
    assert len(session.clients) == 2


def test_a_cmdlet_error_keeps_the_session():
    not_found = ExchangeError("couldn't be found", cmdlet="Get-ReceiveConnector", category="ObjectNotFound",
                              error_id="x", exception_type="ManagementObjectNotFoundException")
    session = ScriptedSession([[["first"], not_found, ["third"]]])
    invoke(session, GET)
    answer = invoke(session, GET)
    assert answer["error"] == {"message": "couldn't be found", "cmdlet": "Get-ReceiveConnector",
                               "category": "ObjectNotFound", "error_id": "x",
                               "exception_type": "ManagementObjectNotFoundException", "connection": False,
                               "outcome_unknown": False}
    assert invoke(session, GET)["output"] == ["third"]
    assert len(session.clients) == 1 and not session.clients[0].closed


def test_an_unexpected_failure_drops_the_client_and_reports_an_unknown_outcome():
    session = ScriptedSession([[["first"], RuntimeError("pool in a strange state")], [["second"]]])
    invoke(session, GET)
    answer = invoke(session, SET)
    assert answer["error"]["outcome_unknown"] is True and answer["error"]["cmdlet"] == "Set-ReceiveConnector"
    assert "whether Exchange applied it is unknown" in answer["error"]["message"]
    assert "RuntimeError: pool in a strange state" in answer["error"]["message"]
    assert session.clients[0].closed == "after failure"  # its shell deleted over a new connection
    assert invoke(session, GET)["output"] == ["second"]
    assert len(session.clients) == 2  # the write was not sent again


def test_an_unexpected_failure_of_a_read_is_a_connection_error_not_repeated_at_once():
    session = ScriptedSession([[["first"], RuntimeError("command timeout triggered")], [["next call"]]])
    invoke(session, GET)
    answer = invoke(session, GET)
    assert answer["error"]["connection"] is True and answer["error"]["outcome_unknown"] is False
    assert "failed while running Get-ReceiveConnector: RuntimeError: command timeout triggered" \
        in answer["error"]["message"]
    assert len(session.clients) == 1 and session.clients[0].closed == "after failure"
    # The next call opens a new session.
    assert invoke(session, GET)["output"] == ["next call"]


class SlowClient(StandInClient):
    """Each call takes ``seconds``; ansible-connection's alarm (armed once per request) rings during the first."""

    def __init__(self, seconds, alarm_after):
        super().__init__([])
        self.seconds = seconds
        self.alarm_after = alarm_after

    def invoke_pipeline(self, commands):
        self.calls.append(commands)
        if len(self.calls) == 1:
            # Armed inside the call, so a loaded machine cannot ring it before the call starts.
            signal.setitimer(signal.ITIMER_REAL, self.alarm_after)
        time.sleep(self.seconds)
        return ["late"]


def test_a_read_broken_off_by_the_command_timeout_is_not_run_again_without_one(monkeypatch):
    # ansible-connection arms SIGALRM (persistent_command_timeout) once per request; its handler raises inside the
    # call. The alarm has rung: a read run again in the same request would run with no time limit at all (pypsrp
    # polls a running pipeline for ever), so the request ends there with a connection error.
    def command_timeout(signum, frame):
        raise Exception("command timeout triggered, timeout value is 0.05 secs.")  # pylint: disable=broad-exception-raised

    session = ScriptedSession([[["first"]]])
    invoke(session, GET)  # the session serves a call: the next one is on a reused client
    slow = SlowClient(1.0, alarm_after=0.05)
    monkeypatch.setattr(session, "_new_client", lambda params, warn: session.clients.append(slow) or slow)
    session._client = slow  # pylint: disable=protected-access
    previous = signal.signal(signal.SIGALRM, command_timeout)
    try:
        answer = invoke(session, GET)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert "command timeout triggered" in answer["error"]["message"]
    assert slow.calls == [[GET]], "the read was run again after the command timeout rang, with no time limit"


def test_bad_settings_are_an_error_answer():
    session = ScriptedSession([], problem="auth=basic sends the password in clear text")
    answer = invoke(session, GET)
    assert answer["error"]["message"] == "auth=basic sends the password in clear text"
    assert answer["error"]["connection"] is True


def test_reset_and_close_release_the_client():
    session = ScriptedSession([[["a"]], [["b"]]])
    invoke(session, GET)
    session.reset()
    assert session.clients[0].closed
    assert json.loads(session.exchange_session_info()) == {"kind": "test", "open": False, "shell_id": None}


@pytest.mark.parametrize("cmdlet, read", [
    ("Get-ReceiveConnector", True), ("Test-Mailflow", True), ("Set-ReceiveConnector", False),
    ("New-InboundConnector", False), ("Add-ADPermission", False), ("Getaway-Thing", False),
])
def test_reads_are_get_and_test(cmdlet, read):
    assert is_read(cmdlet) is read


def test_params_from_options_renames_and_defaults():
    options = {"remote_addr": "mail1.contoso.com", "remote_user": "CONTOSO\\ex", "port": None,
               "auth": "ntlm", "kerberos_keytab": "/etc/krb5.keytab"}
    renamed = {"host": "remote_addr", "username": "remote_user"}
    params = params_from_options(ONPREM_CONNECTION_SPEC, options, renamed)
    assert params["host"] == "mail1.contoso.com"
    assert params["username"] == "CONTOSO\\ex"
    assert params["auth"] == "ntlm"
    assert params["port"] is None
    assert params["connect_timeout"] == 30
    assert set(params) == set(ONPREM_CONNECTION_SPEC)


def test_a_missing_host_names_both_ways_to_give_it():
    from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.client import connection_problem

    params = params_from_options(ONPREM_CONNECTION_SPEC, {}, {})
    problem = connection_problem(params)
    assert problem.startswith("host is required: give host (or EXCHANGE_HOST)")
    assert "mailflow.exchange.onprem_session" in problem


def test_a_missing_tenant_names_both_ways_to_give_it():
    from ansible_collections.mailflow.exchange.plugins.module_utils._online.client import ONLINE_CONNECTION_SPEC, online_problem

    params = params_from_options(ONLINE_CONNECTION_SPEC, {"client_id": "x"}, {})
    assert online_problem(params).startswith("tenant required: give tenant (or EXO_TENANT), or run the task on "
                                             "the connection mailflow.exchange.online_session")


def test_a_request_with_other_settings_is_refused_never_served():
    session = ScriptedSession([[["a"], ["never"]], [["never either"]]])
    invoke(session, GET)
    session._client_params = lambda: {"tenant": "fabrikam.onmicrosoft.com"}
    answer = invoke(session, GET)
    assert answer["error"]["connection"] is True
    assert "differ from those the test session process" in answer["error"]["message"]
    assert session.clients[0].calls == [[GET]] and len(session.clients) == 1


def test_a_secret_echoed_by_a_library_is_masked():
    session = ScriptedSession([[["a"], RuntimeError("login as exadmin:Hunter2-Secret failed")]])
    session._client_params = lambda: {"password": "Hunter2-Secret"}
    invoke(session, GET)
    answer = invoke(session, SET)
    assert "Hunter2-Secret" not in json.dumps(answer)
    assert "exadmin:******** failed" in answer["error"]["message"]


class FailingCloseClient(StandInClient):
    def close_after_failure(self):
        raise RuntimeError("DELETE as exadmin:Hunter2-Secret refused")


def test_a_failure_to_delete_the_broken_shell_keeps_the_calls_own_error_masked():
    # Deleting the shell is best effort: its failure (or the command timeout ringing during it) neither replaces
    # the call's error nor leaves the session process unmasked (as a JSON-RPC internal error's text).
    session = ScriptedSession([])
    session._client_params = lambda: {"password": "Hunter2-Secret"}
    client = FailingCloseClient([["a"], RuntimeError("pool in a strange state")])
    session._new_client = lambda params, warn: session.clients.append(client) or client
    invoke(session, GET)
    answer = invoke(session, SET)
    assert "Hunter2-Secret" not in json.dumps(answer)
    assert answer["error"]["outcome_unknown"] is True and answer["error"]["cmdlet"] == "Set-ReceiveConnector"
    assert "RuntimeError: pool in a strange state" in answer["error"]["message"]


def test_the_target_names_the_server_or_tenant_never_a_credential():
    session = ScriptedSession([])
    session.target_options = ("tenant", "exchange_url")
    session._settings = lambda: {"tenant": "contoso.onmicrosoft.com", "exchange_url": None,
                                 "client_secret": "Hunter2-Secret", "client_id": "app"}
    assert json.loads(session.exchange_session_target()) == {"tenant": "contoso.onmicrosoft.com", "exchange_url": None}
