# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resident memory of the lab and the controller, sampled from /proc while a play runs.

The controller is ansible-playbook plus any ansible-connection process (the session
plugins' persistent connections). Those are found by a marker in their environment,
which every process the bench starts inherits, so other users' processes never count.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

SAMPLE_SECONDS = 0.5
# ansible-core starts the persistent connection as ansible/cli/scripts/ansible_connection_cli_stub.py.
CONNECTION_NAMES = ("ansible-connection", "ansible_connection_cli_stub")


def rss_kib(pid: int) -> int | None:
    """VmRSS of ``pid`` in KiB, or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def marked_processes(marker: str, names: tuple[str, ...]) -> list[int]:
    """Our processes whose command line contains one of ``names`` and whose environment holds ``marker``."""
    found = []
    needle = marker.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            if not any(name.encode() in cmdline for name in names):
                continue
            if needle in Path(f"/proc/{entry}/environ").read_bytes():
                found.append(int(entry))
        except OSError:
            continue
    return found


class Sampler:
    """Samples (time, lab KiB, ansible-playbook KiB, largest ansible-connection KiB) until stopped."""

    def __init__(self, lab_pid: int, playbook_pid: int, marker: str):
        self.lab_pid, self.playbook_pid, self.marker = lab_pid, playbook_pid, marker
        self.samples: list[tuple[float, int, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = time.monotonic()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(SAMPLE_SECONDS):
                return

    def _sample(self) -> None:
        # The largest, not the sum: Ansible also starts a short-lived ansible-connection per task that
        # only looks up the persistent process's socket; the persistent process is the one that lives on.
        connections = max((rss_kib(pid) or 0 for pid in marked_processes(self.marker, CONNECTION_NAMES)), default=0)
        self.samples.append((time.monotonic() - self._started, rss_kib(self.lab_pid) or 0,
                             rss_kib(self.playbook_pid) or 0, connections))

    def report(self) -> dict:
        """RSS (MiB) at 10 %, 50 % and the end of the run, peaks, and whether each stayed flat."""
        live = [s for s in self.samples if s[2]]  # while ansible-playbook was alive
        if len(live) < 3:
            return {"samples": len(live)}
        picks = {"start": live[len(live) // 10], "middle": live[len(live) // 2], "end": live[-1]}
        report = {"samples": len(live)}
        for index, name in ((1, "lab"), (2, "ansible_playbook"), (3, "ansible_connection")):
            values = {when: round(sample[index] / 1024, 1) for when, sample in picks.items()}
            values["peak"] = round(max(s[index] for s in live) / 1024, 1)
            # Flat: the second half grew by less than 5 % (and 2 MiB) of the middle value.
            values["flat"] = values["end"] - values["middle"] <= max(2.0, 0.05 * values["middle"])
            report[name] = values
        return report
