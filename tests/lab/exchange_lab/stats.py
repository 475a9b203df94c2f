"""Counters the lab keeps, mirrored to a JSON file that tests read."""
import json
import os
import threading
from pathlib import Path


class Stats:
    """Thread-safe counters, written atomically to ``path`` after each change."""

    def __init__(self, path: Path):
        self._path = Path(path)
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        if self._path.exists():
            self._counters.update(json.loads(self._path.read_text()))
        self._flush()

    def declare(self, *names: str) -> None:
        """Start counters at 0, so readers can rely on every key being there."""
        with self._lock:
            for name in names:
                self._counters.setdefault(name, 0)
            self._flush()

    def increment(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counters[name] = self._counters.get(name, 0) + amount
            self._flush()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    def _flush(self) -> None:
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._counters, indent=1, sort_keys=True))
        os.replace(tmp, self._path)
