# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What crosses the session socket: real Exchange output as plain data in JSON, errors as data.

The crossings run on the real captures (tests/unit/data); the socket tests send
through Ansible's own JSON-RPC client and server, as ansible-connection does.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from ansible.module_utils.connection import recv_data, send_data
from ansible.playbook.play_context import PlayContext
from ansible.utils.jsonrpc import JsonRpcServer

from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml

from ansible_collections.mailflow.exchange.plugins.module_utils._common import session
from ansible_collections.mailflow.exchange.plugins.module_utils._server.accepted_domain import accepted_domain_values
from ansible_collections.mailflow.exchange.plugins.module_utils._server.certificate import Certificate
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._online.auth import CredentialError
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import connector_values
from ansible_collections.mailflow.exchange.plugins.plugin_utils.exchange_session import ExchangeSession

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURES = sorted(DATA.glob("*.xml"))
# What the readers got from the captures when modules still read pypsrp's objects (recorded with that code).
AS_READ = json.loads((DATA / "captures-as-read.json").read_text())
NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
READERS = {
    "E19-GetReceiveConnector.xml": connector_values,
    "E19-GetAcceptedDomain.xml": accepted_domain_values,
    "E19-GetExchangeCertificate.xml": lambda obj: Certificate(obj, now=NOW).values,
    "GetExchangeCertificate-MultipleMatches.xml": lambda obj: Certificate(obj, now=NOW).values,
}


def through_json(objects):
    """Plain data as the module gets it over the session: to JSON text and back."""
    return session.from_data(session.to_data(objects))


@pytest.fixture(scope="module", params=CAPTURES, ids=[c.name for c in CAPTURES])
def decoded(request):
    """(capture name, its objects decoded directly as plain data)."""
    return request.param.name, clixml.plain_objects_from_export_clixml(request.param.read_bytes())


def test_captured_objects_are_the_same_data_whichever_way_they_arrive(decoded):
    _name, objects = decoded
    assert objects
    assert through_json(objects) == objects


def test_plain_data_holds_nothing_but_plain_values(decoded):
    def check(value):
        if isinstance(value, dict):
            assert set(value) <= {"types", "text", "properties", "items"}, sorted(value)
            assert isinstance(value["types"], list) and isinstance(value["properties"], dict)
            for item in list(value["properties"].values()) + list(value.get("items", ())):
                check(item)
        elif isinstance(value, list):
            for item in value:
                check(item)
        else:
            assert value is None or isinstance(value, (bool, int, float, str, bytes)), type(value)

    for obj in decoded[1]:
        check(obj)


@pytest.mark.parametrize("name", sorted(READERS))
def test_readers_get_what_they_got_before_either_way(name):
    objects = clixml.plain_objects_from_export_clixml((DATA / name).read_bytes())
    expected = AS_READ[name]
    for arrived in (objects, through_json(objects)):
        got = json.loads(json.dumps([READERS[name](obj) for obj in arrived], default=str))
        assert got == expected


def test_byte_arrays_cross_as_bytes():
    data = [{"types": [], "text": None, "properties": {"RawData": b"\x00\xff", "Name": "x"}}]
    assert through_json(data) == data


def test_the_module_end_loads_neither_pypsrp_nor_an_xml_parser():
    """Over the session a module reads plain data: what session.py and psobject.py import must not pull
    pypsrp or xml.etree in (checked in a fresh interpreter)."""
    import subprocess

    code = ("import sys\n"
            "from ansible_collections.mailflow.exchange.plugins.module_utils._common import session\n"
            "from ansible_collections.mailflow.exchange.plugins.module_utils._values import psobject\n"
            "from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector import api\n"
            "from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector import ad_permission\n"
            "print(sorted(m for m in sys.modules if m.startswith(('pypsrp', 'xml.etree', 'yaml'))))\n")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert loaded.stdout.strip() == "[]"


@pytest.mark.parametrize("error", [
    ExchangeError("couldn't be found", cmdlet="Get-ReceiveConnector", category="ObjectNotFound",
                  error_id="ABC,Microsoft.Exchange.Management", exception_type="ManagementObjectNotFoundException"),
    ExchangeError("failed without an error record", cmdlet="New-ReceiveConnector"),
    ExchangeConnectionError("cannot reach http://mail1:80/PowerShell (check host, port and use_ssl)"),
    CredentialError("pfx_password", "wrong password"),
], ids=["cmdlet", "bare", "connection", "credential"])
def test_errors_cross_as_data_and_come_back_the_same(error):
    data = json.loads(json.dumps(session.error_to_data(error)))
    again = session.error_from_data(data)
    assert isinstance(again, ExchangeConnectionError) == isinstance(error, ExchangeConnectionError)
    assert str(again) == str(error)
    assert again.to_result() == error.to_result()
    assert again.not_found == error.not_found


def test_parameters_must_be_plain_data():
    session.check_parameters([("Set-ReceiveConnector", {"Identity": "MAIL1\\Relay", "Enabled": True,
                                                        "RemoteIPRanges": ["10.1.2.3"], "MaxHopCount": 60})])
    with pytest.raises(TypeError, match="Set-ReceiveConnector -Banner: a object cannot cross"):
        session.check_parameters([("Set-ReceiveConnector", {"Banner": object()})])


# --- over a socket, as ansible-connection serves it -----------------------------------------------


