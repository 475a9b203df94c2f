# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # How to reach a tenant's Exchange Online, documented once. Modules extend mailflow.exchange.online and
    # mailflow.exchange.online.modules (options declared in module_utils/_online/client.py); the connection
    # online_session extends mailflow.exchange.online and mailflow.exchange.online.plugins, whose vars and env
    # entries are that plugin's configuration.

    # The options modules and the connection share, with the notes true of both.
    DOCUMENTATION = r"""
options:
  tenant:
    description:
      - The Microsoft 365 tenant, as its GUID or its C(x.onmicrosoft.com) name.
      - If not set, the environment variable E(EXO_TENANT) is used.
    type: str
  client_id:
    description:
      - Application (client) ID of the Entra ID app registration the modules sign in as.
      - The app needs the application permission C(Exchange.ManageAsApp) of C(Office 365 Exchange Online)
        with admin consent, and its service principal the C(Exchange Administrator) role.
      - If not set, the environment variable E(EXO_CLIENT_ID) is used.
    type: str
  certificate:
    description:
      - PEM file with the certificate registered for the app (its SHA-1 thumbprint is computed).
      - The file may also hold the unencrypted private key; otherwise give O(private_key).
      - Exactly one of O(certificate), O(pfx) and O(client_secret) is required.
      - If not set, the environment variable E(EXO_CERTIFICATE) is used.
    type: path
  private_key:
    description:
      - PEM file with the unencrypted RSA private key of O(certificate). Keep it readable by the controller user only.
      - If not set, the environment variable E(EXO_PRIVATE_KEY) is used.
    type: path
  pfx:
    description:
      - PKCS#12 (PFX) file with the app's certificate and its private key, as exported from Windows.
      - The file may also hold the PFX base64-encoded (as the AWX credential type writes it).
      - If not set, the environment variable E(EXO_PFX) is used.
    type: path
  pfx_password:
    description:
      - Password of O(pfx). Never logged.
      - If not set, the environment variable E(EXO_PFX_PASSWORD) is used.
    type: str
  client_secret:
    description:
      - Client secret of the app, instead of a certificate. Never logged.
      - Microsoft documents only certificate credentials for app-only Exchange Online access; secrets work
        with the endpoint used here but are unsupported by Microsoft, and using one is reported as a warning.
      - If not set, the environment variable E(EXO_CLIENT_SECRET) is used.
    type: str
  cloud:
    description:
      - The Microsoft cloud the tenant lives in; it selects the Entra ID and Exchange Online hosts.
      - V(commercial) (also GCC), V(gcc_high), V(dod) (US Department of Defense), V(china) (operated by 21Vianet).
      - If not set, the environment variable E(EXO_CLOUD) is used.
    type: str
    choices: [china, commercial, dod, gcc_high]
    default: commercial
  authority_url:
    description:
      - Base URL (C(https://host)) of the Entra ID token service instead of the cloud's default; the tenant is
        appended. Only Microsoft's login hosts of O(cloud) are accepted unless O(allow_custom_endpoints=true).
      - A user name or password in the URL (C(https://user@host)) is always refused.
      - If not set, the environment variable E(EXO_AUTHORITY_URL) is used.
    type: str
  exchange_url:
    description:
      - Base URL (C(https://host)) of the Exchange Online endpoint instead of the cloud's default, for example
        C(https://webmail.apps.mil) for O(cloud=dod). Only Microsoft's Exchange hosts of O(cloud) are accepted
        unless O(allow_custom_endpoints=true). Tokens are still requested for the cloud's Exchange Online resource.
      - A user name or password in the URL (C(https://user@host)) is always refused.
      - If not set, the environment variable E(EXO_EXCHANGE_URL) is used.
    type: str
  allow_custom_endpoints:
    description:
      - Let O(authority_url) and O(exchange_url) name any HTTPS host and port, such as a local test service.
        That host receives the app's tokens for the real Exchange Online (and, with O(client_secret), the
        secret), so every task that uses it is reported with a warning.
      - Never needed for Microsoft's clouds.
      - If not set, the environment variable E(EXO_ALLOW_CUSTOM_ENDPOINTS) is used.
    type: bool
    default: false
  validate_certs:
    description:
      - Verify the TLS certificates of Entra ID and Exchange Online.
      - Turning it off is reported as a warning on every run.
      - If not set, the environment variable E(EXO_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities trusted for both services, e.g. behind a TLS-inspecting proxy.
        It takes precedence over E(REQUESTS_CA_BUNDLE).
      - With O(ca_path) or O(validate_certs=false) the environment is not consulted, so proxy variables
        such as E(HTTPS_PROXY) are ignored too.
      - If not set, the environment variable E(EXO_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
      - If not set, the environment variable E(EXO_TIMEOUT) is used.
    type: int
    default: 60
requirements:
  - msal >= 1.39.0 on the controller
  - cryptography on the controller
  - requests on the controller
notes:
  - >-
    Each cmdlet is sent to the REST endpoint C(/adminapi/beta/<tenant>/InvokeCommand) that Microsoft's
    ExchangeOnlineManagement module uses; it is not a documented API.
  - >-
    Throttled or busy answers (HTTP 429 and 503, and for reads 504) are retried a few times, honouring
    C(Retry-After), for at most about a minute.
"""

    # What only modules have: how they run, and when the options may be left out.
    MODULES = r"""
options: {}
notes:
  - An environment variable that is set but empty counts as unset (AWX credential types set every variable they inject).
  - >-
    O(tenant) and O(client_id) are required unless the task runs on the connection
    P(mailflow.exchange.online_session#connection).
  - >-
    The modules run on the controller (C(connection: local) or C(delegate_to: localhost)).
  - >-
    The token is reused within one module run; it is not stored on disk. Over the connection
    P(mailflow.exchange.online_session#connection) one token serves the whole play, and these connection
    options are ignored: the connection's own apply. A task that gives any of them gets a warning naming
    them (never their values), and one whose O(tenant) or O(exchange_url) is not the connection's own fails
    before any call, instead of acting on the connection's tenant.
  - >-
    A failed task returns C(msg) and, whatever failed, C(cmdlet) and C(error_id) (the cmdlet Exchange Online refused
    and its error id, else null), C(applied) (the writes Exchange Online had confirmed before the failure, empty for a
    module that only reads) and C(changed) (true when C(applied) is not empty).
"""

    # Where the connection reads each option from: inventory variables first, then the environment.
    PLUGINS = r"""
options:
  tenant:
    vars:
      - name: mailflow_exo_tenant
    env:
      - name: EXO_TENANT
  client_id:
    vars:
      - name: mailflow_exo_client_id
    env:
      - name: EXO_CLIENT_ID
  certificate:
    vars:
      - name: mailflow_exo_certificate
    env:
      - name: EXO_CERTIFICATE
  private_key:
    vars:
      - name: mailflow_exo_private_key
    env:
      - name: EXO_PRIVATE_KEY
  pfx:
    vars:
      - name: mailflow_exo_pfx
    env:
      - name: EXO_PFX
  pfx_password:
    vars:
      - name: mailflow_exo_pfx_password
    env:
      - name: EXO_PFX_PASSWORD
  client_secret:
    vars:
      - name: mailflow_exo_client_secret
    env:
      - name: EXO_CLIENT_SECRET
  cloud:
    vars:
      - name: mailflow_exo_cloud
    env:
      - name: EXO_CLOUD
  authority_url:
    vars:
      - name: mailflow_exo_authority_url
    env:
      - name: EXO_AUTHORITY_URL
  exchange_url:
    vars:
      - name: mailflow_exo_exchange_url
    env:
      - name: EXO_EXCHANGE_URL
  allow_custom_endpoints:
    vars:
      - name: mailflow_exo_allow_custom_endpoints
    env:
      - name: EXO_ALLOW_CUSTOM_ENDPOINTS
  validate_certs:
    vars:
      - name: mailflow_exo_validate_certs
    env:
      - name: EXO_VALIDATE_CERTS
  ca_path:
    vars:
      - name: mailflow_exo_ca_path
    env:
      - name: EXO_CA_PATH
  timeout:
    vars:
      - name: mailflow_exo_timeout
    env:
      - name: EXO_TIMEOUT
"""
