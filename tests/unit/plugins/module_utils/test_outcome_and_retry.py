# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded retries and the re-read after an unknown write outcome (pure logic; the lab proves the rest)."""

from __future__ import annotations

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
    ExchangeOutcomeUnknown,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.outcome import failure_result, run_rereading
from ansible_collections.mailflow.exchange.plugins.module_utils._common.retry import Backoff, all_reads, is_read


def test_backoff_is_bounded_by_attempts_and_total():
    backoff = Backoff(attempts=4, base=1.0, cap=8.0, total=100.0)
    delays = [backoff.next_delay() for dummy in range(5)]
    assert delays[3:] == [None, None]
    assert 1.0 <= delays[0] < 1.5 and 2.0 <= delays[1] < 2.5 and 4.0 <= delays[2] < 4.5
    short = Backoff(attempts=10, base=1.0, cap=8.0, total=5.0)
    taken = []
    while (delay := short.next_delay()) is not None:
        taken.append(delay)
    assert sum(taken) <= 5.0 and len(taken) == 2


@pytest.mark.parametrize("cmdlet, read", [("Get-ReceiveConnector", True), ("Test-Thing", True),
                                          ("Set-ReceiveConnector", False), ("Add-ADPermission", False)])
def test_reads_are_get_and_test(cmdlet, read):
    assert is_read(cmdlet) is read


def test_a_pipeline_is_a_read_only_when_every_cmdlet_reads():
    assert all_reads([("Get-ReceiveConnector", {}), ("Get-ADPermission", {})])
    assert not all_reads([("Get-ReceiveConnector", {}), ("Remove-ADPermission", {})])


def test_an_unknown_outcome_runs_the_task_again_from_the_read_once():
    calls, warnings = [], []

    def task():
        calls.append(len(calls))
        if len(calls) == 1:
            raise ExchangeOutcomeUnknown("lost", cmdlet="New-ReceiveConnector")
        return {"changed": False}

    result = run_rereading(task, warnings.append)
    assert calls == [0, 1]
    assert result == {"changed": True, "reread_after": ["New-ReceiveConnector"]}
    assert "reading the object again" in warnings[0]


def test_a_second_unknown_outcome_fails():
    def task():
        raise ExchangeOutcomeUnknown("lost", cmdlet="Set-ReceiveConnector")

    with pytest.raises(ExchangeOutcomeUnknown):
        run_rereading(task)


def test_a_read_again_that_fails_to_connect_leaves_the_first_write_unknown():
    def task():
        if not task.calls:
            task.calls.append(1)
            raise ExchangeOutcomeUnknown("lost", cmdlet="Set-ReceiveConnector")
        raise ExchangeConnectionError("the session is gone", cmdlet="Get-ReceiveConnector")

    task.calls = []
    with pytest.raises(ExchangeOutcomeUnknown) as raised:
        run_rereading(task)
    assert raised.value.cmdlet == "Set-ReceiveConnector"
    assert str(raised.value) == ("Set-ReceiveConnector failed: whether Exchange applied it is unknown (it is not sent "
                                 "again), and reading the object again failed: Get-ReceiveConnector failed: the "
                                 "session is gone")
    assert failure_result(raised.value, _Client())["outcome_unknown"] == "Set-ReceiveConnector"


def test_a_connection_error_before_any_write_stays_itself():
    def task():
        raise ExchangeConnectionError("refused", cmdlet="Get-ReceiveConnector")

    with pytest.raises(ExchangeConnectionError) as raised:
        run_rereading(task)
    assert not isinstance(raised.value, ExchangeOutcomeUnknown)


def test_other_errors_are_not_rerun():
    calls = []

    def task():
        calls.append(1)
        raise ExchangeError("refused", cmdlet="Set-ReceiveConnector")

    with pytest.raises(ExchangeError):
        run_rereading(task)
    assert calls == [1]


class _Client:
    applied = [{"cmdlet": "New-ReceiveConnector", "identity": "X", "parameters": ["Name"]}]


def test_failure_result_lists_what_was_applied():
    result = failure_result(ExchangeError("refused", cmdlet="Set-ReceiveConnector"), _Client())
    assert result["changed"] is True and result["applied"] == _Client.applied
    assert result["cmdlet"] == "Set-ReceiveConnector" and result["msg"].endswith("refused")
    nothing = failure_result(ExchangeOutcomeUnknown("lost", cmdlet="Set-X"), object())
    assert nothing["changed"] is False and nothing["applied"] == [] and nothing["outcome_unknown"] == "Set-X"
