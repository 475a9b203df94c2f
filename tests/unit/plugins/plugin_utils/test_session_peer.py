# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The session socket serves only its playbook run, never returns a secret, runs only the modules' cmdlets.

Real sockets and real processes: the onprem_session plugin is served the way ansible-connection
serves it (one request connection at a time, JSON-RPC), and clients are separate Python processes,
either descendants of the "playbook" or not.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from ansible.module_utils.connection import recv_data, send_data
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
from ansible.utils.jsonrpc import JsonRpcServer

from ansible_collections.mailflow.exchange.plugins.module_utils._common import session as session_utils
from ansible_collections.mailflow.exchange.plugins.plugin_utils import session_peer

PASSWORD = "Hunter2-Secret"
CLIENT = r"""
import json, sys
from ansible.module_utils.connection import Connection, ConnectionError
path, method, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
try:
    print(json.dumps({"result": getattr(Connection(path), method)(*args)}))
except ConnectionError as err:
    print(json.dumps({"error": str(err)}))
"""


class StandInClient:
    def __init__(self):
        self.calls = []

    def invoke_pipeline(self, commands):
        self.calls.append(commands)
        return []

    def close(self):
        pass


class ServedSession:
    """The onprem_session plugin behind a real socket, served one request connection at a time."""

    def __init__(self, path, playbook_pid):
        self.connection = connection_loader.get("mailflow.exchange.onprem_session", PlayContext(), "/dev/null",
                                                ansible_playbook_pid=str(playbook_pid))
        self.connection.set_options(direct={"remote_addr": "mail1.contoso.com", "remote_user": "CONTOSO\\ex",
                                            "password": PASSWORD, "auth": "ntlm"})
        self.client = StandInClient()
        self.connection._new_client = lambda params, warn: self.client
        self.connection._encode = lambda output: output
        self.connection._watch_playbook = lambda: None
        self.connection._socket_path = path
        self.server = type("Server", (JsonRpcServer,), {"_objects": set()})()
        self.server.register(self.connection)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            with connection:
                while True:
                    data = recv_data(connection)
                    if not data:
                        break
                    send_data(connection, self.server.handle_request(data).encode())

    def close(self):
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()


