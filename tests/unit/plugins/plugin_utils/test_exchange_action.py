# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of the Exchange modules leaves the session's socket where ansible-playbook looks for it."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.mailflow.exchange.plugins.plugin_utils import exchange_action
from ansible_collections.mailflow.exchange.plugins.plugin_utils.exchange_action import (
    OnPremAction,
    OnPremWritingAction,
)

SOCKET = "/tmp/ansible-pc/exchange-socket"


def action(cls, transport="mailflow.exchange.onprem_session", environment=""):
    task = mock.Mock(args=dict(name="Relay", backup=True), async_val=0, action="mailflow.exchange.receive_connector",
                     resolved_action="mailflow.exchange.receive_connector")
    connection = mock.Mock(transport=transport, socket_path=SOCKET, has_native_async=False)
    play_context = mock.Mock(become=False, remote_addr="exchange")
    loader = mock.Mock(get_basedir=mock.Mock(return_value="/srv/plays"))
    plugin = cls(task, connection, play_context, loader, mock.Mock())
    plugin._compute_environment_string = mock.Mock(return_value=environment)

    def update_module_args(module_name, module_args, task_vars, ignore_unknown_opts=False):
        module_args["_ansible_socket"] = SOCKET
        module_args["_ansible_check_mode"] = False

    plugin._update_module_args = update_module_args
    return plugin


@pytest.mark.parametrize("cls", [OnPremAction, OnPremWritingAction])
def test_in_the_worker_the_task_records_the_socket(cls, monkeypatch):
    """StrategyBase.update_active_connections reads it from the task's args: meta: reset_connection and the
    end of the play reset only the connections recorded so."""
    monkeypatch.setattr(exchange_action, "module_output", mock.Mock(return_value=('{"changed": false}', '', 0)))
    monkeypatch.setattr(exchange_action, "result_of", mock.Mock(return_value=dict(changed=False)))
    plugin = action(cls)
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}):
        plugin.run(task_vars={})
    assert plugin._task.args["_ansible_socket"] == SOCKET
    assert "_ansible_check_mode" not in plugin._task.args  # only the socket: the other internal keys stay the module's


def test_as_a_module_process_a_writing_module_records_the_socket_too():
    plugin = action(OnPremWritingAction, environment="X=1")

    def execute_module(module_args=None, task_vars=None, wrap_async=False):
        plugin._update_module_args("x", module_args, task_vars)
        return dict(changed=False)

    plugin._execute_module = execute_module
    plugin._remove_tmp_path = mock.Mock()
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}):
        plugin.run(task_vars={})
    assert plugin._task.args["_ansible_socket"] == SOCKET
