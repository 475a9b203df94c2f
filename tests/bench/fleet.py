# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many lab servers for the benchmark: one ``exchange-lab serve`` process per Exchange server.

Each process is a separate endpoint (its own ports, state directory and stats) playing
the captured server renamed LAB-SRV-01, LAB-SRV-02, ... (``--server-name``). Every wait
is bounded; stopping is SIGTERM, then SIGKILL after a bounded wait.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.2
STOP_TIMEOUT = 15.0


def server_name(index: int) -> str:
    return "LAB-SRV-%02d" % index


@dataclass
class LabServer:
    name: str
    state_dir: Path
    process: subprocess.Popen
    info: dict | None = None

    def stats(self) -> dict:
        return json.loads(Path(self.info["stats"]).read_text())

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the lab process has used so far (/proc/<pid>/stat, Linux)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Fleet:
    """``count`` labs started together; ``servers`` once ``start`` returned."""

    def __init__(self, command: str, root: Path, count: int, latency_args: list[str]):
        self.command = command
        self.root = Path(root)
        self.count = count
        self.latency_args = latency_args
        self.servers: list[LabServer] = []

    def start(self, timeout: float) -> "Fleet":
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        for index in range(1, self.count + 1):
            name = server_name(index)
            state = self.root / name
            state.mkdir()
            log = open(self.root / f"{name}.log", "wb")
            process = subprocess.Popen(
                [self.command, "serve", "--state", str(state), "--reset", "--server-name", name,
                 *self.latency_args],
                stdout=subprocess.DEVNULL, stderr=log)
            log.close()
            self.servers.append(LabServer(name, state, process))
        deadline = time.monotonic() + timeout
        waiting = list(self.servers)
        while waiting:
            for server in list(waiting):
                if server.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{server.name} exited with {server.process.returncode}; "
                                       f"see {self.root / (server.name + '.log')}")
                try:
                    server.info = json.loads((server.state_dir / "lab.json").read_text())
                    waiting.remove(server)
                except (OSError, ValueError):
                    pass
            if waiting and time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{len(waiting)} of {self.count} labs not ready within {timeout} s")
            if waiting:
                time.sleep(POLL_SECONDS)
        return self

    def stop(self) -> None:
        for server in self.servers:
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for server in self.servers:
            try:
                server.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(STOP_TIMEOUT)
        self.servers = []

    def stats(self, servers: list[LabServer]) -> dict:
        """Counters summed over ``servers``."""
        total: dict = {}
        for server in servers:
            for name, value in server.stats().items():
                total[name] = total.get(name, 0) + value
        return total

    def cpu_seconds(self, servers: list[LabServer]) -> float:
        return sum(server.cpu_seconds() for server in servers)
