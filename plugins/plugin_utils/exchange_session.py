# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What onprem_session and online_session share: a persistent connection holding one client.

Ansible runs such a connection in its ansible-connection process (one per inventory
host and play run, like netcommon's httpapi) and lets modules call its public methods
over a JSON-RPC socket. Modules still run on the controller: exec_command, put_file
and fetch_file go to the local connection (NetworkConnectionBase does that).

The session answers with JSON text (module_utils/_common/session.py is the other end). A
broken session is reopened once, and the call repeated only when it certainly did
not run or is a read; a write with an unknown outcome is reported, never repeated.

One session process serves one set of connection settings (plugin_utils/
session_identity.py): hosts that share an address but not their tenant, credentials
or endpoints each get their own, and a process refuses a request made with other
settings than its own. It serves only processes of its playbook run
(plugin_utils/session_peer.py), never returns a secret setting, and runs only the
cmdlets the modules use (module_utils/_common/session.py SESSION_CMDLETS).

The plugin declares itself non-persistent on purpose. For a persistent connection,
ansible-core starts its ansible-connection helper (a new Python process that loads
Ansible, ~0.8 s) before every task only to find the socket and hand it the task's
options. The worker does that job in-process here (``socket_path``), with the same
socket path and the same calls, and starts the helper only when no session process
runs yet for the host and settings. Ansible still records the socket from the module's
``_ansible_socket`` and resets the session at the end of the run and on
``meta: reset_connection``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import time

from ansible import constants as C
from ansible.errors import AnsibleConnectionFailure
from ansible.release import __version__ as ansible_version
from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.connection import Connection as RpcConnection, ConnectionError as RpcError
from ansible.plugins.connection import NetworkConnectionBase
from ansible.utils.display import Display
from ansible.utils.path import unfrackpath

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.outcome import broken_off
from ansible_collections.mailflow.exchange.plugins.module_utils._common.retry import all_reads
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import (
    error_to_data,
    refused_cmdlets,
    to_data,
)
from ansible_collections.mailflow.exchange.plugins.plugin_utils.playbook_watch import watch_playbook
from ansible_collections.mailflow.exchange.plugins.plugin_utils.session_identity import (
    remove_run_key,
    run_key,
    settings_tag,
    tagged_user,
)
from ansible_collections.mailflow.exchange.plugins.plugin_utils.session_peer import PeerRefused, check_peer

# How long a task waits for a session process that is shutting down to remove its socket.
SOCKET_GONE_SECONDS = 5.0
# Settings never to be shown, even inside an error text.
SECRET_OPTIONS = ("password", "pfx_password", "client_secret")
MASK = "********"


# ansible-core internals (no public API) the session connections use: CI tests every release that
# meta/runtime.yml claims (make matrix); on another release a missing one is named, not an AttributeError.
UNSUPPORTED_CORE = ("the mailflow.exchange session connections need ansible-core's %s, which this ansible-core "
                    "(%s) does not have; use a release the collection supports (meta/runtime.yml requires_ansible) "
                    "or connection: local, where each module connects to Exchange itself")


def core_internal(module, name):
    """``module.name`` from ansible-core, or AnsibleConnectionFailure naming it."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise AnsibleConnectionFailure(UNSUPPORTED_CORE % ("%s.%s" % (module, name), ansible_version)) from None


def peer_checked(method):
    """Serve the RPC ``method`` only to a process of this playbook run (session_peer.py)."""
    @functools.wraps(method)
    def checked(self, *args, **kwargs):
        try:
            check_peer(self._socket_path, self._ansible_playbook_pid)
        except PeerRefused as refused:
            raise AnsibleConnectionFailure("mailflow.exchange session: %s" % refused) from None
        return method(self, *args, **kwargs)
    checked.peer_checked = True
    return checked


def params_from_options(spec, options, renamed):
    """Module-style params for ``spec`` from the plugin's option values.

    ``renamed`` maps a spec option to the plugin option holding it (e.g. host ->
    remote_addr); options the spec lacks are not passed (kerberos_* before
    module_utils/_onprem/kerberos_options.py exists), options the plugin lacks take the spec's default.
    """
    params = {}
    for name, option_spec in spec.items():
        value = options.get(renamed.get(name, name))
        params[name] = option_spec.get("default") if value is None else value
    return params


class ExchangeSession(NetworkConnectionBase):
    """A persistent connection holding one Exchange client; subclasses say which.

    Subclasses set ``kind`` (module_utils/_common/session.py ONPREM or ONLINE) and implement
    ``_client_params`` (the options as the client's params, or raise ExchangeError),
    ``_new_client(params, warn)`` (a client whose output is plain data) and ``_warnings(params)``.
    """

    kind = None
    has_pipelining = False
    # Not Ansible's per-task helper process: see the module docstring and socket_path.
    force_persistence = False

    def __init__(self, play_context, *args, **kwargs):
        super().__init__(play_context, *args, **kwargs)
        self._task_uuid = kwargs.get("task_uuid")
        self._attached = False
        self._playbook_watch = None
        self._client = None
        self._client_settings = None
        self._connection_warnings = []
        self._request_warnings = []

    # --- Ansible's side ------------------------------------------------------------

    def _update_connection_state(self):
        """Nothing: NetworkConnectionBase looks for a socket named for the play context's own user (and loads
        the ssh plugin to name it) on every task. This session's socket is named for its settings
        (_session_context) and found by socket_path."""

    @property
    def socket_path(self):
        """The session process's socket, which Ansible hands to the module as ``_ansible_socket``.

        Read in the task's worker process once the task's options are set. The
        session process of this host and these settings (session_identity.py) gets
        the task's options; without one, Ansible's helper starts it.
        """
        if not self._attached:
            self._socket_path = self._attach()
            self._attached = True
        return self._socket_path

    def _attach(self):
        context = self._session_context()
        socket_path = _control_socket_path(context, self._ansible_playbook_pid)
        if os.path.exists(socket_path):
            try:
                return self._hand_options(socket_path)
            except RpcError as err:
                # The process is going (reset at the end of a play, idle timeout) or died: its socket
                # goes with it, then a new process starts as for a first task.
                if not _socket_gone(socket_path, err):
                    raise AnsibleConnectionFailure(
                        "the %s session process of %s does not answer on %s and does not end: %s"
                        % (self.kind, self._play_context.remote_addr, socket_path, err)) from None
        start_connection = core_internal("ansible.executor.task_executor", "start_connection")

        context.timeout = self.get_option("persistent_command_timeout")
        started = start_connection(context, self._all_options(), self._task_uuid)
        if started != socket_path:
            raise AnsibleConnectionFailure(
                "this ansible-core started the %s session on %s instead of %s: it names persistent connection "
                "sockets in a way this collection does not know, so it cannot keep the sessions of hosts with "
                "different settings apart; run the modules without the session connection (ansible_connection: "
                "local)" % (self.kind, started, socket_path))
        return started

    def _session_context(self):
        """A copy of the play context whose user part names these settings (session_identity.py)."""
        control_dir = unfrackpath(C.PERSISTENT_CONTROL_PATH_DIR)
        tag = settings_tag(run_key(control_dir, self._ansible_playbook_pid), self._settings())
        context = self._play_context.copy()
        context.remote_user = tagged_user(context.remote_user, tag)
        return context

    def _hand_options(self, socket_path):
        """Give the running session process this task's options, as ansible-connection's helper would."""
        session = RpcConnection(socket_path)
        session.set_options(direct=self._all_options())
        _show_messages(session.pop_messages(), self._play_context.remote_addr)
        return socket_path

    def get_option(self, option, hostvars=None):
        """An option's value; a secret one never leaves through here (the socket serves this method)."""
        value = super().get_option(option, hostvars=hostvars)
        return MASK if option in SECRET_OPTIONS and value else value

    def get_options(self, hostvars=None):
        """The options, secrets masked (the socket serves this method); see _all_options."""
        return {name: MASK if name in SECRET_OPTIONS and value else value
                for name, value in self._all_options(hostvars).items()}

    @peer_checked
    def get_option_and_origin(self, option, hostvars=None):
        """As Ansible's, a secret masked: the socket serves this method too, and Ansible's reads past get_option."""
        value, origin = super().get_option_and_origin(option, hostvars=hostvars)
        return (MASK if option in SECRET_OPTIONS and value else value), origin

    # Ansible's JSON-RPC server runs any public method of the connection: each one that can change the
    # session (a setting, the host to reach) or its messages serves only this playbook run.
    @peer_checked
    def set_option(self, option, value):
        super().set_option(option, value)

    @peer_checked
    def update_vars(self, variables):
        super().update_vars(variables)

    @peer_checked
    def set_become_plugin(self, plugin):
        super().set_become_plugin(plugin)

    @peer_checked
    def queue_message(self, level, message):
        super().queue_message(level, message)

    @peer_checked
    def pop_messages(self):
        return super().pop_messages()

    @peer_checked
    def connection_lock(self):
        super().connection_lock()

    @peer_checked
    def connection_unlock(self):
        super().connection_unlock()

    def _all_options(self, hostvars=None):
        """The options with their secrets, for this collection's own use."""
        return {name: super(ExchangeSession, self).get_option(name, hostvars=hostvars)
                for name in self.option_definitions}

    @peer_checked
    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)

    @peer_checked
    def exec_command(self, cmd, in_data=None, sudoable=True):
        return super().exec_command(cmd, in_data, sudoable)

    @peer_checked
    def put_file(self, in_path, out_path):
        return super().put_file(in_path, out_path)

    @peer_checked
    def fetch_file(self, in_path, out_path):
        return super().fetch_file(in_path, out_path)

    def _connect(self):
        # Called in the connection process before exec_command; the Exchange session itself
        # opens on the first cmdlet, so tasks that never call one cost nothing.
        self._connected = True
        return self

    @peer_checked
    def close(self):
        self._drop_client()
        super().close()

    @peer_checked
    def reset(self):
        # ansible-playbook resets every active persistent connection at the end of the run,
        # and meta: reset_connection does the same: the session closes with it.
        self._drop_client()
        super().reset()

    # --- the RPC methods modules call --------------------------------------------

    @peer_checked
    def exchange_session_kind(self):
        """Which session this is, so a module knows the socket is ours."""
        return self.kind

    @peer_checked
    def exchange_session_target(self):
        """JSON text: the settings that name what this session acts on (target_options: the server, or the
        tenant and its endpoint), so a task that names another one is refused. Never a credential."""
        settings = self._settings()
        return json.dumps({name: settings.get(name) for name in self.target_options})

    @peer_checked
    def exchange_session_info(self):
        """JSON text: the kind, whether a client is held and, on premises, its ShellId (for diagnostics)."""
        return json.dumps({"kind": self.kind, "open": self._client is not None,
                           "shell_id": getattr(self._client, "shell_id", None)})

    @peer_checked
    def exchange_invoke(self, request):
        """Run ``{"commands": [[cmdlet, {parameter: value}], ...]}`` (JSON text) as one pipeline.

        Answers JSON text: ``{"output": [...], "warnings": [...]}`` or ``{"error": {...}, "warnings": [...]}``.
        """
        commands = [tuple(command) for command in json.loads(request)["commands"]]
        self._request_warnings = []
        try:
            self._refuse_unknown_cmdlets(commands)
            answer = {"output": self._invoke(commands)}
        except ExchangeError as err:
            answer = {"error": error_to_data(err)}
        answer["warnings"] = self._request_warnings
        return to_data(answer)

    # --- the session ----------------------------------------------------------------

    def _invoke(self, commands):
        client, reused = self._current_client()
        try:
            return self._call(client, commands)
        except ExchangeConnectionError as err:
            # A transport failure may leave the client unusable: never reuse it.
            self._drop_client()
            if not (reused and self._may_repeat(err, commands)):
                raise
            self.queue_message("vvvv", "%s session broken (%s): reopening it once" % (self.kind, err))
        return self._call(self._current_client()[0], commands)

    def _call(self, client, commands):
        try:
            return client.invoke_pipeline(commands)
        except ExchangeError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            # A client in a state we do not know (e.g. a pool left half-way by a timeout, or
            # ansible-connection's persistent_command_timeout alarm raised inside the call).
            self._client = None
            try:
                client.close_after_failure()
            except Exception as close_exc:  # pylint: disable=broad-except
                # Best effort (the server drops idle shells itself); the call's own error is the answer.
                self.queue_message("vvvv", "%s session: deleting the broken shell failed: %s: %s"
                                   % (self.kind, type(close_exc).__name__, self._masked(str(close_exc))))
            error = broken_off(commands, "the %s session" % self.kind,
                               "%s: %s" % (type(exc).__name__, self._masked(str(exc))))
            # Never run again in this request, not even a read: ansible-connection's alarm rings once per
            # request, so nothing would bound a repeat (pypsrp polls a running pipeline for ever).
            error.repeatable = False
            raise error from None
        finally:
            # The session lives for the whole play: keep nothing per call (the module's end
            # records its own applied writes).
            for kept in (getattr(client, "warnings", None), getattr(client, "applied", None)):
                if kept:
                    del kept[:]

    def _refuse_unknown_cmdlets(self, commands):
        refused = refused_cmdlets(commands)
        if refused:
            raise ExchangeError("the %s session runs only the cmdlets of this collection's modules, not %s"
                                % (self.kind, ", ".join(map(str, refused))), cmdlet=str(refused[0]),
                                category="PermissionDenied")

    @staticmethod
    def _may_repeat(error, commands):
        return error.repeatable and (error.command_not_run or all_reads(commands))

    def _current_client(self):
        """The client to call and whether it served earlier calls (only then may a failure mean it broke)."""
        params = self._client_params()
        if self._client_settings is not None and params != self._client_settings:
            # The socket is named after the settings (session_identity.py), so only a process that
            # pushed foreign options could get here: never serve a request with the settings of
            # another host, and never reopen this session with them.
            raise ExchangeConnectionError(
                "refused: the task's connection settings differ from those the %s session process at %s "
                "was opened with" % (self.kind, self._socket_path))
        if self._client is not None and not getattr(self._client, "is_open", True):
            # The pool is known to be closed or broken: reopening cannot repeat anything.
            self._drop_client()
        reused = self._client is not None
        if not reused:
            self._watch_playbook()
            self._client = self._new_client(params, self._warn)
            self._client_settings = params
            self._connection_warnings = self._warnings(params)
        self._request_warnings.extend(self._connection_warnings)
        return self._client, reused

    def _watch_playbook(self):
        """Once per session process, before the first Exchange session opens (playbook_watch.py)."""
        if self._playbook_watch is None and self._ansible_playbook_pid:
            control_dir = unfrackpath(C.PERSISTENT_CONTROL_PATH_DIR)
            self._playbook_watch = watch_playbook(
                int(self._ansible_playbook_pid),
                on_end=functools.partial(remove_run_key, control_dir, self._ansible_playbook_pid))

    def _masked(self, text):
        """``text`` with the secrets of the settings replaced, should a library have echoed one."""
        for option in SECRET_OPTIONS:
            secret = (self._client_settings or {}).get(option)
            if secret:
                text = text.replace(str(secret), MASK)
        return text

    def _warn(self, text):
        self._request_warnings.append(text)

    def _drop_client(self):
        client, self._client = self._client, None
        if client is not None:
            client.close()

    # --- per kind ---------------------------------------------------------------------

    # The settings that name what the session acts on (exchange_session_target).
    target_options = ()

    def _settings(self):
        """Every connection setting of the client, credentials included, as JSON-ready values."""
        raise NotImplementedError

    def _client_params(self):
        """``_settings()`` checked, as the client's params, or raise ExchangeError."""
        raise NotImplementedError

    def _new_client(self, params, warn):
        raise NotImplementedError

    def _warnings(self, params):
        raise NotImplementedError


