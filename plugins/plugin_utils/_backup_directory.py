# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup directory of the modules that write, resolved on the controller.

Ansible's network modules write their backup into ``backup`` next to the playbook; a module
cannot know where the playbook is (it runs in the directory Ansible was started from). So the
action of the modules that write (plugin_utils/exchange_action.py) gives the module an absolute
directory: ``dir_path`` as given when absolute, else relative to the playbook's directory
(``backup`` when unset).
"""

from __future__ import annotations

import os

from ansible.module_utils.parsing.convert_bool import boolean

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
