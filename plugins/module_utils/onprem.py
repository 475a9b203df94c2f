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

import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.mailflow.exchange.plugins.module_utils.argspec import merged_argument_spec
from ansible_collections.mailflow.exchange.plugins.module_utils.errors import (
    ExchangeConnectionError,
    ExchangeError,
    category_name,
)
from ansible_collections.mailflow.exchange.plugins.module_utils.session import ONPREM, SessionClient, session_socket

try:
    import requests
    from pypsrp.complex_objects import RunspacePoolState
    from pypsrp.exceptions import AuthenticationError, WinRMError, WinRMTransportError, WSManFaultError
    from pypsrp.powershell import PowerShell, RunspacePool
    from urllib3.exceptions import NewConnectionError
    from pypsrp.wsman import WSMan
except ImportError:
    PYPSRP_IMPORT_ERROR = traceback.format_exc()
else:
    PYPSRP_IMPORT_ERROR = None

AUTH_CHOICES = ["kerberos", "negotiate", "ntlm", "basic", "credssp"]
CONFIGURATION_NAME = "Microsoft.Exchange"
ENDPOINT_PATH = "PowerShell"
# WinRM's fault for a ShellId the server no longer has (ERROR_WSMAN_SHELL_NOT_FOUND, 0x8033805B).
SHELL_NOT_FOUND = 2150858843

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
)

# The options above, for modules that must not pass them on as Exchange parameters.
CONNECTION_OPTIONS = frozenset(ONPREM_CONNECTION_SPEC)


def check_connection_options(module):
    """Reject unsafe or impossible connection settings before any traffic.

    Over the onprem_session connection the module's connection options are not
    used (the session has its own, checked there), so nothing is checked here.
    """
    if session_socket(module, ONPREM):
        return
    if PYPSRP_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("pypsrp"), exception=PYPSRP_IMPORT_ERROR)
    problem = connection_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    for warning in connection_warnings(module.params):
        module.warn(warning)


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
    return OnPremClient(module.params)


def _cert_validation(params):
    if not params["validate_certs"]:
        return False
    return params["ca_path"] or True


class OnPremClient:
    """One runspace pool on one Exchange server, opened on first use."""

    def __init__(self, params):
        self._params = params
        self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _open(self):
        p = self._params
        port = p["port"] or (443 if p["use_ssl"] else 80)
        wsman = WSMan(
            p["host"], port=port, path=ENDPOINT_PATH, ssl=p["use_ssl"], auth=p["auth"],
            username=p["username"], password=p["password"],
            cert_validation=_cert_validation(p),
            connection_timeout=p["connect_timeout"], read_timeout=p["connect_timeout"],
            operation_timeout=p["operation_timeout"],
            # Exchange's endpoint is an IIS application: its SPN is HTTP/<host>, not WSMAN/<host>.
            negotiate_service="HTTP",
            reconnection_retries=2,
        )
        pool = RunspacePool(wsman, configuration_name=CONFIGURATION_NAME)
        with _connection_errors(p):
            pool.open()
        self._pool = pool

    @property
    def is_open(self):
        """True while the pool is open as far as the client knows (the server may have dropped it)."""
        return self._pool is not None and self._pool.state == RunspacePoolState.OPENED

    def close(self):
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                pool.close()
            except Exception:  # pylint: disable=broad-except
                pass  # closing is best effort: the server drops idle shells itself

    def invoke(self, cmdlet, parameters=None):
        """Run one cmdlet; return its output objects."""
        return self.invoke_pipeline([(cmdlet, parameters or {})])

    def invoke_pipeline(self, commands):
        """Run ``[(cmdlet, {parameter: value}), ...]`` as one pipeline.

        A value of True for a switch parameter sends ``-Switch:$true``. Raises
        ExchangeError with the first error record when the pipeline reports any.
        """
        if self._pool is None:
            self._open()
        ps = PowerShell(self._pool)
        for cmdlet, parameters in commands:
            ps.add_cmdlet(cmdlet)
            for name, value in parameters.items():
                ps.add_parameter(name, value)
        with _connection_errors(self._params, starting=True):
            ps.begin_invoke()
        with _connection_errors(self._params):
            output = ps.end_invoke()
        # A long-lived pool (onprem_session) would otherwise keep every finished pipeline.
        self._pool.pipelines.pop(ps.id, None)
        if ps.had_errors or ps.streams.error:
            raise error_from_record(ps.streams.error[0] if ps.streams.error else None,
                                    commands[-1][0])
        return output


def error_from_record(record, fallback_cmdlet):
    """An ExchangeError carrying what a PSRP ErrorRecord says."""
    if record is None:
        return ExchangeError("the pipeline failed without an error record", fallback_cmdlet)
    exception = getattr(record, "exception", None)
    message = _exception_message(exception) or getattr(record, "message", None) or str(record)
    return ExchangeError(
        message,
        cmdlet=getattr(record, "activity", None) or fallback_cmdlet,
        category=category_name(getattr(record, "category", None)),
        error_id=getattr(record, "fq_error", None),
        exception_type=_exception_type(exception) or getattr(record, "reason", None),
    )


def _exception_message(exception):
    for props in ("adapted_properties", "extended_properties"):
        message = getattr(exception, props, {}).get("Message")
        if message:
            return str(message)
    return None


def _exception_type(exception):
    types = getattr(exception, "types", None) or []
    return types[0].replace("Deserialized.", "", 1) if types else None


class _connection_errors:
    """Turn transport failures into ExchangeConnectionError with a hint on what to fix.

    ``starting``: the pipeline is being created; a failure that proves the server
    never got it (no TCP connection, or the shell is gone) marks the error
    ``command_not_run`` so a session may repeat the call on a new pool.
    """

    def __init__(self, params, starting=False):
        self._params = params
        self._starting = starting

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, ExchangeError):
            return False
        hint = _connection_hint(exc, self._params)
        if hint is None:
            return False
        error = ExchangeConnectionError("%s: %s" % (hint, _safe_text(exc, self._params)))
        error.command_not_run = self._starting and _never_reached_pipeline(exc)
        raise error from None


def _never_reached_pipeline(exc):
    if isinstance(exc, WSManFaultError):
        return exc.code == SHELL_NOT_FOUND
    if isinstance(exc, requests.exceptions.ConnectionError):
        # urllib3 could not even open the TCP connection: nothing was sent.
        cause = exc.args[0] if exc.args else None
        return isinstance(getattr(cause, "reason", cause), NewConnectionError)
    return False


def _connection_hint(exc, params):
    port = params["port"] or (443 if params["use_ssl"] else 80)
    where = "%s://%s:%s/%s" % ("https" if params["use_ssl"] else "http", params["host"], port, ENDPOINT_PATH)
    if isinstance(exc, requests.exceptions.SSLError):
        return ("TLS handshake with %s failed; if the certificate is from a private CA give its PEM "
                "file in ca_path" % where)
    if isinstance(exc, AuthenticationError) or (
            isinstance(exc, WinRMTransportError) and exc.code == 401):
        return "%s refused the credentials of %s (auth=%s)" % (where, params["username"], params["auth"])
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
        return "cannot reach %s (check host, port and use_ssl)" % where
    if isinstance(exc, WinRMError):
        return "%s answered with an error" % where
    return None


def _safe_text(exc, params):
    """The exception text, with the password masked should a library echo it."""
    text = str(exc)
    if params.get("password"):
        text = text.replace(params["password"], "********")
    return text


def onprem_argument_spec(*specs):
    """The connection options plus a module's own (see argspec.merged_argument_spec)."""
    return merged_argument_spec(ONPREM_CONNECTION_SPEC, *specs)
