# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ansible-core internals the session connections use exist in the running ansible-core.

These tests run on every ansible-core release CI tests (make test, make matrix), so a release that
moves or drops one of them fails here, by name, before any playbook meets it.
"""

from __future__ import annotations

import inspect

import pytest

from ansible.errors import AnsibleConnectionFailure
from ansible.playbook.play_context import PlayContext
from ansible.plugins.connection import NetworkConnectionBase
from ansible.plugins.loader import connection_loader
from ansible.utils.path import unfrackpath

from ansible_collections.mailflow.exchange.plugins.plugin_utils import exchange_session

# (module, name) of every internal the session plugins reach for.
INTERNALS = [
    ('ansible.executor.task_executor', 'start_connection'),
    ('ansible.plugins.connection', 'NetworkConnectionBase'),
    ('ansible.module_utils.connection', 'Connection'),
    ('ansible.constants', 'PERSISTENT_CONTROL_PATH_DIR'),
    ('ansible.utils.path', 'unfrackpath'),
]


@pytest.mark.parametrize('module, name', INTERNALS)
def test_each_internal_exists_in_this_ansible_core(module, name):
    assert exchange_session.core_internal(module, name) is not None


def test_start_connection_takes_the_arguments_the_session_passes():
    """(play_context, options, task_uuid), as ExchangeSession._attach calls it."""
    start_connection = exchange_session.core_internal('ansible.executor.task_executor', 'start_connection')
    assert list(inspect.signature(start_connection).parameters)[:3] == ['play_context', 'options', 'task_uuid']


def test_the_connection_base_still_offers_what_the_session_uses():
    for attribute in ('get_option', 'get_options', 'set_options', 'close', 'reset', 'exec_command'):
        assert hasattr(NetworkConnectionBase, attribute), attribute
    assert hasattr(PlayContext, 'copy')


def test_a_missing_internal_is_named_with_what_to_do():
    with pytest.raises(AnsibleConnectionFailure) as failure:
        exchange_session.core_internal('ansible.executor.task_executor', 'start_connection_gone')
    message = str(failure.value)
    assert 'ansible.executor.task_executor.start_connection_gone' in message
    assert 'requires_ansible' in message and 'connection: local' in message
    with pytest.raises(AnsibleConnectionFailure, match='ansible.no_such_module.x'):
        exchange_session.core_internal('ansible.no_such_module', 'x')


@pytest.mark.parametrize('address, port, user, connection, pid', [
    ('mail1.contoso.com', 5985, 'CONTOSO\\exadmin#tag', 'mailflow.exchange.onprem_session', 4242),
    ('mail1.contoso.com', None, 'CONTOSO\\exadmin#tag', None, None),
    ('mail1.contoso.com', 443, 'CONTOSO\\exadmin#tag', 'mailflow.exchange.online_session', None),
    ('fe80::1%eth0', 5986, '#tag', 'mailflow.exchange.onprem_session', '4242'),
    ('mäil1.contoso.com', 0, 'CONTOSO\\jürgen#tag', 'mailflow.exchange.onprem_session', '4242'),
    # A user read from an inventory file that is not UTF-8 (Latin-1 "Jürgen"): Ansible decodes it with
    # surrogateescape, and ansible-core names the socket from those bytes.
    ('mail1.contoso.com', 5985, 'CONTOSO\\J\udcfcrgen#tag', 'mailflow.exchange.onprem_session', '4242'),
])
def test_the_session_names_its_socket_as_this_ansible_core_does(tmp_path, monkeypatch, address, port, user, connection,
                                                                pid):
    """The session computes ssh._create_control_path itself (loading the ssh plugin cost every task): the
    same path as ansible-core's, or sessions would be started again and again."""
    monkeypatch.setattr(exchange_session.C, 'PERSISTENT_CONTROL_PATH_DIR', str(tmp_path))
    context = PlayContext()
    context.remote_addr, context.port, context.remote_user, context.connection = address, port, user, connection
    ssh = connection_loader.get('ssh', class_only=True)
    template = ssh._create_control_path(context.remote_addr, context.port, context.remote_user, context.connection,
                                        pid)
    expected = unfrackpath(template % {'directory': unfrackpath(str(tmp_path))})
    assert exchange_session._control_socket_path(context, pid) == expected
