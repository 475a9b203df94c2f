# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The backup options of every module that writes (module_utils/_common/backup.py), named as
    # Ansible's network modules name theirs. Their results (commands, backup_path) are in each RETURN.
    DOCUMENTATION = r"""
options:
  backup:
    description:
      - Save what the task is about to change, as it was, before the first write, as a YAML vars file in the
        export format of the matching info module (a list of task arguments of this module), so that looping this
        module over it restores the object, and a rerun then reports no change.
      - An object the task creates is saved as C(state=absent) (applying the file removes it again).
      - Nothing is saved when the task writes nothing, and nothing in check mode. The file holds no password,
        key or other secret (no connection option). The path is returned as RV(backup_path), also by a task that
        fails after the file was saved.
      - The file is written where the module runs, on the controller with connection C(local) and with the
        session connections.
    type: bool
    default: false
  backup_options:
    description:
      - Where the backup goes. Read only with O(backup=true).
    type: dict
    suboptions:
      dir_path:
        description:
          - Directory of the backup file, created when missing. A relative path is relative to the playbook's
            directory.
          - Default C(backup) in the playbook's directory.
        type: path
      filename:
        description:
          - File name of the backup (no directory), replaced on each run that writes.
          - Default C(<module>_<object>.<date>@<time>.yml) (UTC, the object's name with characters other than
            letters, digits, C(.) and C(-) as C(_)); a name taken already gets a number.
        type: str
"""
