# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of the writing modules gives the module an absolute backup directory on the controller."""

from __future__ import annotations

import os

from ansible_collections.mailflow.exchange.plugins.plugin_utils._backup_directory import with_backup_directory

PLAYBOOK_DIR = "/srv/plays"


def test_backup_next_to_the_playbook_by_default():
    arguments = with_backup_directory(dict(name="Relay", backup=True), PLAYBOOK_DIR)
    assert arguments == dict(name="Relay", backup=True, backup_options=dict(dir_path="/srv/plays/backup"))


def test_a_relative_directory_is_relative_to_the_playbook_and_the_filename_stays():
    arguments = with_backup_directory(dict(backup="yes", backup_options=dict(dir_path="out/../saved", filename="f.yml")),
                                      PLAYBOOK_DIR)
    assert arguments["backup_options"] == dict(dir_path="/srv/plays/saved", filename="f.yml")


def test_an_absolute_or_home_directory_is_kept():
    assert with_backup_directory(dict(backup=True, backup_options=dict(dir_path="/var/backups")),
                                 PLAYBOOK_DIR)["backup_options"]["dir_path"] == "/var/backups"
    home = with_backup_directory(dict(backup=True, backup_options=dict(dir_path="~/b")), PLAYBOOK_DIR)
    assert home["backup_options"]["dir_path"] == os.path.join(os.path.expanduser("~"), "b")


def test_without_backup_or_with_a_value_the_module_refuses_nothing_is_touched():
    for arguments in (dict(name="x"), dict(backup=False, backup_options=dict(dir_path="rel")),
                      dict(backup="maybe"), dict(backup=True, backup_options="not a dict")):
        assert with_backup_directory(arguments, PLAYBOOK_DIR) is arguments
