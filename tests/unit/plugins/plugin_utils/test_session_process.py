# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding a session process that is going away, and noticing ansible-playbook is gone.

Real sockets and real processes: a socket file nobody listens on, one that a
"shutting down" thread removes, and a child process that has exited.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest
from ansible.module_utils.connection import Connection, ConnectionError as RpcError

from ansible_collections.mailflow.exchange.plugins.plugin_utils import exchange_session
from ansible_collections.mailflow.exchange.plugins.plugin_utils.playbook_watch import playbook_alive


def _rpc_error(path):
    with pytest.raises(RpcError) as caught:
        Connection(path).pop_messages()
    return caught.value


def _dead_socket(path):
    """A socket file left by a process that died: bound once, never listening now."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.close()


def test_a_socket_nobody_listens_on_is_removed(tmp_path):
    path = str(tmp_path / "session")
    _dead_socket(path)
    assert exchange_session._socket_gone(path, _rpc_error(path))
    assert not os.path.exists(path)


def test_a_socket_removed_while_shutting_down_is_waited_for(tmp_path):
    path = str(tmp_path / "session")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    closing = threading.Thread(target=lambda: (server.accept()[0].close(), server.close(), os.unlink(path)))
    closing.start()
    error = _rpc_error(path)  # accepted, then closed without an answer
    assert exchange_session._socket_gone(path, error)
    closing.join()


def test_a_socket_that_stays_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(exchange_session, "SOCKET_GONE_SECONDS", 0.2)
    path = str(tmp_path / "session")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)

    def answer_nothing():
        connection, _address = server.accept()
        connection.close()

    answering = threading.Thread(target=answer_nothing)
    answering.start()
    error = _rpc_error(path)
    answering.join()
    try:
        assert not exchange_session._socket_gone(path, error)
        assert os.path.exists(path)
    finally:
        server.close()


def test_playbook_alive_follows_the_process():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not playbook_alive(child.pid)
    assert playbook_alive(os.getpid())
