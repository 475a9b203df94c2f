# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module does when a write's outcome is unknown, and what its failure result says.

A module's task reads the object, plans the difference and writes it. When the connection
fails during a write (ExchangeOutcomeUnknown) the write is never sent again blindly: the
task runs once more from the read, so it applies only what is still missing (no duplicate
objects or ACEs), and the result says ``changed`` since the first read found work to do.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
    ExchangeOutcomeUnknown,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.retry import is_read

# One re-read after an unknown outcome; a second unknown outcome fails the task.
REREADS = 1


def run_rereading(task: Callable[[], dict], warn: Callable[[str], None] | None = None) -> dict:
    """``task()``'s result; after an unknown write outcome, ``task()`` again from the read (bounded)."""
    unknown = []
    while True:
        try:
            result = task()
        except ExchangeOutcomeUnknown as err:
            if len(unknown) == REREADS:
                raise
            unknown.append(err.cmdlet)
            if warn:
                warn("%s; reading the object again to decide what is still to do" % err)
            continue
        except ExchangeConnectionError as err:
            if not unknown:
                raise
            # The read again could not tell either: the first write's outcome stays unknown.
            raise ExchangeOutcomeUnknown("whether Exchange applied it is unknown (it is not sent again), and "
                                         "reading the object again failed: %s" % err, cmdlet=unknown[0]) from None
        if unknown:
            result["changed"] = True
            result["reread_after"] = unknown
        return result


def failure_result(err: ExchangeError, client: object) -> dict:
    """fail_json keywords for ``err``: the error's fields, and exactly what was applied before it."""
    applied = list(getattr(client, "applied", None) or [])
    result = dict(err.to_result(), msg=str(err), applied=applied, changed=bool(applied))
    if isinstance(err, ExchangeOutcomeUnknown):
        result["outcome_unknown"] = err.cmdlet
    return result


def broken_off(commands: Iterable[tuple[str, dict]], who: str, reason: str) -> ExchangeConnectionError:
    """The error for a call of ``[(cmdlet, parameters), ...]`` that broke off before its answer: with a write
    among the cmdlets ExchangeOutcomeUnknown naming the (last) write, so the module reads the object again
    rather than failing or sending it again; a read is a plain connection error."""
    commands = list(commands)
    writes = [cmdlet for cmdlet, _parameters in commands if not is_read(cmdlet)]
    if not writes:
        return ExchangeConnectionError("%s failed while running %s: %s" % (who, commands[-1][0], reason))
    return ExchangeOutcomeUnknown("%s failed while it ran, so whether Exchange applied it is unknown (it is not "
                                  "sent again): %s" % (who, reason), cmdlet=writes[-1])


def applied_writes(commands: Iterable[tuple[str, dict]]) -> list[dict]:
    """Failure-result entries for the writes of ``[(cmdlet, parameters), ...]`` that Exchange confirmed:
    the cmdlet, its object and which parameters (never their values: they may hold secrets)."""
    entries = []
    for cmdlet, parameters in commands:
        if is_read(cmdlet):
            continue
        identity = parameters.get("Identity") or parameters.get("Name")
        entries.append({"cmdlet": cmdlet, "identity": None if identity is None else str(identity),
                        "parameters": sorted(parameters)})
    return entries
