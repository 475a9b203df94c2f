# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The export vars file: what it holds and when it is rewritten."""

from __future__ import annotations

import os

import yaml

from ansible_collections.mailflow.exchange.plugins.module_utils._common.export_file import (
    render,
    task_arguments,
    write_if_changed,
)


class FakeModule:
    def __init__(self, check_mode=False):
        self.check_mode = check_mode

    def fail_json(self, **result):
        raise AssertionError(result["msg"])


def test_nulls_are_left_out_and_the_file_reads_back():
    arguments = task_arguments(dict(name="Relay: ÄÖ", banner=None, remote_ip_ranges=["10.1.2.3"], enabled=False,
                                    max_message_size="Unlimited"))
    text = render(dict(receive_connectors=[arguments]), "header line\nsecond")
    assert text.startswith("---\n# header line\n# second\n")
    assert yaml.safe_load(text) == dict(receive_connectors=[dict(name="Relay: ÄÖ", remote_ip_ranges=["10.1.2.3"],
                                                                 enabled=False, max_message_size="Unlimited")])


def test_written_once_then_unchanged_and_check_mode_writes_nothing(tmp_path):
    path = str(tmp_path / "out.yml")
    assert write_if_changed(FakeModule(check_mode=True), path, "a: 1\n") is True
    assert not os.path.exists(path)
    assert write_if_changed(FakeModule(), path, "a: 1\n") is True
    assert write_if_changed(FakeModule(), path, "a: 1\n") is False
    assert write_if_changed(FakeModule(), path, "a: 2\n") is True
    with open(path, encoding="utf-8") as handle:
        assert handle.read() == "a: 2\n"
    assert os.listdir(tmp_path) == ["out.yml"]