class CaptureSession(ExchangeSession):
    """An on-premises-like session whose client answers from a capture."""

    transport = "test"
    kind = session.ONPREM

    def __init__(self, answer):
        super().__init__(PlayContext())
        self.answer = answer

    def _client_params(self):
        return {}

    def _new_client(self, params, warn):
        answer = self.answer

        class Client:
            def invoke_pipeline(self, commands):
                if isinstance(answer, Exception):
                    raise answer
                warn("Exchange warned about %s" % commands[0][0])
                return answer

            def close(self):
                pass
        return Client()

    def _warnings(self, params):
        return []


@pytest.fixture
def serve(tmp_path):
    """Serve a session on a Unix socket the way ansible-connection does; yield its path."""
    threads = []

    def start(connection):
        class Server(JsonRpcServer):
            _objects = set()

        server = Server()
        server.register(connection)
        path = str(tmp_path / "session.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(1)
        listener.settimeout(10)

        def loop():
            with listener:
                while True:
                    try:
                        client, dummy = listener.accept()
                    except OSError:
                        return
                    with client:
                        data = recv_data(client)
                        if data is None:
                            return
                        send_data(client, server.handle_request(data).encode("utf-8"))

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        threads.append((thread, path))
        return path

    yield start
    for thread, path in threads:
        # An empty request ends the loop (closing the listener would not wake accept()).
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as wake:
            wake.connect(path)
        thread.join(5)


class StandInModule:
    def __init__(self, socket_path):
        self._socket_path = socket_path
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)


def test_session_client_gets_the_objects_a_direct_client_gets(serve):
    objects = clixml.plain_objects_from_export_clixml((DATA / "E19-GetReceiveConnector.xml").read_bytes())
    module = StandInModule(serve(CaptureSession(objects)))
    path = session.session_socket(module, session.ONPREM)
    assert path == module._socket_path
    assert session.session_socket(module, session.ONLINE) is None
    client = session.SessionClient(path, session.ONPREM, warn=module.warn)
    output = client.invoke("Get-ReceiveConnector", {"Server": "WIN-CTD3L0RGEN4"})
    assert output == objects
    assert connector_values(output[2])["bindings"] == ["0.0.0.0:25", "[::]:25"]
    assert module.warnings == ["Exchange warned about Get-ReceiveConnector"]


def test_session_client_raises_the_error_the_session_met(serve):
    error = ExchangeError("couldn't be found", cmdlet="Get-ReceiveConnector", category="ObjectNotFound",
                          exception_type="ManagementObjectNotFoundException")
    path = serve(CaptureSession(error))
    with pytest.raises(ExchangeError) as raised:
        session.SessionClient(path, session.ONPREM).invoke("Get-ReceiveConnector", {"Identity": "x"})
    assert not isinstance(raised.value, ExchangeConnectionError)
    assert raised.value.not_found
    assert str(raised.value) == str(error)


@pytest.mark.parametrize("commands, unknown_write", [
    ([("Set-ReceiveConnector", {"Identity": "x"})], "Set-ReceiveConnector"),
    ([("Get-ADPermission", {"Identity": "x"}), ("Add-ADPermission", {"Identity": "x"})], "Add-ADPermission"),
    ([("Get-ReceiveConnector", {"Identity": "x"})], None),
])
def test_a_session_that_never_answers_leaves_a_writes_outcome_unknown(tmp_path, commands, unknown_write):
    """A write the connection process never answered is ExchangeOutcomeUnknown naming the write (the module
    reads again, never repeats it); a read is a plain connection error."""
    from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeOutcomeUnknown

    path = str(tmp_path / "gone.sock")
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind(path)  # exists, nobody listens
    expected = "failed while it ran, so whether Exchange applied it is unknown" if unknown_write else "failed while running"
    with pytest.raises(ExchangeConnectionError, match=expected) as raised:
        session.SessionClient(path, session.ONPREM).invoke_pipeline(commands)
    assert isinstance(raised.value, ExchangeOutcomeUnknown) is bool(unknown_write)
    assert raised.value.cmdlet == unknown_write  # a read's message names it; only a write is named apart
    os.unlink(path)


def test_another_persistent_connection_is_not_a_session(serve):
    class NetworkCli:
        def get_prompt(self):
            return "router#"

    path = serve(NetworkCli())
    assert session.session_socket(StandInModule(path), session.ONPREM) is None


def test_a_session_socket_that_does_not_answer_fails_clearly(tmp_path):
    path = str(tmp_path / "closed.sock")
    with pytest.raises(ExchangeConnectionError, match="does not answer .* raise persistent_connect_timeout"):
        session.session_socket(StandInModule(path), session.ONPREM)


def test_an_unknown_write_outcome_crosses_the_socket_as_itself():
    """A write whose answer was lost must stay ExchangeOutcomeUnknown on the module's side:
    the module then re-reads instead of failing or repeating the write."""
    from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeOutcomeUnknown
    from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import error_from_data, error_to_data

    lost = ExchangeOutcomeUnknown("the connection failed while Set-ReceiveConnector was under way",
                                  cmdlet="Set-ReceiveConnector")
    again = error_from_data(json.loads(json.dumps(error_to_data(lost))))
    assert again.__class__ is ExchangeOutcomeUnknown  # not merely a connection error
    assert (again.cmdlet, str(again)) == ("Set-ReceiveConnector", str(lost))
