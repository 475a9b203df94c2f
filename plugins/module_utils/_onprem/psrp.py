# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The direct client of on-premises Exchange: one pypsrp RunspacePool, its retries and errors.

Kept apart from onprem.py (options, checks, choosing the client) so that a task over
the onprem_session connection never loads pypsrp's client side, requests or the
Kerberos libraries: loading them costs a module more than the whole session call.
"""

from __future__ import annotations

import time
import traceback

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
    ExchangeOutcomeUnknown,
    category_name,
    tls_failure_message,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.kerberos import KerberosSetup, kerberos_error_hint
from ansible_collections.mailflow.exchange.plugins.module_utils._common.outcome import applied_writes
from ansible_collections.mailflow.exchange.plugins.module_utils._common.retry import Backoff, all_reads
from ansible_collections.mailflow.exchange.plugins.module_utils._values.psobject import plain_objects

try:
    import requests
    from pypsrp.complex_objects import RunspacePoolState
    from pypsrp.exceptions import AuthenticationError, WinRMError, WinRMTransportError, WSManFaultError
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan
    from urllib3.exceptions import NewConnectionError
except ImportError:
    PYPSRP_IMPORT_ERROR = traceback.format_exc()
else:
    PYPSRP_IMPORT_ERROR = None

# The WSMan fault code WinRM answers for a ShellId it no longer has ("... failed because the shell was
# not found on the server"); winerror.h names 0x8033805B ERROR_WSMAN_UNEXPECTED_SELECTORS. WinRM clients
# (e.g. the WinRM Ruby gem's FAULTS_FOR_RESET) open a new shell on it.
SHELL_NOT_FOUND = 2150858843

# Opening a pool refused by Exchange's per-user throttling (PowerShellMaxConcurrency, see
# Set-ThrottlingPolicy.md) is retried: nothing was opened, so a new try is always safe.
POOL_OPEN_ATTEMPTS = 8
POOL_OPEN_MAX_WAIT = 45.0
# Reads that failed on the way (reset, timeout, WSMan fault) are tried again this often.
READ_ATTEMPTS = 3
# How Exchange words its runspace throttling: ErrorMaxRunspacesLimit ("...exceeded the maximum
# number of connections allowed : 18 for the policy party : MaxConcurrency...") and the
# tarpitting variant ("...exceeded your budget to create runspace...").
# GUESS: the exact wording, taken from what administrators report.
THROTTLING_MARKERS = ("maximum number of connections allowed", "policy party", "budget to create runspace",
                      "maxconcurrency")

# The Exchange Management Shell endpoint: http(s)://<server>/PowerShell, configuration Microsoft.Exchange.
CONFIGURATION_NAME = "Microsoft.Exchange"
ENDPOINT_PATH = "PowerShell"


def _cert_validation(params):
    if not params["validate_certs"]:
        return False
    return params["ca_path"] or True


def is_throttling(exc):
    """Exchange refused a runspace because the user holds too many (or opens them too fast)."""
    text = str(exc).lower()
    return isinstance(exc, WinRMError) and any(marker in text for marker in THROTTLING_MARKERS)


def is_transient(exc):
    """A failure on the way (connection cut, timeout, WSMan fault) rather than an answer from Exchange."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False  # a certificate does not fix itself
    if isinstance(exc, requests.exceptions.ConnectionError) and "NewConnectionError" in str(exc):
        return False  # refused or unresolvable: a wrong host or port (urllib3 already retried the connect)
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout, WSManFaultError)):
        return True
    return isinstance(exc, WinRMTransportError) and exc.code >= 500


