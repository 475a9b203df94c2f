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
  - Modules run on the controller, as with the C(local) connection. Without this connection the modules
    connect directly, one session per task.
author:
  - mailflow.exchange contributors (@mailflow)
version_added: 0.1.0
extends_documentation_fragment:
  - mailflow.exchange.session
options:
  remote_addr:
    description:
      - Fully qualified name of the Exchange server (C(http(s)://<host>/PowerShell)). Defaults to the
        inventory host name.
    type: str
    vars:
      - name: ansible_host
    env:
      - name: EXCHANGE_HOST
  port:
    description:
      - TCP port of the endpoint. Defaults to 80, or 443 with O(use_ssl=true).
    type: int
    vars:
      - name: ansible_port
    env:
      - name: EXCHANGE_PORT
  remote_user:
    description:
      - Account with the Exchange roles the modules need, as C(DOMAIN\\user) or C(user@domain).
    type: str
    vars:
      - name: ansible_user
    env:
      - name: EXCHANGE_USERNAME
  password:
    description:
      - Password of O(remote_user). Never logged.
    type: str
    vars:
      - name: ansible_password
    env:
      - name: EXCHANGE_PASSWORD
  use_ssl:
    description:
      - Connect over HTTPS. Exchange's default endpoint is HTTP with Kerberos message encryption.
    type: bool
    default: false
    vars:
      - name: mailflow_exchange_use_ssl
    env:
      - name: EXCHANGE_USE_SSL
  auth:
    description:
      - Authentication protocol, as offered by pypsrp; V(basic) only with O(use_ssl=true).
    type: str
    choices: [kerberos, negotiate, ntlm, basic, credssp]
    default: kerberos
    vars:
      - name: mailflow_exchange_auth
    env:
      - name: EXCHANGE_AUTH
  validate_certs:
    description:
      - Verify the server's TLS certificate when O(use_ssl=true); turning it off is warned on every task.
    type: bool
    default: true
    vars:
      - name: mailflow_exchange_validate_certs
    env:
      - name: EXCHANGE_VALIDATE_CERTS
  ca_path:
    description:
      - PEM file of the certificate authorities trusted for the server's certificate.
    type: path
    vars:
      - name: mailflow_exchange_ca_path
    env:
      - name: EXCHANGE_CA_PATH
  connect_timeout:
    description:
      - Seconds to wait for the server to answer an HTTP request.
    type: int
    default: 30
    vars:
      - name: mailflow_exchange_connect_timeout
    env:
      - name: EXCHANGE_CONNECT_TIMEOUT
  operation_timeout:
    description:
      - Seconds the server may hold a WSMan request before answering; smaller than O(connect_timeout).
    type: int
    default: 20
    vars:
      - name: mailflow_exchange_operation_timeout
    env:
      - name: EXCHANGE_OPERATION_TIMEOUT
  kerberos_keytab:
    description:
      - Client keytab holding the key of O(remote_user) (Kerberos authentication).
    type: path
    vars:
      - name: mailflow_exchange_kerberos_keytab
    env:
      - name: EXCHANGE_KERBEROS_KEYTAB
  kerberos_ccache:
    description:
      - An existing Kerberos ticket cache to use, for example C(FILE:/tmp/krb5cc_1000).
    type: str
    vars:
      - name: mailflow_exchange_kerberos_ccache
    env:
      - name: EXCHANGE_KERBEROS_CCACHE
  kerberos_realm:
    description:
      - Kerberos realm; with O(kerberos_kdc) a private C(krb5.conf) is generated for the session.
    type: str
    vars:
      - name: mailflow_exchange_kerberos_realm
    env:
      - name: EXCHANGE_KERBEROS_REALM
  kerberos_kdc:
    description:
      - KDCs of O(kerberos_realm) as C(host) or C(host:port); the environment variable is comma-separated.
    type: list
    elements: str
    vars:
      - name: mailflow_exchange_kerberos_kdc
    env:
      - name: EXCHANGE_KERBEROS_KDC
  kerberos_hostname:
    description:
      - Host name for the service principal C(HTTP/<name>) when the server is reached by an alias or address.
    type: str
    vars:
      - name: mailflow_exchange_kerberos_hostname
    env:
      - name: EXCHANGE_KERBEROS_HOSTNAME
  kerberos_delegate:
    description:
      - Let the server act on the user's behalf with a forwardable ticket.
    type: bool
    default: false
    vars:
      - name: mailflow_exchange_kerberos_delegate
    env:
      - name: EXCHANGE_KERBEROS_DELEGATE
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
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONPREM, encode_objects
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

    def _encode(self, output):
        return encode_objects(output)