def ask(path, method, *args):
    """``method(*args)`` over the socket from a new process (a descendant of this test)."""
    done = subprocess.run([sys.executable, "-c", CLIENT, path, method, json.dumps(args)], capture_output=True,
                          text=True, timeout=60, check=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    return json.loads(done.stdout)


@pytest.fixture
def stranger():
    """A live process that is not an ancestor of the clients: a playbook they are no part of."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


@pytest.fixture
def socket_path(tmp_path):
    return str(tmp_path / "session")


def _invoke_request(cmdlet):
    return json.dumps({"commands": [[cmdlet, {"Identity": "MAIL1\\Relay"}]]})


def test_a_process_of_the_playbook_run_is_served(socket_path):
    served = ServedSession(socket_path, playbook_pid=os.getpid())
    try:
        assert ask(socket_path, "exchange_session_kind") == {"result": "onprem"}
        answer = json.loads(ask(socket_path, "exchange_invoke", _invoke_request("Get-ReceiveConnector"))["result"])
        assert answer["output"] == []
        assert served.client.calls == [[("Get-ReceiveConnector", {"Identity": "MAIL1\\Relay"})]]
    finally:
        served.close()


def test_a_process_outside_the_playbook_run_is_refused(socket_path, stranger):
    served = ServedSession(socket_path, playbook_pid=stranger)
    try:
        for method, args in (("exchange_invoke", [_invoke_request("Get-ReceiveConnector")]),
                             ("exchange_session_kind", []), ("exec_command", ["id"]),
                             ("set_options", []), ("reset", [])):
            answer = ask(socket_path, method, *args)
            assert "not part of the playbook run %d" % stranger in answer["error"], method
        assert served.client.calls == []
    finally:
        served.close()


def test_another_user_is_refused(socket_path, monkeypatch):
    served = ServedSession(socket_path, playbook_pid=os.getpid())
    monkeypatch.setattr(session_peer.os, "getuid", lambda: os.geteuid() + 1)
    try:
        answer = ask(socket_path, "exchange_invoke", _invoke_request("Get-ReceiveConnector"))
        assert "refused a request from uid %d" % os.geteuid() in answer["error"]
        assert served.client.calls == []
    finally:
        served.close()


def test_the_socket_never_returns_a_secret(socket_path):
    served = ServedSession(socket_path, playbook_pid=os.getpid())
    try:
        assert ask(socket_path, "get_option", "password") == {"result": "********"}
        options = ask(socket_path, "get_options")["result"]
        assert options["password"] == "********" and options["remote_user"] == "CONTOSO\\ex"
        assert PASSWORD not in json.dumps(options)
        # The session itself still has it.
        assert served.connection._client_params()["password"] == PASSWORD
    finally:
        served.close()


def test_no_public_method_returns_a_secret(socket_path):
    served = ServedSession(socket_path, playbook_pid=os.getpid())
    try:
        # Ansible's get_option_and_origin reads the options directly, past get_option's mask.
        assert ask(socket_path, "get_option_and_origin", "password") == {"result": ["********", "Direct"]}
    finally:
        served.close()


def test_a_process_outside_the_playbook_run_cannot_change_a_setting(socket_path, stranger):
    served = ServedSession(socket_path, playbook_pid=stranger)
    try:
        for method, args in (("set_option", ["remote_addr", "attacker.example"]),
                             ("get_option_and_origin", ["password"]),
                             ("update_vars", [{}]), ("pop_messages", []), ("close", [])):
            answer = ask(socket_path, method, *args)
            assert "not part of the playbook run %d" % stranger in answer["error"], method
        assert served.connection._client_params()["host"] == "mail1.contoso.com"
    finally:
        served.close()


# What the JSON-RPC server may run without asking who calls: nothing that changes the session or reads a
# setting unmasked.
UNCHECKED_RPC = {"get_option", "get_options", "has_option", "matches_name", "is_pipelining_enabled",
                 "connected", "socket_path", "transport", "option_definitions", "plugin_type", "extras_prefix",
                 "become", "ansible_name"}


def test_every_method_the_socket_serves_asks_who_calls():
    """Ansible's JSON-RPC server runs any public attribute of the connection: each one is peer-checked."""
    cls = connection_loader.get("mailflow.exchange.onprem_session", class_only=True)
    unchecked = []
    for name in dir(cls):
        if name.startswith("_") or name in UNCHECKED_RPC:
            continue
        attribute = getattr(cls, name)
        if callable(attribute) and not getattr(attribute, "peer_checked", False):
            unchecked.append(name)
    assert unchecked == []


def test_a_cmdlet_the_modules_do_not_use_is_refused(socket_path):
    served = ServedSession(socket_path, playbook_pid=os.getpid())
    try:
        for cmdlet in ("Invoke-Expression", "Set-Mailbox", "get-receiveconnector; Remove-Mailbox"):
            answer = json.loads(ask(socket_path, "exchange_invoke", _invoke_request(cmdlet))["result"])
            assert answer["error"]["category"] == "PermissionDenied", cmdlet
            assert "runs only the cmdlets of this collection's modules" in answer["error"]["message"]
        assert served.client.calls == []
    finally:
        served.close()


def test_no_request_being_served_means_a_call_from_inside(socket_path):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(1)
    try:
        assert session_peer.request_peer(socket_path) is None
        session_peer.check_peer(socket_path, "1")
    finally:
        listener.close()


def test_descent_follows_parent_links(stranger):
    assert session_peer.descends_from(os.getpid(), os.getpid())
    assert session_peer.descends_from(stranger, os.getpid())
    assert not session_peer.descends_from(os.getpid(), stranger)


# --- the allow-list follows the modules ---------------------------------------------

ALLOW_LIST_FILE = Path(session_utils.__file__).resolve()
PLUGINS = ALLOW_LIST_FILE.parents[2]
CMDLET = re.compile(r"""["']((?:Get|Set|New|Remove|Add|Enable|Disable|Test|Update|Invoke|Clear|Start|Stop|"""
                    r"""Import|Export|Install|Uninstall|Register|Unregister|Resume|Suspend)-[A-Z][A-Za-z]+)["']""")


def _used_cmdlets():
    """Cmdlet names quoted in the modules and module_utils (but the allow-list's own file)."""
    sources = [path for directory in ("modules", "module_utils") for path in sorted((PLUGINS / directory).rglob("*.py"))
               if path.resolve() != ALLOW_LIST_FILE]
    return {name for path in sources for name in CMDLET.findall(path.read_text(encoding="utf-8"))}


def test_every_cmdlet_a_module_uses_is_on_the_session_allow_list():
    used = _used_cmdlets()
    assert "Get-ReceiveConnector" in used, "the pattern finds no cmdlet: it is broken"
    assert used - session_utils.SESSION_CMDLETS == set()


def test_the_allow_list_holds_nothing_the_modules_do_not_use():
    assert session_utils.SESSION_CMDLETS - _used_cmdlets() == set()
