# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # How to reach an on-premises Exchange server, documented once. Modules extend
    # mailflow.exchange.onprem and mailflow.exchange.onprem.modules (options declared in
    # module_utils/_onprem/client.py); the connection onprem_session extends mailflow.exchange.onprem and
    # mailflow.exchange.onprem.plugins, whose vars and env entries are that plugin's configuration.

    # The options modules and the connection share, with the notes true of both.
    DOCUMENTATION = r"""
options:
  port:
    description:
      - TCP port of the endpoint. Defaults to 80, or 443 when O(use_ssl=true).
      - If not set, the environment variable E(EXCHANGE_PORT) is used.
    type: int
  use_ssl:
    description:
      - Connect over HTTPS. Exchange's default endpoint is HTTP with Kerberos, whose
        message encryption protects the session.
      - If not set, the environment variable E(EXCHANGE_USE_SSL) is used.
    type: bool
    default: false
  auth:
    description:
      - Authentication protocol, as offered by pypsrp.
      - V(kerberos) is what a stock Exchange server accepts on C(/PowerShell).
      - V(basic) sends the password itself and is only allowed with O(use_ssl=true).
      - If not set, the environment variable E(EXCHANGE_AUTH) is used.
    type: str
    choices: [kerberos, negotiate, ntlm, basic, credssp]
    default: kerberos
  password:
    description:
      - Password of the Exchange account. Never logged.
      - With Kerberos the tickets it gets are kept in memory only, never in a ticket cache on disk.
      - If not set, the environment variable E(EXCHANGE_PASSWORD) is used.
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate when O(use_ssl=true).
      - Turning it off is reported as a warning on every run.
      - If not set, the environment variable E(EXCHANGE_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities trusted for the server's certificate,
        for servers with certificates of a private CA.
      - If not set, the environment variable E(EXCHANGE_CA_PATH) is used.
    type: path
  connect_timeout:
    description:
      - Seconds to wait for the server to answer an HTTP request.
      - If not set, the environment variable E(EXCHANGE_CONNECT_TIMEOUT) is used.
    type: int
    default: 30
  operation_timeout:
    description:
      - Seconds the server may hold a WSMan request before answering; smaller than O(connect_timeout).
      - If not set, the environment variable E(EXCHANGE_OPERATION_TIMEOUT) is used.
    type: int
    default: 20
  kerberos_keytab:
    description:
      - Client keytab holding the key of the Exchange account (for example made with C(ktpass) or
        C(ktutil)); used instead of a password.
      - Only with O(auth=kerberos) or O(auth=negotiate).
      - If not set, the environment variable E(EXCHANGE_KERBEROS_KEYTAB) is used.
    type: path
  kerberos_ccache:
    description:
      - An existing Kerberos ticket cache to take the tickets from, as C(TYPE:NAME), for example
        C(FILE:/tmp/krb5cc_1000) after C(kinit), C(KEYRING:persistent:1000) or C(KCM:).
      - Without O(password), O(kerberos_keytab) and this option, the default cache (E(KRB5CCNAME)) is used.
      - If not set, the environment variable E(EXCHANGE_KERBEROS_CCACHE) is used.
    type: str
  kerberos_realm:
    description:
      - Kerberos realm of the user, for Active Directory the DNS domain in upper case (C(CONTOSO.COM)).
      - When set, a private C(krb5.conf) naming this realm (and its O(kerberos_kdc)) is written for the
        run, put before the system file in E(KRB5_CONFIG), and removed afterwards; host names are used
        as given (no reverse DNS).
      - A user name without a realm (C(admin) or C(CONTOSO\\admin)) becomes C(admin@<realm>).
      - Without it the system C(krb5.conf) decides.
      - If not set, the environment variable E(EXCHANGE_KERBEROS_REALM) is used.
    type: str
  kerberos_kdc:
    description:
      - KDCs (domain controllers) of O(kerberos_realm), as C(host) or C(host:port).
      - Needs O(kerberos_realm). Without it the KDCs are looked up in DNS.
      - If not set, the environment variable E(EXCHANGE_KERBEROS_KDC) is used (comma-separated).
    type: list
    elements: str
  kerberos_hostname:
    description:
      - Host name of the server's service principal C(HTTP/<name>), when the server is reached by an alias
        or an IP address the SPN is not registered for.
      - If not set, the environment variable E(EXCHANGE_KERBEROS_HOSTNAME) is used.
    type: str
  kerberos_delegate:
    description:
      - Ask for a forwardable ticket and delegate it to the server. Exchange's cmdlets do not need it.
      - If not set, the environment variable E(EXCHANGE_KERBEROS_DELEGATE) is used.
    type: bool
    default: false
requirements:
  - pypsrp >= 0.9.1 on the controller
  - For Kerberos, python-gssapi and krb5 (pyspnego's Kerberos provider) and MIT Kerberos libraries
    on the controller
notes:
  - All calls are single cmdlets or pipelines of cmdlets with parameters, as the Exchange endpoint
    (NoLanguage mode) requires; values are never parsed as PowerShell.
"""

    # What only modules have: the server and the account as module options, and how modules run.
    MODULES = r"""
options:
  host:
    description:
      - Fully qualified name of the Exchange server whose remote PowerShell endpoint
        (C(http(s)://<host>/PowerShell), session configuration C(Microsoft.Exchange)) is used.
      - Any Exchange server of the organisation can manage connectors of every server.
      - If not set, the environment variable E(EXCHANGE_HOST) is used.
      - Required unless the task runs on the connection P(mailflow.exchange.onprem_session#connection),
        which takes the server from the inventory.
    type: str
  username:
    description:
      - Account with the Exchange roles the module needs, as C(DOMAIN\\user) or C(user@domain).
      - Optional for Kerberos with an existing ticket.
      - If not set, the environment variable E(EXCHANGE_USERNAME) is used.
    type: str
notes:
  - An environment variable that is set but empty counts as unset (AWX credential types set every variable they inject).
  - >-
    The modules run on the controller (C(connection: local) or C(delegate_to: localhost)) and talk to
    Exchange remotely; nothing is installed on the Exchange server.
  - >-
    Over the connection P(mailflow.exchange.onprem_session#connection) (one Exchange session per host
    for the whole play) these connection options are ignored: the connection's own apply. A task that
    gives any of them gets a warning naming them (never their values), and one whose O(host) is not the
    connection's own fails before any call, instead of acting on the connection's server.
  - >-
    A failed task returns C(msg) and, whatever failed, C(cmdlet) and C(error_id) (the cmdlet Exchange refused
    and its error id, else null), C(applied) (the writes Exchange had confirmed before the failure, empty for a
    module that only reads) and C(changed) (true when C(applied) is not empty).
"""

    # What only the connection has: the server and the account in Ansible's connection vocabulary, and
    # where each option is read from (inventory variables first, then the environment).
    PLUGINS = r"""
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
  remote_user:
    description:
      - Account with the Exchange roles the modules need, as C(DOMAIN\\user) or C(user@domain).
      - Optional for Kerberos with an existing ticket.
    type: str
    vars:
      - name: ansible_user
    env:
      - name: EXCHANGE_USERNAME
  port:
    vars:
      - name: ansible_port
    env:
      - name: EXCHANGE_PORT
  password:
    vars:
      - name: ansible_password
    env:
      - name: EXCHANGE_PASSWORD
  use_ssl:
    vars:
      - name: mailflow_exchange_use_ssl
    env:
      - name: EXCHANGE_USE_SSL
  auth:
    vars:
      - name: mailflow_exchange_auth
    env:
      - name: EXCHANGE_AUTH
  validate_certs:
    vars:
      - name: mailflow_exchange_validate_certs
    env:
      - name: EXCHANGE_VALIDATE_CERTS
  ca_path:
    vars:
      - name: mailflow_exchange_ca_path
    env:
      - name: EXCHANGE_CA_PATH
  connect_timeout:
    vars:
      - name: mailflow_exchange_connect_timeout
    env:
      - name: EXCHANGE_CONNECT_TIMEOUT
  operation_timeout:
    vars:
      - name: mailflow_exchange_operation_timeout
    env:
      - name: EXCHANGE_OPERATION_TIMEOUT
  kerberos_keytab:
    vars:
      - name: mailflow_exchange_kerberos_keytab
    env:
      - name: EXCHANGE_KERBEROS_KEYTAB
  kerberos_ccache:
    vars:
      - name: mailflow_exchange_kerberos_ccache
    env:
      - name: EXCHANGE_KERBEROS_CCACHE
  kerberos_realm:
    vars:
      - name: mailflow_exchange_kerberos_realm
    env:
      - name: EXCHANGE_KERBEROS_REALM
  kerberos_kdc:
    vars:
      - name: mailflow_exchange_kerberos_kdc
    env:
      - name: EXCHANGE_KERBEROS_KDC
  kerberos_hostname:
    vars:
      - name: mailflow_exchange_kerberos_hostname
    env:
      - name: EXCHANGE_KERBEROS_HOSTNAME
  kerberos_delegate:
    vars:
      - name: mailflow_exchange_kerberos_delegate
    env:
      - name: EXCHANGE_KERBEROS_DELEGATE
"""
