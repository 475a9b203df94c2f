# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The actions of the modules that talk to Exchange.

Over the session connection of the module's kind (onprem_session for the on-premises modules,
online_session for the Exchange Online ones) the module runs inside the task's worker
(module_in_worker.py): no module process, whose start costs more than the rest of a task that
changes nothing. Everywhere else, and for a task with ``async``, ``become`` or an ``environment`` (a
module process would have them; the worker does not), the module runs as Ansible's default action
runs it.

The modules that write also get their backup directory resolved on the controller
(_backup_directory.py).
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONLINE, ONPREM
from ansible_collections.mailflow.exchange.plugins.plugin_utils._backup_directory import with_backup_directory
from ansible_collections.mailflow.exchange.plugins.plugin_utils.module_in_worker import (
    module_import_path,
    module_output,
    result_of,
)

display = Display()

SESSION_TRANSPORTS = {ONPREM: "mailflow.exchange.onprem_session", ONLINE: "mailflow.exchange.online_session"}


class ExchangeAction(ActionBase):
    """The default action (ansible.builtin.normal), with the module in the worker over its session."""

    _supports_check_mode = True
    _supports_async = True
    kind = None  # the module's connection kind: session.ONPREM or session.ONLINE
    writes = False  # a module that writes takes backup options

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # unused since ansible-core 2.5
        arguments = self._task.args
        if self.writes:
            arguments = with_backup_directory(arguments, self._loader.get_basedir())
        import_path = self._in_worker_import_path()
        if import_path:
            return merge_hash(result, self._execute_in_worker(import_path, arguments, task_vars))
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(module_args=arguments, task_vars=task_vars,
                                                         wrap_async=wrap_async))
        self._record_socket(arguments)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _record_socket(self, module_args):
        """Leave the session's socket in the task's own arguments, as _execute_module does when it is given them.

        ansible-playbook learns a host's persistent connection only from there
        (StrategyBase.update_active_connections): ``meta: reset_connection`` and the end of the play reset
        only the connections it learnt. The module gets a copy of the arguments (the worker's internal keys, a
        writing module's backup directory), so without this the session would never be reset."""
        socket_path = module_args.get("_ansible_socket")
        if socket_path:
            self._task.args["_ansible_socket"] = socket_path

    def _in_worker_import_path(self):
        """The module's Python path when it runs in the worker, else None."""
        if getattr(self._connection, "transport", None) != SESSION_TRANSPORTS.get(self.kind):
            return None
        if self._task.async_val or self._play_context.become or self._compute_environment_string():
            return None
        return module_import_path(getattr(self._task, "resolved_action", None))

    def _execute_in_worker(self, import_path, arguments, task_vars):
        module_args = dict(arguments)  # the internal keys are added in place
        self._update_module_args(self._task.action, module_args, task_vars)
        self._record_socket(module_args)
        display.vvv("running %s in the task's worker, over %s" % (self._task.resolved_action, self._connection.transport),
                    host=self._play_context.remote_addr)
        stdout, stderr, rc = module_output(import_path, module_args)
        return result_of(self, stdout, stderr, rc)


class OnPremAction(ExchangeAction):
    kind = ONPREM


class OnPremWritingAction(OnPremAction):
    writes = True


class OnlineAction(ExchangeAction):
    kind = ONLINE


class OnlineWritingAction(OnlineAction):
    writes = True
