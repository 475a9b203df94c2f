# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of every on-premises module (declared once in module_utils/onprem.py).
    DOCUMENTATION = r"""
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
  username:
    description:
      - Account with the Exchange roles the module needs, as C(DOMAIN\\user) or C(user@domain).
      - Optional for Kerberos with an existing ticket.
      - If not set, the environment variable E(EXCHANGE_USERNAME) is used.
    type: str
  password:
    description:
      - Password of O(username). Never logged.
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
requirements:
  - pypsrp >= 0.9.1 on the controller
notes:
  - >-
    The modules run on the controller (C(connection: local) or C(delegate_to: localhost)) and talk to
    Exchange remotely; nothing is installed on the Exchange server.
  - >-
    Over the connection P(mailflow.exchange.onprem_session#connection) (one Exchange session per host
    for the whole play) these connection options are ignored: the connection's own apply.
  - All calls are single cmdlets or pipelines of cmdlets with parameters, as the Exchange endpoint
    (NoLanguage mode) requires; values are never parsed as PowerShell.
"""
