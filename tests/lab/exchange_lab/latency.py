"""Delays the lab adds so that it costs what a real, distant Exchange costs (``--latency-*``).

A real /PowerShell endpoint takes seconds to open a runspace (it loads the Exchange
cmdlets before it reports the pool Opened), every WSMan call is a network round trip,
and a token from Entra ID is one more. The lab answers in microseconds, which would
hide the cost of reconnecting for every task. ``Latency`` sleeps where those costs
arise and counts each sleep and its seconds in stats.json, so tests can prove a delay was
applied without timing anything, and the benchmark can take the lab's own time out of a play's:

- ``latency_runspace_open_sleeps``: runspace pool opens delayed
- ``latency_call_sleeps``: WSMan Command/Receive and Exchange Online InvokeCommand calls delayed
- ``latency_token_sleeps``: token requests delayed
- ``latency_<kind>_seconds``: the seconds slept for each of those kinds
- ``latency_seconds``: the seconds slept in all (the sum of the three)
"""
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from .stats import Stats

KINDS = ("runspace_open", "call", "token")


@dataclass
class Latency:
    """Seconds to add per event; 0 (the default) adds nothing and counts nothing."""

    runspace_open: float = 0.0
    call: float = 0.0
    token: float = 0.0
    stats: Optional[Stats] = None
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self):
        for kind in KINDS:
            seconds = getattr(self, kind)
            if seconds < 0:
                raise ValueError(f"latency {kind} must be >= 0 seconds, got {seconds}")
        if self.stats is not None:
            self.stats.declare(*(f"latency_{kind}_sleeps" for kind in KINDS),
                               *(f"latency_{kind}_seconds" for kind in KINDS), "latency_seconds")

    def runspace_opened(self) -> None:
        self._apply("runspace_open")

    def called(self) -> None:
        self._apply("call")

    def token_issued(self) -> None:
        self._apply("token")

    def info(self) -> dict:
        """The ``latency`` entry of lab.json (seconds)."""
        return {kind: getattr(self, kind) for kind in KINDS}

    def _apply(self, kind: str) -> None:
        seconds = getattr(self, kind)
        if seconds <= 0:
            return
        if self.stats is not None:
            self.stats.add({f"latency_{kind}_sleeps": 1, f"latency_{kind}_seconds": seconds, "latency_seconds": seconds})
        self.sleep(seconds)
