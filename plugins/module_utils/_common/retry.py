# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded waits between tries, shared by the on-premises and Exchange Online clients.

Only what is safe to repeat is ever retried: reads (Get-/Test-), the opening of a
runspace pool, and requests the server refused before doing anything.
"""

from __future__ import annotations

import random

READ_VERBS = ("Get", "Test")


def is_read(cmdlet):
    return cmdlet.split("-", 1)[0] in READ_VERBS


def all_reads(commands):
    """True when every cmdlet of ``[(cmdlet, parameters), ...]`` only reads."""
    return all(is_read(cmdlet) for cmdlet, dummy in commands)


class Backoff:
    """Exponential waits (base, 2*base, ...) capped per wait and in total, with a little jitter
    so that many forks refused together do not come back together."""

    def __init__(self, attempts, base=1.0, cap=8.0, total=45.0):
        self.attempts = attempts
        self.base = base
        self.cap = cap
        self.total = total
        self.tries = 0
        self.waited = 0.0

    def next_delay(self):
        """Seconds to sleep before the next try, or None once the bounds are used up."""
        self.tries += 1
        if self.tries >= self.attempts:
            return None
        delay = min(self.cap, self.base * 2 ** (self.tries - 1)) + random.uniform(0, self.base / 2)
        if self.waited + delay > self.total:
            return None
        self.waited += delay
        return delay
