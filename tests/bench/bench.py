#!/usr/bin/env python
# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make bench``: the cost of a play against Exchange, next to the cost of the same play of pings.

Runs (issue 8), for latency off and on, and for the direct path (connection local: every
task opens its own runspace / gets its own token) and the session plugins (one per host):
  a) BENCH_TASKS receive_connector / ad_permission tasks on one server, applied, then rerun
     (no change: the round trips an idempotent task costs);
  b) BENCH_TASKS inbound_connector tasks on one tenant, applied, then rerun;
  c) the onprem_relay role on one server, then on BENCH_SERVERS servers with BENCH_FORKS forks;
and ansible.builtin.ping plays of the same shapes as the floor; then BENCH_MEMORY_TASKS no-change
reads with the RSS of the lab and the controller sampled. Prints a table and writes
.build/bench/results.json. Sizes and delays come from BENCH_* variables (see ``settings``);
BENCH_QUICK=1 is a quick check (a and b, 10 tasks, latency off) whose sizes BENCH_* still override.

With latency on, the lab sleeps on every WSMan Command and Receive: time no client can avoid. The
lab counts the seconds it slept (stats.json ``latency_seconds``), and "x ping net" takes them out of
the play's wall time before dividing by the ping floor: what the collection adds on top of Exchange.
"""
from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fleet import Fleet  # noqa: E402
from memory import Sampler  # noqa: E402
import plays  # noqa: E402

REPO = HERE.parents[1]
# Exchange module tasks of the anonymous onprem_relay role per server: the connector-selection
# preview, receive_connector and ad_permission (the proof is left out, see plays.relay_role_play).
ROLE_EXCHANGE_TASKS = 3
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)
COUNTERS = ("runspace_opens", "token_requests", "round_trips", "pipelines", "rest_requests", "writes",
            "online_writes", "latency_seconds")
# BENCH_QUICK=1: the defaults of a run that finishes in a few minutes.
QUICK_DEFAULTS = {"BENCH_TASKS": "10", "BENCH_SCENARIOS": "a,b", "BENCH_LATENCY": "off"}


def settings() -> dict:
    quick = os.environ.get("BENCH_QUICK", "0") == "1"

    def env(name: str, default: str) -> str:
        if quick:
            default = QUICK_DEFAULTS.get(name, default)
        return os.environ.get(name, default)

    return {
        "quick": quick,
        "tasks": int(env("BENCH_TASKS", "20")),
        "servers": int(env("BENCH_SERVERS", "50")),
        "forks": int(env("BENCH_FORKS", "10")),
        "memory_tasks": int(env("BENCH_MEMORY_TASKS", "1000")),
        "latencies": env("BENCH_LATENCY", "off,on").split(","),
        "modes": env("BENCH_MODES", "direct,session").split(","),
        "scenarios": env("BENCH_SCENARIOS", "a,b,c,memory").split(","),
        "latency_on": {"runspace_open": float(env("BENCH_LATENCY_RUNSPACE_OPEN", "3")),
                       "call": float(env("BENCH_LATENCY_CALL", "0.05")),
                       "token": float(env("BENCH_LATENCY_TOKEN", "0.2"))},
        "lab_start_timeout": float(env("BENCH_LAB_START_TIMEOUT", "300")),
        "play_timeout": float(env("BENCH_PLAY_TIMEOUT", "1200")),
        "ping_each": env("BENCH_PING_EACH", "1") == "1",
    }


class Bench:
    def __init__(self, config: dict, out: Path):
        self.config = config
        self.out = out
        self.work = out / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.bin = Path(sys.executable).parent
        self.python = sys.executable
        self.tree = out / "tree"
        self.marker = f"MAILFLOW_BENCH_RUN={uuid.uuid4().hex}"
        self.rows: list[dict] = []
        self.floors: dict[tuple, float] = {}
        self.fanout: list[dict] = []
        self.memory: dict = {}
        self.sessions = {target: (REPO / "plugins" / "connection" / f"{target}_session.py").exists()
                         for target in ("onprem", "online")}

    # -- running plays ----------------------------------------------------------

    def env(self) -> dict:
        key, value = self.marker.split("=", 1)
        return {**os.environ, key: value, "ANSIBLE_COLLECTIONS_PATH": str(self.tree),
                "ANSIBLE_FORKS": str(self.config["forks"]), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCAL_TEMP": str(self.out / "tmp"), "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_PERSISTENT_CONTROL_PATH_DIR": str(self.out / "pc"),
                "ANSIBLE_DEPRECATION_WARNINGS": "0", "PATH": f"{self.bin}:{os.environ.get('PATH', '')}"}

    def run_play(self, name: str, play: list, inventory: Path, sampler_lab_pid: int | None = None) -> dict:
        """Run one playbook; wall time, per-host recap and (optionally) the memory samples."""
        playbook = plays.write_play(self.work / f"{name}.yml", play)
        log_path = self.work / f"{name}.log"
        with open(log_path, "wb") as log:
            started = time.monotonic()
            process = subprocess.Popen([str(self.bin / "ansible-playbook"), "-i", str(inventory), str(playbook)],
                                       stdout=log, stderr=subprocess.STDOUT, env=self.env(), cwd=self.work,
                                       start_new_session=True)  # a timeout ends its forked workers too
            sampler = Sampler(sampler_lab_pid, process.pid, self.marker) if sampler_lab_pid else None
            if sampler:
                sampler.__enter__()
            try:
                process.wait(self.config["play_timeout"])
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(30)
            finally:
                if sampler:
                    sampler.__exit__()
            wall = time.monotonic() - started
        text = log_path.read_text(errors="replace")
        recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                              "failed": int(m.group(5)), "skipped": int(m.group(6))} for m in RECAP.finditer(text)}
        failed = process.returncode != 0 or not recap or any(r["failed"] or r["unreachable"] for r in recap.values())
        if failed:
            print(f"  !! {name} failed (rc {process.returncode}), log {log_path}:\n"
                  + "\n".join(text.splitlines()[-15:]), file=sys.stderr)
        return {"wall": wall, "recap": recap, "failed": failed, "log": str(log_path),
                "memory": sampler.report() if sampler else None}

    def floor(self, servers, tasks: int) -> float:
        """Wall time of ``tasks`` pings on ``servers``: measured right after each play (BENCH_PING_EACH=1,
        the default), so that both see the same machine load, or once per shape (0)."""
        key = (len(servers), tasks)
        if key not in self.floors or self.config["ping_each"]:
            inventory = plays.write_inventory(self.work / f"ping-{len(servers)}.json", servers, self.python,
                                              "direct", "onprem")
            result = self.run_play(f"ping-{len(servers)}x{tasks}", plays.ping_play(tasks), inventory)
            self.floors[key] = result["wall"]
        return self.floors[key]

    def measure(self, fleet: Fleet, servers, label: str, latency: str, mode: str, target: str, play: list,
                exchange_tasks_per_host: int) -> dict:
        inventory = plays.write_inventory(self.work / f"{label}-{latency}-{mode}.json", servers, self.python, mode,
                                          target)
        before, lab_cpu_before = fleet.stats(servers), fleet.cpu_seconds(servers)
        result = self.run_play(f"{label}-{latency}-{mode}", play, inventory)
        after, lab_cpu = fleet.stats(servers), fleet.cpu_seconds(servers) - lab_cpu_before
        used = {name: after.get(name, 0) - before.get(name, 0) for name in COUNTERS}
        first = next(iter(result["recap"].values()), {"ok": 0, "failed": 0, "skipped": 0, "changed": 0})
        tasks_per_host = first["ok"] + first["failed"] + first["skipped"]
        floor = self.floor(servers, tasks_per_host) if tasks_per_host else float("nan")
        exchange_tasks = exchange_tasks_per_host * len(servers)
        injected = self.injected_on_path(used["latency_seconds"], len(servers))
        row = {
            "scenario": label, "latency": latency, "mode": mode, "hosts": len(servers),
            "tasks_per_host": tasks_per_host, "failed": result["failed"],
            "changed": sum(r["changed"] for r in result["recap"].values()),
            "wall_s": round(result["wall"], 2),
            "per_task_s": round(result["wall"] / tasks_per_host, 3) if tasks_per_host else None,
            "ping_wall_s": round(floor, 2), "ratio_to_ping": round(result["wall"] / floor, 2) if floor else None,
            "injected_sleep_s": round(injected, 2),
            "ratio_to_ping_net": round((result["wall"] - injected) / floor, 2) if floor else None,
            # The stand-in Exchange's own work, on this machine's cores (a real server spends it on its own).
            "lab_cpu_s": round(lab_cpu, 2),
            "runspaces_opened": used["runspace_opens"], "token_requests": used["token_requests"],
            "round_trips_per_task": round(used["round_trips"] / exchange_tasks, 1),
            "calls_per_task": round((used["pipelines"] + used["rest_requests"]) / exchange_tasks, 2),
            "writes": used["writes"] + used["online_writes"], "log": result["log"],
            # Timings mean little on a busy machine: the 1-minute load average after the play says how busy.
            "load_average": round(os.getloadavg()[0], 1),
        }
        self.rows.append(row)
        self.save()
        print(format_row(row), flush=True)
        return row

    def injected_on_path(self, slept: float, hosts: int) -> float:
        """Seconds of the lab's injected sleeps that the play waited for.

        One host's sleeps come one after the other (each task waits for its calls). Several hosts
        run ``forks`` at a time, one task after the other on every host (the linear strategy), so
        their sleeps overlap: the play waits for about one host's share per fork batch.
        """
        if hosts <= 1:
            return slept
        return slept / hosts * math.ceil(hosts / self.config["forks"])

    # -- scenarios ----------------------------------------------------------------

    def modes(self, target: str) -> list[str]:
        wanted = self.config["modes"]
        return [m for m in wanted if m == "direct" or (m == "session" and self.sessions[target])]

    def run_latency(self, latency: str) -> None:
        """Each mode against labs of its own, started from the captured server: the connectors one mode
        creates would make every later mode's reads larger (Get-ReceiveConnector -Server returns them all)."""
        for mode in self.config["modes"]:
            fleet = self.start_fleet(latency, mode)
            try:
                self.run_mode(fleet, latency, mode)
            finally:
                fleet.stop()

    def start_fleet(self, latency: str, mode: str) -> Fleet:
        config = self.config
        latency_args = []
        if latency == "on":
            on = config["latency_on"]
            latency_args = ["--latency-runspace-open", str(on["runspace_open"]), "--latency-call", str(on["call"]),
                            "--latency-token", str(on["token"])]
        count = config["servers"] if "c" in config["scenarios"] else 1
        fleet = Fleet(str(self.bin / "exchange-lab"), self.out / "labs", count, latency_args)
        print(f"== latency {latency}, {mode}: starting {count} lab server(s)", flush=True)
        started = time.monotonic()
        fleet.start(config["lab_start_timeout"])
        print(f"   ready in {time.monotonic() - started:.1f} s", flush=True)
        return fleet

    def run_mode(self, fleet: Fleet, latency: str, mode: str) -> None:
        config = self.config
        one = fleet.servers[:1]
        tasks = config["tasks"]
        if "a" in config["scenarios"] and mode in self.modes("onprem"):
            play = plays.receive_connector_play(tasks, f"BENCH {mode.upper()}", slot=10 + len(self.rows))
            self.measure(fleet, one, "a-apply", latency, mode, "onprem", play, tasks)
            self.measure(fleet, one, "a-rerun", latency, mode, "onprem", play, tasks)
        if "b" in config["scenarios"] and mode in self.modes("online"):
            play = plays.inbound_connector_play(tasks, f"BENCH {mode.upper()}")
            self.measure(fleet, one, "b-apply", latency, mode, "online", play, tasks)
            self.measure(fleet, one, "b-rerun", latency, mode, "online", play, tasks)
        if "c" in config["scenarios"] and mode in self.modes("onprem"):
            single = self.measure(fleet, one, "c-role-1", latency, mode, "onprem",
                                  plays.relay_role_play(f"BENCH {mode.upper()} SINGLE", slot=10 + len(self.rows)),
                                  ROLE_EXCHANGE_TASKS)
            many = self.measure(fleet, fleet.servers, f"c-role-{len(fleet.servers)}", latency, mode,
                                "onprem", plays.relay_role_play(f"BENCH {mode.upper()} RELAY", slot=10 + len(self.rows)),
                                ROLE_EXCHANGE_TASKS)
            self.fanout.append(fanout_row(latency, mode, config["forks"], single, many))
            self.save()
        if "memory" in config["scenarios"] and latency == config["latencies"][0] and mode == self.memory_mode():
            self.run_memory(fleet)

    def memory_mode(self) -> str:
        return "session" if "session" in self.modes("onprem") else "direct"

    def run_memory(self, fleet: Fleet) -> None:
        mode = self.memory_mode()
        server = fleet.servers[0]
        inventory = plays.write_inventory(self.work / f"memory-{mode}.json", [server], self.python, mode, "onprem")
        count = self.config["memory_tasks"]
        print(f"== memory: {count} receive_connector_info reads ({mode})", flush=True)
        before = fleet.stats([server])
        result = self.run_play(f"memory-{mode}", plays.info_loop_play(count), inventory,
                               sampler_lab_pid=server.info["pid"])
        after = fleet.stats([server])
        # A run cut short by BENCH_PLAY_TIMEOUT still reports its samples: say how many reads it made.
        completed = Path(result["log"]).read_text(errors="replace").count("=> (item=")
        self.memory = {"mode": mode, "tasks": count, "completed": completed, "wall_s": round(result["wall"], 1),
                       "failed": result["failed"],
                       "runspaces_opened": after["runspace_opens"] - before["runspace_opens"],
                       **(result["memory"] or {})}
        self.save()
        print(json.dumps(self.memory), flush=True)

    def save(self) -> dict:
        """results.json as far as the run got (rewritten after every play: a run cut short keeps its rows)."""
        results = {"settings": self.config, "cpus": os.cpu_count(), "rows": self.rows, "fanout": self.fanout,
                   "memory": self.memory, "session_plugins": self.sessions}
        (self.out / "results.json").write_text(json.dumps(results, indent=1))
        return results

    def run(self) -> int:
        subprocess.run([self.python, str(REPO / "tests" / "utils" / "collection_tree.py"), "link", str(self.tree)],
                       check=True, stdout=subprocess.DEVNULL)
        if not all(self.sessions.values()):
            print(f"note: session plugins present: {self.sessions}; missing ones are not benchmarked",
                  file=sys.stderr)
        print(HEADER)
        for latency in self.config["latencies"]:
            self.run_latency(latency)
        results = self.save()
        print()
        print(render(results))
        print(f"\nresults: {self.out / 'results.json'}")
        return 1 if any(row["failed"] for row in self.rows) or self.memory.get("failed") else 0


