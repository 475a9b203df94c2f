"""Fixtures that run the Exchange lab as a real process (``exchange-lab serve``).

``lab`` (one lab per test) and ``lab_session`` (one lab for the whole run)
yield the parsed ``lab.json``; ``LabProcess`` is there for tests that need to
drive the process themselves (signals, restarts).
"""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def _command() -> list[str]:
    script = Path(sys.executable).with_name("exchange-lab")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "exchange_lab.cli"]


class LabProcess:
    """An ``exchange-lab serve`` subprocess on a state directory."""

    def __init__(self, state_dir: Path, *extra_args: str):
        self.state_dir = Path(state_dir)
        self.lab_json = self.state_dir / "lab.json"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._stderr = open(self.state_dir.parent / f"{self.state_dir.name}-stderr.log", "w+b")
        self.process = subprocess.Popen(
            [*_command(), "serve", "--state", str(self.state_dir), *extra_args],
            stdout=subprocess.DEVNULL, stderr=self._stderr,
        )

    def wait_ready(self, timeout: float = START_TIMEOUT) -> dict:
        """Wait (bounded) for lab.json and return it parsed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"exchange-lab exited with {self.process.returncode}:\n{self.stderr()}")
            if self.lab_json.exists():
                return json.loads(self.lab_json.read_text())
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"exchange-lab did not write {self.lab_json} within {timeout} s:\n{self.stderr()}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self._stderr.close()
        return self.process.returncode

    def stderr(self) -> str:
        """What the lab wrote to stderr so far (also after stop())."""
        if not self._stderr.closed:
            self._stderr.flush()
        with open(self._stderr.name, "rb") as handle:
            return handle.read().decode(errors="replace")


@pytest.fixture(scope="session", autouse=True)
def key_pool(tmp_path_factory):
    """Every lab of this run draws its RSA keys from one pool (exchange_lab.pki.KEY_POOL_VARIABLE)."""
    pool = tmp_path_factory.mktemp("key-pool")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXCHANGE_LAB_KEY_POOL", str(pool))
        yield pool


@pytest.fixture
def lab(tmp_path):
    """A fresh lab for one test: the parsed lab.json."""
    process = LabProcess(tmp_path / "lab-state")
    try:
        yield process.wait_ready()
    finally:
        process.stop()


@pytest.fixture(scope="session")
def lab_session(tmp_path_factory):
    """One lab shared by the whole test session (state changes accumulate)."""
    process = LabProcess(tmp_path_factory.mktemp("lab-session") / "state")
    try:
        yield process.wait_ready()
    finally:
        process.stop()


@pytest.fixture
def lab_process(tmp_path):
    """Factory for tests that control the lab process themselves."""
    started: list[LabProcess] = []

    def start(*extra_args: str, state_dir: Path | None = None) -> LabProcess:
        process = LabProcess(state_dir or tmp_path / f"lab-state-{len(started)}", *extra_args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def pytest_report_header(config):
    return f"exchange-lab command: {' '.join(_command())}"
