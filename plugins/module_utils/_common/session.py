# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running cmdlets over a session connection (onprem_session, online_session).

A task on ``ansible_connection: mailflow.exchange.onprem_session`` (or
``online_session``) gets the socket of Ansible's persistent connection process,
which holds one Exchange session for the whole play. This file is both ends of
the wire: what a module sends (JSON text) and how the answer becomes the same
objects and exceptions a direct client gives.

- PSRP output crosses as JSON: the session process turns pypsrp's objects into plain data
  (_values/psobject.py plain_objects, as the direct client does) and the module reads the same data
  back, so modules see one rendering with or without a session and need neither pypsrp nor an XML
  parser over it. Byte arrays (certificates' RawData) cross as ``{"$bytes": base64}``.
- Exchange Online output is plain JSON already and crosses as it is.
- Errors cross as data and are raised again as ExchangeError or
  ExchangeConnectionError with the same fields.
"""

from __future__ import annotations

import base64
import json

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
    ExchangeOutcomeUnknown,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.outcome import applied_writes, broken_off

ONPREM = "onprem"
ONLINE = "online"
# The RPC methods of the session plugins (plugins/plugin_utils/exchange_session.py).
KIND_METHOD = "exchange_session_kind"
TARGET_METHOD = "exchange_session_target"
INVOKE_METHOD = "exchange_invoke"

_ERROR_FIELDS = ("message", "cmdlet", "category", "error_id", "exception_type")
# Values that survive JSON unchanged; anything else must not be sent as a parameter.
_JSON_SCALARS = (str, int, float, bool, type(None))

_kind_cache = {}


# The cmdlets the modules run, the only ones a session runs (a same-user process that reached
# the socket could otherwise run any cmdlet with the session's rights). A unit test reads the
# modules and module_utils and fails when one uses a cmdlet missing here.
SESSION_CMDLETS = frozenset((
    "Get-ReceiveConnector", "New-ReceiveConnector", "Set-ReceiveConnector", "Remove-ReceiveConnector",
    "Get-ADPermission", "Add-ADPermission", "Remove-ADPermission",
    "Get-ExchangeCertificate", "Get-AcceptedDomain", "Get-ExchangeServer",
    "Get-InboundConnector", "New-InboundConnector", "Set-InboundConnector", "Remove-InboundConnector",
))
_ALLOWED = frozenset(name.lower() for name in SESSION_CMDLETS)


def refused_cmdlets(commands):
    """The cmdlets of ``commands`` a session does not run (PowerShell names are case-insensitive)."""
    return [cmdlet for cmdlet, _parameters in commands if str(cmdlet).lower() not in _ALLOWED]


# JSON-RPC's "Method not found": the socket belongs to another kind of persistent connection.
METHOD_NOT_FOUND = -32601


def session_target(path):
    """What the session on socket ``path`` acts on: its target settings (the server's host, or the tenant
    and its Exchange endpoint), as a dict."""
    from ansible.module_utils.connection import Connection

    return json.loads(getattr(Connection(path), TARGET_METHOD)())


def session_socket(module, kind):
    """The socket of our session connection of ``kind`` when the task runs over it, else None.

    A socket of another persistent connection (e.g. network_cli) has no
    exchange_session_kind method: the module then connects directly. A socket
    that does not answer at all raises ExchangeConnectionError: the session
    process is gone (e.g. closed after persistent_connect_timeout while the
    module started), and connecting directly with the module's options instead
    would surprise.
    """
    path = getattr(module, "_socket_path", None)
    if not path:
        return None
    if path not in _kind_cache:
        from ansible.module_utils.connection import Connection, ConnectionError as RpcError

        try:
            _kind_cache[path] = getattr(Connection(path), KIND_METHOD)()
        except RpcError as err:
            if getattr(err, "code", None) != METHOD_NOT_FOUND:
                raise ExchangeConnectionError(
                    "the task's persistent connection does not answer on %s (did it close when idle? raise "
                    "persistent_connect_timeout, e.g. with ansible_connect_timeout): %s" % (path, err)) from None
            _kind_cache[path] = None
    return path if _kind_cache[path] == kind else None


# --- values ---------------------------------------------------------------------


# How a byte array crosses (JSON has no bytes); a lone key no Exchange property is named.
_BYTES = "$bytes"


def _json_default(value):
    if isinstance(value, (bytes, bytearray)):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError("a %s cannot cross the session socket" % type(value).__name__)


def _json_object(pairs):
    if len(pairs) == 1 and pairs[0][0] == _BYTES:
        return base64.b64decode(pairs[0][1])
    return dict(pairs)


def to_data(value):
    """Plain data (psobject.py, Exchange Online's JSON, an answer holding them) as JSON text."""
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def from_data(text):
    """The plain data to_data wrote."""
    return json.loads(text, object_pairs_hook=_json_object)


def check_parameters(commands):
    """Refuse parameter values JSON would change (only plain data crosses the socket)."""
    def check(value, where):
        if isinstance(value, (list, tuple)):
            for item in value:
                check(item, where)
        elif isinstance(value, dict):
            for item in value.values():
                check(item, where)
        elif not isinstance(value, _JSON_SCALARS):
            raise TypeError("%s: a %s cannot cross the session socket" % (where, type(value).__name__))

    for cmdlet, parameters in commands:
        for name, value in (parameters or {}).items():
            check(value, "%s -%s" % (cmdlet, name))


# --- errors ---------------------------------------------------------------------


def error_to_data(error):
    """An ExchangeError as JSON-ready data."""
    data = {field: getattr(error, field) for field in _ERROR_FIELDS}
    data["connection"] = isinstance(error, ExchangeConnectionError)
    data["outcome_unknown"] = isinstance(error, ExchangeOutcomeUnknown)
    return data


def error_from_data(data):
    """The ExchangeError (or ExchangeConnectionError) error_to_data described."""
    if data.get("outcome_unknown"):
        cls = ExchangeOutcomeUnknown
    elif data.get("connection"):
        cls = ExchangeConnectionError
    else:
        cls = ExchangeError
    return cls(data.get("message") or "the Exchange session failed", cmdlet=data.get("cmdlet"),
               category=data.get("category") or "NotSpecified", error_id=data.get("error_id"),
               exception_type=data.get("exception_type"))


# --- the module's end -------------------------------------------------------------


class SessionClient:
    """invoke()/invoke_pipeline()/close() like OnPremClient and OnlineClient, over the session.

    ``warn`` receives the warnings the session reports (the connection checks'
    and Exchange Online's). close() leaves the session open: it belongs to the play.
    ``applied`` lists this module's confirmed writes, as the direct clients do.
    """

    def __init__(self, socket_path, kind, warn=None):
        self._socket_path = socket_path
        self._kind = kind
        self._warn = warn
        self.warnings = []
        self.applied = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        pass  # the connection process closes the session at the end of the play or when idle

    def invoke(self, cmdlet, parameters=None):
        return self.invoke_pipeline([(cmdlet, parameters or {})])

    def invoke_pipeline(self, commands):
        from ansible.module_utils.connection import Connection, ConnectionError as RpcError

        commands = [(cmdlet, dict(parameters or {})) for cmdlet, parameters in commands]
        check_parameters(commands)
        request = json.dumps({"commands": commands})
        try:
            answer = from_data(getattr(Connection(self._socket_path), INVOKE_METHOD)(request))
        except RpcError as err:
            # The connection process never answered (it died, or persistent_command_timeout ran out).
            raise broken_off(commands, "the Exchange session (%s_session)" % self._kind, err) from None
        for text in answer.get("warnings") or []:
            self.warnings.append(text)
            if self._warn:
                self._warn(text)
        if "error" in answer:
            raise error_from_data(answer["error"])
        self.applied.extend(applied_writes(commands))
        return answer["output"]
