# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible.module_utils import _internal, basic

from ansible_collections.mailflow.exchange.plugins.plugin_utils.module_in_worker import (
    module_import_path,
    module_output,
)

FIXTURE = "ansible_collections.mailflow.exchange.tests.unit.plugins.plugin_utils.worker_module_fixture"
SECRET = "S3cret-value"


@pytest.fixture(autouse=True)
def controller_side(monkeypatch):
    """The worker is a controller process: its module-side globals are the controller's before and after."""
    monkeypatch.setattr(_internal, "is_controller", True)
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", None)
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", None)
    monkeypatch.setattr(basic, "_PARSED_MODULE_ARGS", None)


def run(**arguments):
    arguments.setdefault("name", "Relay")
    stdout, _stderr, rc = module_output(FIXTURE, dict(arguments, _ansible_check_mode=True))
    return json.loads(stdout), rc


def test_the_module_reads_its_arguments_and_internal_keys():
    result, rc = run(name="Relay 1")
    assert rc == 0
    assert result["name"] == "Relay 1"
    assert result["check_mode"] is True
    assert result["changed"] is False


def test_no_log_values_are_masked_as_in_a_module_process():
    result, rc = run(secret=SECRET)
    assert rc == 0
    assert SECRET not in json.dumps(result)
    failed, rc = run(secret=SECRET, outcome="fail")
    assert rc == 1 and failed["failed"] is True
    assert SECRET not in json.dumps(failed)


def test_warnings_go_into_the_result_and_not_into_the_next_run():
    warned, _rc = run(warning="first item warns")
    assert "first item warns" in json.dumps(warned["warnings"])
    quiet, _rc = run()
    assert "warnings" not in quiet


def test_the_controller_side_is_back_after_each_run():
    for outcome in ("exit", "fail", "raise", "return"):
        run(outcome=outcome)
        assert _internal.is_controller is True
        assert basic._ANSIBLE_ARGS is None
        assert basic._ANSIBLE_PROFILE is None
        assert basic._PARSED_MODULE_ARGS is None


def test_no_copy_of_the_arguments_and_their_secrets_stays_in_the_worker():
    run(secret=SECRET)
    assert SECRET not in repr(basic._PARSED_MODULE_ARGS)


def test_the_modules_stderr_is_its_own_and_not_the_workers(capsys):
    """The worker shows what reaches its stderr (a write, a Python warning) as a warning after the task, even
    for a no_log task: a module process's stderr shows only in a failed result."""
    stdout, stderr, rc = module_output(FIXTURE, dict(name="R", secret=SECRET, outcome="stderr"))
    assert rc == 0 and json.loads(stdout)["changed"] is False
    assert stderr == "stderr line (secret %s)\n" % SECRET
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("outcome, expected_rc, expected_stderr", [
    ("exit-none", 0, ""),
    ("exit-text", 1, "ended with a text\n"),
])
def test_sys_exit_ends_as_a_module_process_would(outcome, expected_rc, expected_stderr):
    stdout, stderr, rc = module_output(FIXTURE, dict(name="R", outcome=outcome))
    assert (stdout, stderr, rc) == ("", expected_stderr, expected_rc)


def test_an_exception_is_a_failed_result_naming_it():
    result, rc = run(outcome="raise", name="R2")
    assert rc == 1
    assert result["failed"] is True
    assert "ValueError: broken R2" in result["msg"]


def test_a_module_that_does_not_exit_fails():
    result, rc = run(outcome="return")
    assert rc == 1 and result["failed"] is True


@pytest.mark.parametrize("resolved, expected", [
    ("mailflow.exchange.receive_connector", "ansible_collections.mailflow.exchange.plugins.modules.receive_connector"),
    ("community.general.receive_connector", None),
    ("mailflow.exchange.a.b", None),
    ("mailflow.exchange.", None),
    ("mailflow.exchangex.receive_connector", None),
    (None, None),
])
def test_only_this_collections_modules_run_in_the_worker(resolved, expected):
    assert module_import_path(resolved) == expected
