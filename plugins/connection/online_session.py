# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: online_session
short_description: One Exchange Online token and HTTP session per tenant for a whole play
description:
  - A persistent connection (run by Ansible's C(ansible-connection) process, like the network
    connections) that keeps one app-only token and one HTTP session to one tenant's Exchange Online for
    the whole playbook run, so that M(mailflow.exchange.inbound_connector) and
    M(mailflow.exchange.inbound_connector_info) tasks do not each request a token.
  - Use one inventory host per tenant. The token is requested when the first task calls a cmdlet and
    renewed by msal when it expires; it is kept in memory only.
  - Each set of connection settings has its own session process, so hosts that share an address
    (C(ansible_host)) but not their settings (tenant, server, user or app, credentials, endpoints) are never
    served with each other's. The session serves only C(ansible-playbook) and its descendant processes of
    the same user (Linux C(SO_PEERCRED); elsewhere use the modules without this connection), never hands out
    a password or secret, and runs only the cmdlets of this collection's modules.
  - Modules run on the controller. Over this connection each task runs its module inside Ansible's worker
    process for the task, with no module process of its own; a task with C(async), C(become) or an
    C(environment) runs it as a module process, as the C(local) connection does. Without this connection the
    modules connect directly, one token per task.
author:
  - mailflow.exchange contributors (@mailflow)
version_added: 0.1.0
extends_documentation_fragment:
  - mailflow.exchange.online
  - mailflow.exchange.online.plugins
  - mailflow.exchange.session
"""

EXAMPLES = r"""
# inventory.yml: one host per tenant
# tenants:
#   hosts:
#     contoso:
#       ansible_connection: mailflow.exchange.online_session
#       ansible_python_interpreter: "{{ ansible_playbook_python }}"
#       mailflow_exo_tenant: contoso.onmicrosoft.com
#       mailflow_exo_client_id: 00000000-0000-0000-0000-000000000000
#       mailflow_exo_pfx: /etc/ansible/exo-app.pfx
#       mailflow_exo_pfx_password: "{{ vault_exo_pfx_password }}"

- name: Many connector tasks, one token
  hosts: tenants
  gather_facts: false
  tasks:
    - name: Inbound connector for the relay
      mailflow.exchange.inbound_connector:
        name: Relay from MAIL1
        connector_type: OnPremises
        sender_domains: ["*"]
        sender_ip_addresses: [203.0.113.10]
        restrict_domains_to_ip_addresses: true
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._online import client as online

from ansible_collections.mailflow.exchange.plugins.module_utils._online import auth as online_auth
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeConnectionError
from ansible_collections.mailflow.exchange.plugins.module_utils._online.rest import OnlineClient
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONLINE
from ansible_collections.mailflow.exchange.plugins.plugin_utils.exchange_session import (
    ExchangeSession,
    params_from_options,
)


class Connection(ExchangeSession):
    """Persistent connection holding one OnlineClient (one token, one HTTP session)."""

    transport = "mailflow.exchange.online_session"
    kind = ONLINE
    target_options = online.ONLINE_TARGET_OPTIONS

    def _settings(self):
        return params_from_options(online.ONLINE_CONNECTION_SPEC, self._all_options(), {})

    def _client_params(self):
        for import_error, library in ((online_auth.CRYPTOGRAPHY_IMPORT_ERROR, "cryptography"),
                                      (online_auth.MSAL_IMPORT_ERROR, "msal")):
            if import_error:
                raise ExchangeConnectionError("online_session needs %s in the Python that runs ansible-playbook"
                                              % library)
        params = self._settings()
        problem = online.online_problem(params)
        if problem:
            raise ExchangeConnectionError("connection %s (variables mailflow_exo_<option>): %s"
                                          % (self.transport, problem))
        return params

    def _new_client(self, params, warn):
        return OnlineClient(params, warn=warn)

    def _warnings(self, params):
        return online.online_warnings(params)
