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
  - Modules run on the controller, as with the C(local) connection. Without this connection the modules
    connect directly, one token per task.
author:
  - mailflow.exchange contributors (@mailflow)
version_added: 0.1.0
extends_documentation_fragment:
  - mailflow.exchange.session
options:
  tenant:
    description:
      - The Microsoft 365 tenant, as its GUID or its C(x.onmicrosoft.com) name.
      - Same as the option O(mailflow.exchange.inbound_connector#module:tenant) of the modules.
    type: str
    vars:
      - name: mailflow_exo_tenant
    env:
      - name: EXO_TENANT
  client_id:
    description:
      - Application (client) ID of the Entra ID app (permission C(Exchange.ManageAsApp), role C(Exchange Administrator)).
      - Same as the option O(mailflow.exchange.inbound_connector#module:client_id) of the modules.
    type: str
    vars:
      - name: mailflow_exo_client_id
    env:
      - name: EXO_CLIENT_ID
  certificate:
    description:
      - PEM file with the app's certificate (and its private key, unless O(private_key) is given).
      - Same as the option O(mailflow.exchange.inbound_connector#module:certificate) of the modules.
    type: path
    vars:
      - name: mailflow_exo_certificate
    env:
      - name: EXO_CERTIFICATE
  private_key:
    description:
      - PEM file with the unencrypted private key of O(certificate).
      - Same as the option O(mailflow.exchange.inbound_connector#module:private_key) of the modules.
    type: path
    vars:
      - name: mailflow_exo_private_key
    env:
      - name: EXO_PRIVATE_KEY
  pfx:
    description:
      - PKCS#12 (PFX) file with the app's certificate and private key.
      - Same as the option O(mailflow.exchange.inbound_connector#module:pfx) of the modules.
    type: path
    vars:
      - name: mailflow_exo_pfx
    env:
      - name: EXO_PFX
  pfx_password:
    description:
      - Password of O(pfx). Never logged.
      - Same as the option O(mailflow.exchange.inbound_connector#module:pfx_password) of the modules.
    type: str
    vars:
      - name: mailflow_exo_pfx_password
    env:
      - name: EXO_PFX_PASSWORD
  client_secret:
    description:
      - Client secret of the app instead of a certificate (unsupported by Microsoft; warned on every task). Never logged.
      - Same as the option O(mailflow.exchange.inbound_connector#module:client_secret) of the modules.
    type: str
    vars:
      - name: mailflow_exo_client_secret
    env:
      - name: EXO_CLIENT_SECRET
  cloud:
    description:
      - The Microsoft cloud of the tenant.
      - Same as the option O(mailflow.exchange.inbound_connector#module:cloud) of the modules.
    type: str
    choices: [china, commercial, dod, gcc_high]
    default: commercial
    vars:
      - name: mailflow_exo_cloud
    env:
      - name: EXO_CLOUD
  authority_url:
    description:
      - Base URL (C(https://host)) of the Entra ID token service instead of the cloud's (Microsoft's hosts only, unless O(allow_custom_endpoints)).
      - Same as the option O(mailflow.exchange.inbound_connector#module:authority_url) of the modules.
    type: str
    vars:
      - name: mailflow_exo_authority_url
    env:
      - name: EXO_AUTHORITY_URL
  exchange_url:
    description:
      - Base URL (C(https://host)) of the Exchange Online endpoint instead of the cloud's (Microsoft's hosts only, unless O(allow_custom_endpoints)).
      - Same as the option O(mailflow.exchange.inbound_connector#module:exchange_url) of the modules.
    type: str
    vars:
      - name: mailflow_exo_exchange_url
    env:
      - name: EXO_EXCHANGE_URL
  allow_custom_endpoints:
    description:
      - Let O(authority_url) and O(exchange_url) name hosts other than Microsoft's (a test service); warned on every task.
      - Same as the option O(mailflow.exchange.inbound_connector#module:allow_custom_endpoints) of the modules.
    type: bool
    default: false
    vars:
      - name: mailflow_exo_allow_custom_endpoints
    env:
      - name: EXO_ALLOW_CUSTOM_ENDPOINTS
  validate_certs:
    description:
      - Verify the TLS certificates of Entra ID and Exchange Online; turning it off is warned on every task.
      - Same as the option O(mailflow.exchange.inbound_connector#module:validate_certs) of the modules.
    type: bool
    default: true
    vars:
      - name: mailflow_exo_validate_certs
    env:
      - name: EXO_VALIDATE_CERTS
  ca_path:
    description:
      - PEM file of the certificate authorities trusted for both services.
      - Same as the option O(mailflow.exchange.inbound_connector#module:ca_path) of the modules.
    type: path
    vars:
      - name: mailflow_exo_ca_path
    env:
      - name: EXO_CA_PATH
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
      - Same as the option O(mailflow.exchange.inbound_connector#module:timeout) of the modules.
    type: int
    default: 60
    vars:
      - name: mailflow_exo_timeout
    env:
      - name: EXO_TIMEOUT
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

    def _encode(self, output):
        return output  # plain JSON objects already