def _control_socket_path(context, playbook_pid):
    """The socket ansible-connection names for ``context``, computed as ansible-core's
    ``ssh._create_control_path`` computes it (``<dir>/`` and the first 10 hex digits of the SHA-1 of
    ``host-port-user[-connection][-pid]``).

    Written out rather than called: loading the ssh plugin (its module and its documentation) cost every
    task's worker about 35 ms, as much as the rest of this plugin. Should a release name sockets another
    way, the first task of a host fails in _attach (the socket ansible-connection reports is compared with
    this one), and a unit test compares both on every release CI runs.

    Encoded with to_bytes as ansible-core does: a user read from an inventory file that is not UTF-8 holds
    surrogates, which str.encode refuses.
    """
    parts = [str(context.remote_addr), str(context.port), str(context.remote_user)]
    if context.connection:
        parts.append(str(context.connection))
    if playbook_pid:
        parts.append(str(playbook_pid))
    digest = hashlib.sha1(to_bytes("-".join(parts), errors="surrogate_or_strict")).hexdigest()[:10]
    return unfrackpath(os.path.join(unfrackpath(C.PERSISTENT_CONTROL_PATH_DIR), digest))


def _socket_gone(socket_path, error):
    """Wait (bounded) for the socket of a session process that did not answer to go away.

    A process shutting down removes its socket within a fraction of a second. A socket
    nobody listens on (connection refused: the process died) is removed here.
    """
    if isinstance(error.__cause__, ConnectionRefusedError):
        try:
            os.unlink(socket_path)
        except FileNotFoundError:
            pass
        return True
    deadline = time.monotonic() + SOCKET_GONE_SECONDS
    while os.path.exists(socket_path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _show_messages(messages, host):
    """Show the session process's queued messages as ansible-connection's helper would."""
    display = Display()
    for level, message in messages:
        if level == "log":
            display.display(message, log_only=True)
        elif level == "warning":
            display.warning(message)
        else:
            display.vvvv(message, host=host)
