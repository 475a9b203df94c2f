"""Counters the lab keeps, mirrored to a JSON file that tests read.

Most count events (integers); a few add up seconds (floats, kept to the microsecond so that
sums of decimal delays such as 0.05 read back as written).
"""
import json
import os
import threading
from pathlib import Path


class Stats:
    """Thread-safe counters, written atomically to ``path`` after each change."""

    def __init__(self, path: Path):
        self._path = Path(path)
        self._lock = threading.Lock()
        self._counters: dict[str, int | float] = {}
        if self._path.exists():
            self._counters.update(json.loads(self._path.read_text()))
        self._flush()

    def declare(self, *names: str) -> None:
        """Start counters at 0, so readers can rely on every key being there."""
        with self._lock:
            for name in names:
                self._counters.setdefault(name, 0)
            self._flush()

    def increment(self, name: str, amount: int | float = 1) -> None:
        self.add({name: amount})

    def add(self, amounts: dict[str, int | float]) -> None:
        """Add to several counters with one write of the file (each write costs the lab about 0.3 ms, and
        every request counts two or three things)."""
        with self._lock:
            for name, amount in amounts.items():
                total = self._counters.get(name, 0) + amount
                self._counters[name] = round(total, 6) if isinstance(total, float) else total
            self._flush()

    def snapshot(self) -> dict[str, int | float]:
        with self._lock:
            return dict(self._counters)

    def _flush(self) -> None:
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._counters, indent=1, sort_keys=True))
        os.replace(tmp, self._path)
