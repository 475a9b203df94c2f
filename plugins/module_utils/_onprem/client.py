# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""On-premises Exchange over PowerShell remoting (pypsrp).

Exchange serves remote PowerShell at ``http(s)://<server>/PowerShell`` with the
session configuration ``Microsoft.Exchange`` in NoLanguage mode: only cmdlets
with parameters, and pipelines of cmdlets. Every call here is built with
add_cmdlet/add_parameter, which is also the injection defence: values are
never parsed as PowerShell.
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.mailflow.exchange.plugins.module_utils._common.argspec import merged_argument_spec
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeConnectionError
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.kerberos_options import KERBEROS_SPEC, kerberos_option_errors
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONPREM, SessionClient, session_socket

AUTH_CHOICES = ["kerberos", "negotiate", "ntlm", "basic", "credssp"]

# The connection options that name what a task acts on: a task over onprem_session that sets another value
# is refused (ExchangeModule and the session plugin both read this).
ONPREM_TARGET_OPTIONS = ("host",)

ONPREM_CONNECTION_SPEC = dict(
    # Not required: a task over the onprem_session connection takes the host from the inventory.
    host=dict(type="str", fallback=(env_fallback, ["EXCHANGE_HOST"])),
    port=dict(type="int", fallback=(env_fallback, ["EXCHANGE_PORT"])),
    use_ssl=dict(type="bool", default=False, fallback=(env_fallback, ["EXCHANGE_USE_SSL"])),
    auth=dict(type="str", default="kerberos", choices=AUTH_CHOICES,
              fallback=(env_fallback, ["EXCHANGE_AUTH"])),
    username=dict(type="str", fallback=(env_fallback, ["EXCHANGE_USERNAME"])),
    password=dict(type="str", no_log=True, fallback=(env_fallback, ["EXCHANGE_PASSWORD"])),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["EXCHANGE_VALIDATE_CERTS"])),
    ca_path=dict(type="path", fallback=(env_fallback, ["EXCHANGE_CA_PATH"])),
    connect_timeout=dict(type="int", default=30, fallback=(env_fallback, ["EXCHANGE_CONNECT_TIMEOUT"])),
    operation_timeout=dict(type="int", default=20, fallback=(env_fallback, ["EXCHANGE_OPERATION_TIMEOUT"])),
    **KERBEROS_SPEC
)


def check_connection_options(module):
    """Reject unsafe or impossible connection settings before any traffic.

    Over the onprem_session connection the module's connection options are not used (the session
    checks its own) and the module needs no pypsrp: the session process reads Exchange's answers.
    """
    try:
        over_session = session_socket(module, ONPREM)
    except ExchangeConnectionError as err:
        module.fail_json(msg=str(err))
    if over_session:
        return
    import_error = pypsrp_import_error()
    if import_error:
        module.fail_json(msg=missing_required_lib("pypsrp"), exception=import_error)
    problem = connection_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    for warning in connection_warnings(module.params):
        module.warn(warning)


def pypsrp_import_error():
    """The traceback of importing pypsrp's client side (onprem_psrp.py), or None.

    Imported here, on demand, so that a task over the session never loads it.
    """
    from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.psrp import PYPSRP_IMPORT_ERROR

    return PYPSRP_IMPORT_ERROR


def connection_problem(params):
    """Why the connection options cannot be used (None when they can)."""
    if not params["host"]:
        return ("host is required: give host (or EXCHANGE_HOST), or run the task on the connection "
                "mailflow.exchange.onprem_session with ansible_host")
    if params["auth"] == "basic" and not params["use_ssl"]:
        return ("auth=basic sends the password in clear text: it needs use_ssl=true "
                "(Exchange accepts Basic on /PowerShell only over HTTPS)")
    if params["auth"] in ("basic", "credssp", "ntlm") and not (params["username"] and params["password"]):
        return ("auth=%s needs username and password (or EXCHANGE_USERNAME and "
                "EXCHANGE_PASSWORD)" % params["auth"])
    kerberos_errors = kerberos_option_errors(params)
    if kerberos_errors:
        return "; ".join(kerberos_errors)
    if params["operation_timeout"] >= params["connect_timeout"]:
        return ("operation_timeout (%d) must be smaller than connect_timeout (%d): the "
                "server answers a long poll after operation_timeout"
                % (params["operation_timeout"], params["connect_timeout"]))
    return None


def connection_warnings(params):
    """Warnings for settings that work but are unsafe."""
    if params["use_ssl"] and not params["validate_certs"]:
        return ["validate_certs=false: the Exchange server's TLS certificate is not verified; "
                "anyone on the network path can read the credentials. Use ca_path instead."]
    return []


def onprem_client(module):
    """The client a module uses: over the onprem_session connection when the task runs on it
    (the session's connection options apply, the module's are ignored), else a direct OnPremClient."""
    socket_path = session_socket(module, ONPREM)
    if socket_path:
        return SessionClient(socket_path, ONPREM, warn=module.warn)
    from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.psrp import OnPremClient

    return OnPremClient(module.params)


def onprem_argument_spec(*specs):
    """The connection options plus a module's own (see argspec.merged_argument_spec)."""
    return merged_argument_spec(ONPREM_CONNECTION_SPEC, *specs)
