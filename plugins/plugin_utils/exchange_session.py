# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What onprem_session and online_session share: a persistent connection holding one client.

Ansible runs such a connection in its ansible-connection process (one per inventory
host and play run, like netcommon's httpapi) and lets modules call its public methods
over a JSON-RPC socket. Modules still run on the controller: exec_command, put_file
and fetch_file go to the local connection (NetworkConnectionBase does that).

The session answers with JSON text (module_utils/session.py is the other end). A
broken session is reopened once, and the call repeated only when it certainly did
not run or is a read; a write with an unknown outcome is reported, never repeated.
"""

from __future__ import annotations

import json

from ansible.plugins.connection import NetworkConnectionBase

from ansible_collections.mailflow.exchange.plugins.module_utils.errors import (
    ExchangeConnectionError,
    ExchangeError,
)
from ansible_collections.mailflow.exchange.plugins.module_utils.session import error_to_data

# Cmdlets that change nothing: safe to repeat whatever happened to the first try.
READ_VERBS = ("Get", "Test")

def is_read(cmdlet):
    return cmdlet.split("-", 1)[0] in READ_VERBS


def params_from_options(spec, options, renamed):
    """Module-style params for ``spec`` from the plugin's option values.

    ``renamed`` maps a spec option to the plugin option holding it (e.g. host ->
    remote_addr); options the spec lacks are not passed (kerberos_* before
    module_utils/kerberos.py exists), options the plugin lacks take the spec's default.
    """
    params = {}
    for name, option_spec in spec.items():
        value = options.get(renamed.get(name, name))
        params[name] = option_spec.get("default") if value is None else value
    return params


class ExchangeSession(NetworkConnectionBase):
    """A persistent connection holding one Exchange client; subclasses say which.

    Subclasses set ``kind`` (module_utils/session.py ONPREM or ONLINE) and implement
    ``_client_params`` (the options as the client's params, or raise ExchangeError),
    ``_new_client(params, warn)``, ``_warnings(params)`` and ``_encode(output)``.
    """

    kind = None
    has_pipelining = False

    def __init__(self, play_context, *args, **kwargs):
        super().__init__(play_context, *args, **kwargs)
        self._client = None
        self._connection_warnings = []
        self._request_warnings = []

    # --- Ansible's side ------------------------------------------------------------

    def _connect(self):
        # Called in the connection process before exec_command; the Exchange session itself
        # opens on the first cmdlet, so tasks that never call one cost nothing.
        self._connected = True
        return self

    def close(self):
        self._drop_client()
        super().close()

    def reset(self):
        # ansible-playbook resets every active persistent connection at the end of the run,
        # and meta: reset_connection does the same: the session closes with it.
        self._drop_client()
        super().reset()

    # --- the RPC methods modules call --------------------------------------------

    def exchange_session_kind(self):
        """Which session this is, so a module knows the socket is ours."""
        return self.kind

    def exchange_invoke(self, request):
        """Run ``{"commands": [[cmdlet, {parameter: value}], ...]}`` (JSON text) as one pipeline.

        Answers JSON text: ``{"output": [...], "warnings": [...]}`` or ``{"error": {...}, "warnings": [...]}``.
        """
        commands = [(cmdlet, parameters) for cmdlet, parameters in json.loads(request)["commands"]]
        self._request_warnings = []
        try:
            answer = {"output": self._encode(self._invoke(commands))}
        except ExchangeError as err:
            answer = {"error": error_to_data(err)}
        answer["warnings"] = self._request_warnings
        return json.dumps(answer)

    # --- the session ----------------------------------------------------------------

    def _invoke(self, commands):
        reused = self._client is not None
        client = self._current_client()
        try:
            return self._call(client, commands)
        except ExchangeConnectionError as err:
            # A transport failure may leave the client unusable: never reuse it.
            self._drop_client()
            if not (reused and self._may_repeat(err, commands)):
                raise
            self.queue_message("vvvv", "%s session broken (%s): reopening it once" % (self.kind, err))
        return self._call(self._current_client(), commands)

    def _call(self, client, commands):
        try:
            return client.invoke_pipeline(commands)
        except ExchangeError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            # A client in a state we do not know (e.g. a pool left half-way by a timeout).
            raise ExchangeConnectionError("the %s session failed while running %s, so its outcome is unknown: "
                                          "%s: %s" % (self.kind, commands[-1][0], type(exc).__name__, exc)) from None
        finally:
            # The session lives for the whole play: keep nothing per call.
            del getattr(client, "warnings", [])[:]

    @staticmethod
    def _may_repeat(error, commands):
        return error.command_not_run or all(is_read(cmdlet) for cmdlet, dummy in commands)

    def _current_client(self):
        if self._client is not None and not getattr(self._client, "is_open", True):
            # The pool is known to be closed or broken: reopening cannot repeat anything.
            self._drop_client()
        if self._client is None:
            params = self._client_params()
            self._client = self._new_client(params, self._warn)
            self._connection_warnings = self._warnings(params)
        self._request_warnings.extend(self._connection_warnings)
        return self._client

    def _warn(self, text):
        self._request_warnings.append(text)

    def _drop_client(self):
        client, self._client = self._client, None
        if client is not None:
            client.close()

    # --- per kind ---------------------------------------------------------------------

    def _client_params(self):
        raise NotImplementedError

    def _new_client(self, params, warn):
        raise NotImplementedError

    def _warnings(self, params):
        raise NotImplementedError

    def _encode(self, output):
        raise NotImplementedError