class OnPremClient:
    """One runspace pool on one Exchange server, opened on first use.

    Reads are retried (bounded) when the connection fails on the way; a write whose answer
    is lost raises ExchangeOutcomeUnknown and is never sent again. ``applied`` lists the
    writes Exchange confirmed, for failure results ("what was applied before the failure").
    """

    def __init__(self, params):
        self._params = params
        self._pool = None
        self._kerberos = None
        self._pipeline_started = False
        self.applied = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _open(self):
        p = self._params
        port = p["port"] or (443 if p["use_ssl"] else 80)
        if self._kerberos is None:
            self._kerberos = KerberosSetup(p)  # credentials, SPN host, private krb5.conf
        wsman = WSMan(
            p["host"], port=port, path=ENDPOINT_PATH, ssl=p["use_ssl"], auth=p["auth"],
            **self._kerberos.wsman_arguments(),
            cert_validation=_cert_validation(p),
            connection_timeout=p["connect_timeout"], read_timeout=p["connect_timeout"],
            operation_timeout=p["operation_timeout"],
            # Exchange's endpoint is an IIS application: its SPN is HTTP/<host>, not WSMAN/<host>.
            negotiate_service="HTTP",
            reconnection_retries=2,
        )
        pool = RunspacePool(wsman, configuration_name=CONFIGURATION_NAME)
        pool.open()
        self._pool = pool

    @property
    def is_open(self):
        """True while the pool is open as far as the client knows (the server may have dropped it)."""
        return self._pool is not None and self._pool.state == RunspacePoolState.OPENED

    @property
    def shell_id(self):
        """The WinRM ShellId of the open pool (None before it opens): what the server's logs show."""
        return self._pool.shell.id if self._pool is not None else None

    def _open_with_retries(self):
        """Open the pool; throttling and failures on the way are retried within bounds (opening writes nothing)."""
        throttled = Backoff(POOL_OPEN_ATTEMPTS, total=POOL_OPEN_MAX_WAIT)
        failed = Backoff(READ_ATTEMPTS, total=POOL_OPEN_MAX_WAIT)
        while True:
            try:
                with _connection_errors(self._params, keep=_retryable_open):
                    self._open()
                return
            except Exception as exc:  # pylint: disable=broad-except
                if not _retryable_open(exc):
                    raise
                backoff = throttled if is_throttling(exc) else failed
                delay = backoff.next_delay()
                if delay is None:
                    raise _give_up(exc, self._params, "opening a runspace", backoff) from None
                time.sleep(delay)

    def _drop_pool(self):
        """After a failure on the way: close the shell over a new connection, then start afresh.

        The old connection's authentication (NTLM/Kerberos message encryption) is bound to the
        socket that failed; without a new one the Delete is refused and the shell stays open on
        the server, counting against the user's runspace limit.
        """
        transport = getattr(getattr(self._pool, "connection", None), "transport", None)
        if transport is not None:
            try:
                transport.close()
            except Exception:  # pylint: disable=broad-except
                pass
            transport.session = None
            transport.encryption = None
        self.close()

    def close_after_failure(self):
        """close() for a client whose call broke off half-way (an exception from outside, e.g. a timeout
        alarm): the shell is deleted over a new connection, not left counting against the runspace limit."""
        self._drop_pool()

    def close(self):
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                pool.close()
            except Exception:  # pylint: disable=broad-except
                pass  # closing is best effort: the server drops idle shells itself
        if self._kerberos is not None:
            self._kerberos.close()
            self._kerberos = None

    def invoke(self, cmdlet, parameters=None):
        """Run one cmdlet; return its output objects."""
        return self.invoke_pipeline([(cmdlet, parameters or {})])

    def invoke_pipeline(self, commands):
        """Run ``[(cmdlet, {parameter: value}), ...]`` as one pipeline; its output as plain data
        (psobject.plain_objects, the one rendering modules read, with or without the session).

        A value of True for a switch parameter sends ``-Switch:$true``. Raises
        ExchangeError with the first error record when the pipeline reports any, and
        ExchangeOutcomeUnknown when the connection failed while a write was under way.
        """
        backoff = Backoff(READ_ATTEMPTS, total=POOL_OPEN_MAX_WAIT)
        while True:
            if self._pool is None:
                self._open_with_retries()
            try:
                with _connection_errors(self._params, keep=is_transient):
                    output, ps = self._run(commands)
                break
            except Exception as exc:  # pylint: disable=broad-except
                if not is_transient(exc):
                    raise
                # A write may be sent again only when Exchange certainly never got it.
                never_sent = not self._pipeline_started and _never_reached_pipeline(exc)
                self._drop_pool()
                if not (never_sent or all_reads(commands)):
                    raise ExchangeOutcomeUnknown(
                        "the connection failed while %s was under way, so whether Exchange applied it is "
                        "unknown (it is not sent again): %s" % (commands[-1][0], _safe_text(exc, self._params)),
                        cmdlet=commands[-1][0]) from None
                delay = backoff.next_delay()
                if delay is None:
                    raise _give_up(exc, self._params, commands[-1][0], backoff) from None
                time.sleep(delay)
        if ps.had_errors or ps.streams.error:
            raise error_from_record(ps.streams.error[0] if ps.streams.error else None,
                                    commands[-1][0])
        self.applied.extend(applied_writes(commands))
        return plain_objects(output)

    def _run(self, commands):
        ps = PowerShell(self._pool)
        for cmdlet, parameters in commands:
            ps.add_cmdlet(cmdlet)
            for name, value in parameters.items():
                ps.add_parameter(name, value)
        self._pipeline_started = False
        with _connection_errors(self._params, keep=is_transient, starting=True):
            ps.begin_invoke()
        self._pipeline_started = True
        with _connection_errors(self._params, keep=is_transient):
            output = ps.end_invoke()
        _release(self._pool, ps)
        return output, ps


def _release(pool, ps):
    """Release a finished pipeline on the server (WinRS Signal terminate) and in the pool.

    Without it the server keeps every pipeline a long-lived pool (onprem_session) ran until the
    shell closes; the lab's memory grew by about 7 KB per call. Best effort: the call itself
    succeeded, and a lost terminate only leaves the cleanup to the shell's end.
    """
    try:
        ps.close()
    except Exception:  # pylint: disable=broad-except
        pass
    pool.pipelines.pop(ps.id, None)


def _retryable_open(exc):
    return is_throttling(exc) or is_transient(exc)


def _give_up(exc, params, doing, backoff):
    if is_throttling(exc):
        what = "Exchange kept refusing a new runspace (per-user throttling: close other sessions or lower forks)"
    else:
        what = _connection_hint(exc, params) or "the connection kept failing"
    return ExchangeConnectionError("%s, during %s: %d tries over %.0f s; last error: %s"
                                   % (what, doing, backoff.tries, backoff.waited, _safe_text(exc, params)))


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

    Failures for which ``keep(exc)`` is true pass unchanged: the caller retries them.
    ``starting``: the pipeline is being created; a failure that proves the server
    never got it (no TCP connection, or the shell is gone) marks the error
    ``command_not_run`` so a session may repeat the call on a new pool.
    """

    def __init__(self, params, keep=None, starting=False):
        self._params = params
        self._keep = keep
        self._starting = starting

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, ExchangeError):
            return False
        if self._keep is not None and self._keep(exc):
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
    kerberos_hint = kerberos_error_hint(exc, params)
    if kerberos_hint:
        return "Kerberos authentication to %s failed: %s" % (where, kerberos_hint)
    if isinstance(exc, requests.exceptions.SSLError):
        return tls_failure_message(where)
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