def fanout_row(latency: str, mode: str, forks: int, single: dict, many: dict) -> dict:
    """The role on many servers against the role on one, next to the ping plays of the same shapes
    (the ping floor's own fan-out: what forks on this machine's cores cost any play)."""
    servers = many["hosts"]
    batches = math.ceil(servers / forks)
    per_batch = many["wall_s"] / batches
    ping_per_batch = many["ping_wall_s"] / batches
    return {"latency": latency, "mode": mode, "servers": servers, "forks": forks, "batches": batches,
            "single_s": single["wall_s"], "fanout_s": many["wall_s"], "per_batch_s": round(per_batch, 2),
            "ratio": round(per_batch / single["wall_s"], 2),
            "ping_single_s": single["ping_wall_s"], "ping_fanout_s": many["ping_wall_s"],
            "ping_ratio": round(ping_per_batch / single["ping_wall_s"], 2),
            "fanout_to_ping_fanout": round(many["wall_s"] / many["ping_wall_s"], 2)}


HEADER = ("scenario     latency mode    hosts tasks  wall_s  per_task  ping_s  ratio  net_ratio  lab_cpu  runspaces  "
          "tokens  rt/task  calls/task")


def format_row(row: dict) -> str:
    flag = "  FAILED" if row["failed"] else ""
    return (f"{row['scenario']:<12} {row['latency']:<7} {row['mode']:<7} {row['hosts']:>5} {row['tasks_per_host']:>5} "
            f"{row['wall_s']:>7.1f} {row['per_task_s'] or 0:>9.3f} {row['ping_wall_s']:>7.1f} "
            f"{row['ratio_to_ping'] or 0:>6.2f} {row['ratio_to_ping_net'] or 0:>10.2f} {row['lab_cpu_s']:>8.2f} "
            f"{row['runspaces_opened']:>10} {row['token_requests']:>7} "
            f"{row['round_trips_per_task']:>8} {row['calls_per_task']:>11}{flag}")


