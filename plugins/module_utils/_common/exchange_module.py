# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module base: what every module that talks to Exchange does the same way.

``ExchangeModule`` (with ``OnPremModule`` and ``OnlineModule``, _onprem/module.py and _online/module.py)
merges the connection options with the module's own, checks them before any traffic, warns when a
task over a session connection gives connection options it ignores, and gives the client. Every
failure leaves through ``fail_json`` in one shape: ``msg``, ``cmdlet``, ``error_id``, ``applied``
(the writes Exchange confirmed before it) and ``changed``; no exception reaches the user as a
traceback.

A module that writes (``writes=True``) also takes the ``backup`` options: its client records each
write as a ``commands`` line (sending none in check mode) and saves the backup just before the first
write; ``exit`` adds ``commands`` and ``backup_path`` to the result.
"""

from __future__ import annotations

import traceback
from contextlib import contextmanager

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.mailflow.exchange.plugins.module_utils._common.argspec import (
    arguments_as_written,
    merged_argument_spec,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.backup import (
    BACKUP_SPEC,
    Backup,
    BackupUnusable,
    check_options as check_backup_options,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.commands import ReviewedClient
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError, RuleViolation
from ansible_collections.mailflow.exchange.plugins.module_utils._common.outcome import failure_result
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import session_socket, session_target
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import InvalidValue, UnexpectedExchangeValue


def ignored_connection_options(arguments, connection_spec):
    """The connection options a task gave (``arguments`` as written) that a session connection ignores."""
    return sorted(name for name in connection_spec if arguments.get(name) is not None)


def _comparable(value):
    # Host names, tenant names and URLs compare without case, surrounding space or a trailing slash. A
    # tenant named by its GUID on one side and its domain on the other is refused: the same tenant
    # cannot be proven without asking, and refusing is the safe side.
    return str(value or "").strip().rstrip("/").lower()


class ExchangeModule(AnsibleModule):
    """An AnsibleModule over one Exchange connection kind (subclasses set the class attributes)."""

    kind = None  # session.ONPREM or session.ONLINE
    service = "Exchange"  # as failure messages name it
    connection_spec = {}
    session_connection = None  # the session connection plugin's name
    target_options = ()  # the connection options that name what a task acts on (the server, the tenant)

    def __init__(self, argument_spec, writes=False, name=None, needs_cryptography=False, **kwargs):
        if writes and not name:
            raise ValueError("a module that writes names itself (its backup files carry the name)")
        self.writes = writes
        self.backup = None
        self.exchange_client = None
        specs = (argument_spec, BACKUP_SPEC) if writes else (argument_spec,)
        super().__init__(argument_spec=merged_argument_spec(self.connection_spec, *specs),
                         supports_check_mode=True, **kwargs)
        self.check_connection()
        self._check_options_over_session()
        if needs_cryptography:
            self._check_cryptography()
        if writes:
            self.backup = Backup(self, name)
            self.checked(check_backup_options, self.params)

    # --- what a connection kind supplies ------------------------------------------------------

    def check_connection(self):
        """Refuse unusable connection options before any traffic (fail_json)."""
        raise NotImplementedError

    def direct_client(self):
        """The client of the task: over the session connection when the task runs on it."""
        raise NotImplementedError

    # --- the common parts -----------------------------------------------------------------------

    def over_session(self):
        """Whether the task runs over this kind's session connection (check_connection ran first)."""
        return bool(session_socket(self, self.kind))

    def warn(self, warning, **kwargs):
        """Ansible hides the values of no_log options in a result, but not in its warnings (ansible-core 2.19
        passes them on as they are): a warning that echoes one (Exchange's warnings are passed on as they
        come) shows it masked."""
        super().warn(remove_values(warning, self.no_log_values), **kwargs)

    def _check_options_over_session(self):
        """Over a session the task's connection options are ignored: refuse one that names another server or
        tenant, warn of the others."""
        if not self.over_session():
            return
        ignored = ignored_connection_options(arguments_as_written(), self.connection_spec)
        self._refuse_another_target(ignored)
        if ignored:
            # The names only: a value may be a password.
            self.warn("the task runs over the %s connection, which connects with its own settings; it ignores these "
                      "options of the task: %s" % (self.session_connection, ", ".join(ignored)))

    def _refuse_another_target(self, given):
        """A task over a session acts on the session's server or tenant: one that names another fails here,
        before anything is read or written, instead of acting on the session's."""
        named = [name for name in self.target_options if name in given]
        if not named:
            return
        target = session_target(session_socket(self, self.kind))
        for name in named:
            if _comparable(self.params.get(name)) != _comparable(target.get(name)):
                self.fail_json(
                    msg="the task sets %s=%s but runs over the %s connection, whose %s is %s: it would act on that "
                        "one, so nothing was done. Remove %s from the task (the connection's settings choose it), "
                        "or run the task on an inventory host whose connection sets %s=%s"
                        % (name, self.params.get(name), self.session_connection, name, target.get(name) or "(not set)",
                           name, name, self.params.get(name)))

    def _check_cryptography(self):
        from ansible_collections.mailflow.exchange.plugins.module_utils._server.certificate import (
            cryptography_import_error,
        )

        import_error = cryptography_import_error()
        if import_error:
            self.fail_json(msg=missing_required_lib("cryptography"), exception=import_error)

    def client(self):
        """The client the task uses; a writing module's records its writes (``commands``) and saves the
        backup before the first one."""
        client = self.direct_client()
        if self.writes:
            client = ReviewedClient(client, self.check_mode, before_first_write=self.backup.save)
        self.exchange_client = client
        return client

    def checked(self, function, *args, **kwargs):
        """``function(*args, **kwargs)``; a refusal it raises fails the task in the common shape."""
        with self.failing_cleanly():
            return function(*args, **kwargs)

    def run(self, task, explain=None):
        """``task(client)`` with the connection open; every failure in the common shape.

        ``explain(err)`` may give a better message for an ExchangeError (None keeps Exchange's)."""
        with self.failing_cleanly(explain):
            with self.client() as client:
                return task(client)

    @contextmanager
    def failing_cleanly(self, explain=None):
        try:
            yield
        except Exception as err:  # pylint: disable=broad-exception-caught
            self.fail_json(**self.failure(err, explain))

    def failure(self, err, explain=None):
        """fail_json keywords for ``err``."""
        if isinstance(err, ExchangeError):
            result = failure_result(err, self.exchange_client)
            better = explain(err) if explain else None
            if better:
                result["msg"] = better
            return result
        if isinstance(err, RuleViolation):
            return dict(msg="nothing was changed: %s" % err)
        if isinstance(err, (InvalidValue, BackupUnusable)):
            return dict(msg=str(err))
        if isinstance(err, UnexpectedExchangeValue):
            return dict(msg="cannot read what %s returned: %s" % (self.service, err))
        # A fault of the collection: the message, and the traceback only where Ansible shows it (-vvv).
        return dict(msg="mailflow.exchange failed unexpectedly (%s: %s)" % (type(err).__name__, err),
                    exception=traceback.format_exc())

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        """Every failure carries the common keys: the writes confirmed before it (``applied``), whether
        anything changed, and the failed cmdlet and Exchange's error id when Exchange refused; and
        ``backup_path`` once the backup was saved."""
        applied = list(getattr(getattr(self, "exchange_client", None), "applied", None) or [])
        kwargs.setdefault("applied", applied)
        kwargs.setdefault("changed", bool(kwargs["applied"]))
        kwargs.setdefault("cmdlet", None)
        kwargs.setdefault("error_id", None)
        if getattr(self, "backup", None) is not None:
            # A write failed after the backup was saved: the file to restore from is needed most now.
            kwargs.update(self.backup.result())
        super().fail_json(msg=msg, **kwargs)

    def exit(self, result):
        """exit_json with ``result``; a writing module adds ``commands`` and ``backup_path``."""
        if self.writes:
            result = dict(result, commands=self.exchange_client.commands, **self.backup.result())
        self.exit_json(**result)
