# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``backup``: the object as read, saved once before the first write, as an export vars file."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timezone

import pytest
import yaml

from ansible_collections.mailflow.exchange.plugins.module_utils._common.backup import (
    Backup,
    BackupUnusable,
    check_options,
    default_filename,
)

DOCUMENT = {"receive_connectors": [{"name": "Relay", "server": "MAIL1", "remote_ip_ranges": ["10.1.2.3"]}]}


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, backup_options=None):
        self.params = dict(backup=True, backup_options=backup_options)

    def fail_json(self, **result):
        raise Failed(result["msg"])


def _backup(tmp_path, filename=None):
    backup = Backup(FakeModule(backup_options=dict(dir_path=str(tmp_path / "backups"), filename=filename)),
                    "receive_connector")
    backup.keep("MAIL1\\Relay", DOCUMENT, "header")
    return backup


def test_the_file_holds_the_kept_variables_after_a_header(tmp_path):
    backup = _backup(tmp_path)
    backup.save()
    path = backup.result()["backup_path"]
    assert os.path.dirname(path) == str(tmp_path / "backups")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert text.startswith("---\n# header\n# Saved by mailflow.exchange.receive_connector before it changed them (read ")
    assert yaml.safe_load(text) == DOCUMENT
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_saved_once_a_later_read_does_not_replace_it(tmp_path):
    backup = _backup(tmp_path)
    backup.save()
    first = backup.path
    backup.keep("MAIL1\\Relay", {"receive_connectors": [{"name": "changed"}]}, "header")
    backup.save()
    assert backup.path == first
    assert os.listdir(str(tmp_path / "backups")) == [os.path.basename(first)]
    with open(first, encoding="utf-8") as handle:
        assert yaml.safe_load(handle) == DOCUMENT


def test_a_backup_whose_write_was_refused_is_corrected_in_place(tmp_path):
    backup = _backup(tmp_path)
    backup.save()
    existing = {"receive_connectors": [{"name": "Relay", "server": "MAIL1", "enabled": False}]}
    backup.correct("MAIL1\\Relay", existing, "header")
    assert os.listdir(str(tmp_path / "backups")) == [os.path.basename(backup.path)]
    with open(backup.path, encoding="utf-8") as handle:
        assert yaml.safe_load(handle) == existing


def test_two_backups_in_the_same_second_are_two_files(tmp_path):
    paths = []
    for dummy in range(2):
        backup = _backup(tmp_path)
        backup.save()
        paths.append(backup.path)
    assert paths[0] != paths[1]


def test_a_given_filename_is_replaced(tmp_path):
    for dummy in range(2):
        backup = _backup(tmp_path, filename="relay.yml")
        backup.save()
    assert backup.path == str(tmp_path / "backups" / "relay.yml")
    assert os.listdir(str(tmp_path / "backups")) == ["relay.yml"]


def test_nothing_is_saved_without_backup(tmp_path):
    backup = Backup(FakeModule(), "receive_connector")
    backup.module.params["backup"] = False
    backup.save()
    assert backup.result() == {}


def test_a_write_without_a_kept_object_is_a_bug_and_stops_the_write(tmp_path):
    backup = Backup(FakeModule(backup_options=dict(dir_path=str(tmp_path), filename=None)), "receive_connector")
    with pytest.raises(RuntimeError):
        backup.save()


def test_an_unwritable_directory_fails_before_the_write(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    backup = Backup(FakeModule(backup_options=dict(dir_path=str(blocker / "sub"), filename=None)),
                    "receive_connector")
    backup.keep("x", DOCUMENT, "header")
    with pytest.raises(Failed, match="nothing was changed"):
        backup.save()


def test_the_default_name_keeps_only_safe_characters():
    moment = datetime(2026, 12, 3, 21, 5, 9, tzinfo=timezone.utc)
    assert default_filename("receive_connector", "MAIL1\\ANONYMOUS RELAY/../x:y", moment) == \
        "receive_connector_MAIL1_ANONYMOUS_RELAY_.._x_y.2026-12-03@21-05-09.yml"
    assert default_filename("inbound_connector", "***", moment) == "inbound_connector_object.2026-12-03@21-05-09.yml"


@pytest.mark.parametrize("filename", ["../x.yml", "sub/x.yml", "/tmp/x.yml", "..", " "])
def test_a_filename_with_a_directory_is_refused(filename):
    with pytest.raises(BackupUnusable, match="backup_options.filename"):
        check_options(dict(backup=True, backup_options=dict(dir_path=None, filename=filename)))


def test_the_options_are_not_checked_without_backup():
    check_options(dict(backup=False, backup_options=dict(dir_path=None, filename="../x")))


def test_a_discarded_backup_leaves_no_file_and_no_path(tmp_path):
    backup = _backup(tmp_path)
    backup.save()
    backup.discard()
    assert os.listdir(str(tmp_path / "backups")) == [] and backup.result() == {}
    backup.discard()  # nothing saved: nothing to do
