# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: onprem_session
short_description: One Exchange remote PowerShell session per host for a whole play
description:
  - A persistent connection (run by Ansible's C(ansible-connection) process, like the network
    connections) that keeps one PowerShell runspace pool open on one Exchange server for the whole
    playbook run, so that the on-premises modules of M(mailflow.exchange.receive_connector),
    M(mailflow.exchange.ad_permission), M(mailflow.exchange.receive_connector_info) and the others do not
    each open their own.
  - The pool opens when the first task calls a cmdlet.
  - Each set of connection settings has its own session process, so hosts that share an address
    (C(ansible_host)) but not their settings (tenant, server, user or app, credentials, endpoints) are never
    served with each other's. The session serves only C(ansible-playbook) and its descendant processes of
    the same user (Linux C(SO_PEERCRED); elsewhere use the modules without this connection), never hands out
    a password or secret, and runs only the cmdlets of this collection's modules.
  - Modules run on the controller. Over this connection each task runs its module inside Ansible's worker
    process for the task, with no module process of its own; a task with C(async), C(become) or an
    C(environment) runs it as a module process, as the C(local) connection does. Without this connection the
    modules connect directly, one session per task.
author:
  - mailflow.exchange contributors (@mailflow)
version_added: 0.1.0
extends_documentation_fragment:
  - mailflow.exchange.onprem
  - mailflow.exchange.onprem.plugins
  - mailflow.exchange.session
"""

EXAMPLES = r"""
# inventory.yml: one host per Exchange server
# exchange:
#   hosts:
#     mail1:
#       ansible_host: mail1.contoso.com
#   vars:
#     ansible_connection: mailflow.exchange.onprem_session
#     ansible_python_interpreter: "{{ ansible_playbook_python }}"
#     ansible_user: CONTOSO\exadmin
#     ansible_password: "{{ vault_exadmin_password }}"
#     mailflow_exchange_auth: kerberos

- name: Many tasks, one Exchange session
  hosts: exchange
  gather_facts: false
  tasks:
    - name: Relay connector
      mailflow.exchange.receive_connector:
        name: ANONYMOUS RELAY MAIL1
        server: MAIL1
        usage: Custom
        transport_role: FrontendTransport
        bindings: ["0.0.0.0:25"]
        remote_ip_ranges: [10.1.2.3]
        permission_groups: [AnonymousUsers]

    - name: Relay right, over the same session
      mailflow.exchange.ad_permission:
        connector: ANONYMOUS RELAY MAIL1
        server: MAIL1
        user: NT AUTHORITY\ANONYMOUS LOGON
        extended_rights: [ms-Exch-SMTP-Accept-Any-Recipient]
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._onprem import client as onprem
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeConnectionError
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONPREM
from ansible_collections.mailflow.exchange.plugins.plugin_utils.exchange_session import (
    ExchangeSession,
    params_from_options,
)

# Module option -> this plugin's option, where Ansible's connection vocabulary differs.
RENAMED = {"host": "remote_addr", "username": "remote_user"}


class Connection(ExchangeSession):
    """Persistent connection holding one OnPremClient (one runspace pool)."""

    transport = "mailflow.exchange.onprem_session"
    kind = ONPREM
    target_options = onprem.ONPREM_TARGET_OPTIONS

    def _settings(self):
        params = params_from_options(onprem.ONPREM_CONNECTION_SPEC, self._all_options(), RENAMED)
        params["host"] = params["host"] or self._play_context.remote_addr
        return params

    def _client_params(self):
        import_error = onprem.pypsrp_import_error()
        if import_error:
            raise ExchangeConnectionError("onprem_session needs pypsrp in the Python that runs ansible-playbook: "
                                          "%s" % import_error.strip().splitlines()[-1])
        params = self._settings()
        problem = onprem.connection_problem(params)
        if problem:
            raise ExchangeConnectionError("connection %s (variables mailflow_exchange_<option>): %s"
                                          % (self.transport, problem))
        return params

    def _new_client(self, params, warn):
        from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.psrp import OnPremClient

        return OnPremClient(params)

    def _warnings(self, params):
        return onprem.connection_warnings(params)