def render(results: dict) -> str:
    """The results as Markdown tables (what the README shows)."""
    lines = ["| scenario | latency | mode | hosts | tasks/host | wall s | per task s | ping s | x ping | "
             "lab sleeps s | x ping net | lab CPU s | runspaces | tokens | round trips/task | calls/task |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["rows"]:
        lines.append(f"| {r['scenario']}{' (FAILED)' if r['failed'] else ''} | {r['latency']} | {r['mode']} | "
                     f"{r['hosts']} | {r['tasks_per_host']} | {r['wall_s']} | {r['per_task_s']} | "
                     f"{r['ping_wall_s']} | {r['ratio_to_ping']} | {r['injected_sleep_s']} | "
                     f"{r['ratio_to_ping_net']} | {r.get('lab_cpu_s', '')} | {r['runspaces_opened']} | {r['token_requests']} | "
                     f"{r['round_trips_per_task']} | {r['calls_per_task']} |")
    if results["fanout"]:
        lines += ["", "| fan-out | latency | mode | servers | forks | single-server s | fan-out s | per fork batch s "
                  "| batch / single | ping single s | ping fan-out s | ping batch / single | fan-out / ping fan-out |",
                  "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for f in results["fanout"]:
            lines.append(f"| role | {f['latency']} | {f['mode']} | {f['servers']} | {f['forks']} | {f['single_s']} | "
                         f"{f['fanout_s']} | {f['per_batch_s']} | {f['ratio']} | {f['ping_single_s']} | "
                         f"{f['ping_fanout_s']} | {f['ping_ratio']} | {f['fanout_to_ping_fanout']} |")
    memory = results["memory"]
    if memory.get("lab"):
        lines += ["", f"Memory over {memory.get('completed', memory['tasks'])} of {memory['tasks']} reads ({memory['mode']}, {memory['wall_s']} s, "
                  f"{memory['runspaces_opened']} runspaces opened), RSS MiB:", "",
                  "| process | start | middle | end | peak | flat |", "|---|---:|---:|---:|---:|---|"]
        for name in ("lab", "ansible_playbook", "ansible_connection"):
            m = memory[name]
            lines.append(f"| {name} | {m['start']} | {m['middle']} | {m['end']} | {m['peak']} | {m['flat']} |")
    return "\n".join(lines)


def main() -> int:
    out = Path(os.environ.get("BENCH_DIR", REPO / ".build" / "bench")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    return Bench(settings(), out).run()


if __name__ == "__main__":
    sys.exit(main())
