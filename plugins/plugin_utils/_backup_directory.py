# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of the modules that write: ``backup_options.dir_path`` resolved on the controller.

Ansible's network modules write their backup into ``backup`` next to the playbook; a module
cannot know where the playbook is (it runs in a process of its own, in the directory Ansible was
started from). So this action gives the module an absolute directory: ``dir_path`` as given when
absolute, else relative to the playbook's directory (``backup`` when unset). Everything else runs
as the default action does.
"""

from __future__ import annotations

import os

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

DEFAULT_DIRECTORY = "backup"


def with_backup_directory(arguments, base_directory):
    """The module arguments, ``backup_options.dir_path`` made absolute when ``backup`` is on."""
    try:
        wanted = boolean(arguments.get("backup", False), strict=True)
    except TypeError:
        return arguments  # the module refuses the value with its own message
    options = arguments.get("backup_options")
    if not wanted or not isinstance(options, (dict, type(None))):
        return arguments
    options = dict(options or {})
    directory = os.path.expanduser(os.path.expandvars(options.get("dir_path") or DEFAULT_DIRECTORY))
    options["dir_path"] = os.path.normpath(os.path.join(base_directory, directory))
    return dict(arguments, backup_options=options)


class ActionModule(ActionBase):
    """The default action (ansible.builtin.normal), with the backup directory resolved first."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # unused since ansible-core 2.5
        wrap_async = self._task.async_val and not self._connection.has_native_async
        arguments = with_backup_directory(self._task.args, self._loader.get_basedir())
        result = merge_hash(result, self._execute_module(module_args=arguments, task_vars=task_vars,
                                                         wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
