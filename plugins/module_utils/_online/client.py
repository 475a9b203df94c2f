# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange Online connection options: the spec, the checks, the endpoints per cloud.

Remote PowerShell for Exchange Online is retired; cmdlets go to the REST endpoint
``<exchange host>/adminapi/beta/<tenant>/InvokeCommand`` with an app-only token
(see rest.py, auth.py and clouds.py).
"""

from __future__ import annotations

import re

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.mailflow.exchange.plugins.module_utils._common.argspec import merged_argument_spec
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeConnectionError
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONLINE, SessionClient, session_socket
from ansible_collections.mailflow.exchange.plugins.module_utils._online.clouds import CLOUDS, URL_OPTIONS, url_problem

# The connection options that name what a task acts on: a task over online_session that sets another value
# is refused (ExchangeModule and the session plugin both read this).
ONLINE_TARGET_OPTIONS = ("tenant", "exchange_url")

ONLINE_CONNECTION_SPEC = dict(
    # Not required: a task over the online_session connection takes them from the inventory.
    tenant=dict(type="str", fallback=(env_fallback, ["EXO_TENANT"])),
    client_id=dict(type="str", fallback=(env_fallback, ["EXO_CLIENT_ID"])),
    certificate=dict(type="path", fallback=(env_fallback, ["EXO_CERTIFICATE"])),
    private_key=dict(type="path", fallback=(env_fallback, ["EXO_PRIVATE_KEY"])),
    pfx=dict(type="path", fallback=(env_fallback, ["EXO_PFX"])),
    pfx_password=dict(type="str", no_log=True, fallback=(env_fallback, ["EXO_PFX_PASSWORD"])),
    client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["EXO_CLIENT_SECRET"])),
    cloud=dict(type="str", default="commercial", choices=sorted(CLOUDS),
               fallback=(env_fallback, ["EXO_CLOUD"])),
    authority_url=dict(type="str", fallback=(env_fallback, ["EXO_AUTHORITY_URL"])),
    exchange_url=dict(type="str", fallback=(env_fallback, ["EXO_EXCHANGE_URL"])),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["EXO_VALIDATE_CERTS"])),
    ca_path=dict(type="path", fallback=(env_fallback, ["EXO_CA_PATH"])),
    timeout=dict(type="int", default=60, fallback=(env_fallback, ["EXO_TIMEOUT"])),
    allow_custom_endpoints=dict(type="bool", default=False, fallback=(env_fallback, ["EXO_ALLOW_CUSTOM_ENDPOINTS"])),
)

CREDENTIAL_KINDS = ("certificate", "pfx", "client_secret")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")


def online_argument_spec(*specs):
    """The connection options plus a module's own (see argspec.merged_argument_spec)."""
    return merged_argument_spec(ONLINE_CONNECTION_SPEC, *specs)


def credential_problem(params):
    """Why the credential options are unusable (None when exactly one kind is given)."""
    given = [kind for kind in CREDENTIAL_KINDS if params.get(kind)]
    if not given:
        return ("give one credential: certificate (PEM file, with private_key unless it holds the key), "
                "pfx (PKCS#12 file, with pfx_password) or client_secret")
    if len(given) > 1:
        return "give only one credential, not %s" % " and ".join(given)
    if params.get("private_key") and given != ["certificate"]:
        return "private_key belongs to certificate (a PEM file); it cannot be used with %s" % given[0]
    if params.get("pfx_password") and given != ["pfx"]:
        return "pfx_password belongs to pfx; it cannot be used with %s" % given[0]
    return None


def address_problem(params):
    """Why tenant, authority_url or exchange_url is malformed or not allowed (None when fine)."""
    tenant = params["tenant"]
    if not (_GUID.match(tenant) or _DOMAIN.match(tenant)):
        return ("tenant must be the tenant GUID (00000000-0000-0000-0000-000000000000) or a domain "
                "such as contoso.onmicrosoft.com, got %r" % tenant)
    for option in URL_OPTIONS:
        problem = url_problem(option, params.get(option), params)
        if problem:
            return problem
    if params["timeout"] <= 0:
        return "timeout must be a positive number of seconds, got %d" % params["timeout"]
    return None


def check_online_options(module):
    """Reject impossible or unsafe connection settings before any traffic.

    Loads the credential too, so a missing file or a wrong pfx_password fails here.
    Over the online_session connection the module's connection options are not
    used (the session has its own, checked there), so nothing is checked here.
    """
    try:
        if session_socket(module, ONLINE):
            return
    except ExchangeConnectionError as err:
        module.fail_json(msg=str(err))
    # Loaded only without a session: msal, cryptography and requests cost a module ~0.2 s.
    from ansible_collections.mailflow.exchange.plugins.module_utils._online import auth as online_auth

    for import_error, library in ((online_auth.CRYPTOGRAPHY_IMPORT_ERROR, "cryptography"),
                                  (online_auth.MSAL_IMPORT_ERROR, "msal")):
        if import_error:
            module.fail_json(msg=missing_required_lib(library), exception=import_error)
    problem = online_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    try:
        online_auth.load_credential(module.params)
    except online_auth.CredentialError as err:
        module.fail_json(msg=str(err))
    for warning in online_warnings(module.params):
        module.warn(warning)


def online_client(module):
    """The client a module uses: over the online_session connection when the task runs on it
    (the session's connection options apply, the module's are ignored), else a direct OnlineClient."""
    socket_path = session_socket(module, ONLINE)
    if socket_path:
        return SessionClient(socket_path, ONLINE, warn=module.warn)
    from ansible_collections.mailflow.exchange.plugins.module_utils._online.rest import OnlineClient

    return OnlineClient(module.params, warn=module.warn)


def online_problem(params):
    """Why the connection options cannot be used (None when they can); the credential file is not read."""
    missing = [option for option in ("tenant", "client_id") if not params.get(option)]
    if missing:
        return ("%s required: give %s (or %s), or run the task on the connection "
                "mailflow.exchange.online_session with mailflow_exo_<option> variables"
                % (" and ".join(missing), " and ".join(missing),
                   " and ".join("EXO_" + option.upper() for option in missing)))
    if params["cloud"] not in CLOUDS:
        return "cloud must be one of %s, got %r" % (", ".join(sorted(CLOUDS)), params["cloud"])
    return credential_problem(params) or address_problem(params)


def online_warnings(params):
    """Warnings for settings that work but are unsupported or unsafe."""
    warnings = []
    overrides = [option for option in URL_OPTIONS if params.get(option)]
    if params.get("allow_custom_endpoints") and overrides:
        warnings.append("allow_custom_endpoints=true: %s may name any host, which receives the app's tokens%s. "
                        "Use it only for a test service you trust."
                        % (" and ".join(overrides),
                           " and its client secret" if params.get("client_secret") and params.get("authority_url")
                           else ""))
    if params.get("client_secret"):
        warnings.append("client_secret: Microsoft documents only certificate credentials for app-only "
                        "Exchange Online access; secrets work today but are unsupported. Prefer certificate or pfx.")
    if not params["validate_certs"]:
        warnings.append("validate_certs=false: the TLS certificates of Entra ID and Exchange Online are not "
                        "verified; anyone on the network path can take the token. Use ca_path instead.")
    return warnings
