# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What crosses the session socket: real Exchange output as CLIXML, errors as data.

The round trips run on the real captures (tests/unit/data); the socket tests send
through Ansible's own JSON-RPC client and server, as ansible-connection does.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest
from ansible.module_utils.connection import recv_data, send_data
from ansible.playbook.play_context import PlayContext
from ansible.utils.jsonrpc import JsonRpcServer
from pypsrp.complex_objects import GenericComplexObject

from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml

from ansible_collections.mailflow.exchange.plugins.module_utils._common import session
from ansible_collections.mailflow.exchange.plugins.module_utils._server.accepted_domain import accepted_domain_values
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._online.auth import CredentialError
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import connector_values
from ansible_collections.mailflow.exchange.plugins.plugin_utils.exchange_session import ExchangeSession

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURES = sorted(DATA.glob("*.xml"))


def shape(value):
    """Everything pypsrp made of an object, as comparable data."""
    if isinstance(value, GenericComplexObject):
        return ("object", tuple(value.types), value.to_string, tuple(shape(v) for v in value.property_sets),
                tuple(sorted((k, shape(v)) for k, v in value.adapted_properties.items())),
                tuple(sorted((k, shape(v)) for k, v in value.extended_properties.items())))
    if isinstance(value, list):
        return ("list", tuple(shape(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(k), shape(v)) for k, v in value.items())))
    return (type(value).__name__, repr(value))


def through_json(objects):
    return session.decode_objects(json.loads(json.dumps(session.encode_objects(objects))))


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name for c in CAPTURES])
def test_captured_objects_cross_unchanged(capture):
    objects = clixml.objects_from_export_clixml(capture.read_bytes())
    assert objects
    assert [shape(o) for o in through_json(objects)] == [shape(o) for o in objects]


def test_receive_connectors_read_the_same_after_the_crossing():
    objects = clixml.objects_from_export_clixml((DATA / "E19-GetReceiveConnector.xml").read_bytes())
    crossed = through_json(objects)
    assert [connector_values(o) for o in crossed] == [connector_values(o) for o in objects]
    # The MultiValuedProperty that pypsrp keeps as raw XML still reads as items.
    assert connector_values(crossed[2])["bindings"] == ["0.0.0.0:25", "[::]:25"]


def test_accepted_domains_read_the_same_after_the_crossing():
    objects = clixml.objects_from_export_clixml((DATA / "E19-GetAcceptedDomain.xml").read_bytes())
    assert [accepted_domain_values(o) for o in through_json(objects)] == [accepted_domain_values(o) for o in objects]


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

    def _encode(self, output):
        return session.encode_objects(output)


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
    objects = clixml.objects_from_export_clixml((DATA / "E19-GetReceiveConnector.xml").read_bytes())
    module = StandInModule(serve(CaptureSession(objects)))
    path = session.session_socket(module, session.ONPREM)
    assert path == module._socket_path
    assert session.session_socket(module, session.ONLINE) is None
    client = session.SessionClient(path, session.ONPREM, warn=module.warn)
    output = client.invoke("Get-ReceiveConnector", {"Server": "WIN-CTD3L0RGEN4"})
    assert [shape(o) for o in output] == [shape(o) for o in objects]
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


def test_a_dead_socket_is_an_unknown_outcome(tmp_path):
    path = str(tmp_path / "gone.sock")
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind(path)  # exists, nobody listens
    with pytest.raises(ExchangeConnectionError, match="outcome of Set-ReceiveConnector is unknown"):
        session.SessionClient(path, session.ONPREM).invoke("Set-ReceiveConnector", {"Identity": "x"})
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
