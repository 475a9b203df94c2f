"""Faults a test switches on at run time: one control file, ``DIR/faults.json``.

The file maps a section to a list of rules; the lab reads it on every request it could
disturb, so a test writes it (atomically) and the next requests see it, no restart::

    {"wsman": [{"kind": "reset", "cmdlet": "New-ReceiveConnector"}],
     "rest":  [{"status": 429, "retry_after": 2}, {"kind": "expire_tokens"}],
     "token": [{"status": 503}],
     "tls":   [{"kind": "expired", "endpoint": "wsman", "count": 5}]}

A rule applies to a request it matches (``cmdlet``: an exact cmdlet name, ``"any-write"``
or ``"any-read"``; no ``cmdlet``: every request of its section). ``skip`` (default 0) lets
that many matching requests through first; ``count`` (default 1) is how many it then
disturbs. The lab rewrites the file as rules are used up and counts each use in
``stats.json`` (``faults_injected``), so a test can be exact: "fail the next 2
Get-ReceiveConnector calls" is ``{"kind": "wsman_fault", "cmdlet": "Get-ReceiveConnector",
"count": 2}``. The kinds of each section are listed in ``KINDS`` (and tests/lab/README.md).
A missing, empty or unreadable file means no faults; every lab start empties it.
"""
import json
import threading
from pathlib import Path
from typing import Iterable

from .files import write_atomic
from .stats import Stats

FAULTS_FILE = "faults.json"
READ_VERBS = ("get", "test")

# What lab.json's ``faults`` entry lists: section -> kind -> what it does.
KINDS = {
    "wsman": {
        "wsman_fault": "the Command of a matching pipeline gets the WSMan fault w:InternalError; "
                       "nothing runs",
        "shell_not_found": "the Command of a matching pipeline gets the 'shell was not found' fault "
                           "(0x8033805B); nothing runs",
        "reset": "a matching pipeline runs (a write is applied), then the connection is reset instead "
                 "of answering the Receive that carries its result",
        "slow": "the Receive with a matching pipeline's result is held `seconds` (default 10) before "
                "the answer: beyond a client read timeout",
        "write_error": "a matching pipeline ends with a non-terminating error record (an Active "
                       "Directory transient error); nothing is written",
        "throttle": "the next shell Create is refused with Exchange's runspace throttling fault "
                    "(as when --max-runspaces-per-user is reached)",
    },
    "rest": {
        "status": "{\"status\": 429|503|..., \"retry_after\": s}: that HTTP error instead of running the "
                  "cmdlet (the legacy form without `kind`)",
        "expire_tokens": "every access token the lab issued so far becomes expired: this and later "
                         "requests with them get 401 invalid_token",
        "reset": "the cmdlet runs (a write is applied), then the connection is reset instead of answering",
    },
    "token": {
        "status": "{\"status\": 503, ...}: the token endpoint answers that HTTP error",
    },
    "tls": {
        "expired": "the next TLS handshakes (`endpoint`: wsman = /PowerShell over HTTPS, online) present "
                   "an expired certificate from the lab CA",
        "untrusted": "the same with a valid certificate from a CA nobody trusts",
    },
}


def is_read(cmdlet: str) -> bool:
    return cmdlet.split("-", 1)[0].lower() in READ_VERBS


def matches(rule: dict, cmdlets: Iterable[str]) -> bool:
    """Does ``rule`` concern a request running ``cmdlets`` (empty: no cmdlet known)?"""
    wanted = rule.get("cmdlet")
    if not wanted:
        return True
    names = [c for c in cmdlets if c]
    if wanted == "any-write":
        return any(not is_read(name) for name in names)
    if wanted == "any-read":
        return bool(names) and all(is_read(name) for name in names)
    return any(name.lower() == str(wanted).lower() for name in names)


class FaultPlan:
    """The control file, shared by every endpoint of one lab (one lock for all sections)."""

    def __init__(self, path: Path, stats: Stats):
        self.path = Path(path)
        self._stats = stats
        self._lock = threading.Lock()
        stats.declare("faults_injected")

    def clear(self) -> None:
        with self._lock:
            self.path.unlink(missing_ok=True)

    def take(self, section: str, cmdlets: Iterable[str] = (), kinds: Iterable[str] | None = None,
             where: str | None = None) -> dict | None:
        """The rule that disturbs this request (used up by one), or None.

        ``kinds`` limits the rules considered to those kinds (``None``: all); a legacy rule
        without ``kind`` has the kind ``status``. ``where`` names the endpoint asking: a rule
        with another ``endpoint`` is not for it.
        """
        cmdlets = list(cmdlets)
        wanted_kinds = None if kinds is None else set(kinds)
        with self._lock:
            plan = self._read()
            rules = plan.get(section) if isinstance(plan, dict) else None
            if not isinstance(rules, list) or not rules:
                return None
            for index, rule in enumerate(rules):
                if not isinstance(rule, dict) or not matches(rule, cmdlets):
                    continue
                if wanted_kinds is not None and rule.get("kind", "status") not in wanted_kinds:
                    continue
                if rule.get("endpoint") and where and rule["endpoint"] != where:
                    continue
                if int(rule.get("skip", 0)) > 0:
                    rule["skip"] = int(rule["skip"]) - 1
                    self._write(plan)
                    continue
                remaining = int(rule.get("count", 1)) - 1
                if remaining > 0:
                    rules[index] = {**rule, "count": remaining}
                else:
                    del rules[index]
                self._write(plan)
                self._stats.increment("faults_injected")
                return dict(rule)
            return None

    def _read(self):
        try:
            return json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return None

    def _write(self, plan: dict) -> None:
        write_atomic(self.path, json.dumps(plan), private=False)


def lab_json_entry(plan: FaultPlan) -> dict:
    """lab.json ``faults``: where the control file is and what it can say."""
    return {"file": str(plan.path), "sections": KINDS,
            "rule_keys": {"kind": "see sections", "cmdlet": "exact name, any-write or any-read",
                          "skip": "matching requests let through first (default 0)",
                          "count": "matching requests disturbed (default 1)",
                          "seconds": "slow: how long", "status": "rest/token: HTTP status",
                          "retry_after": "rest/token: Retry-After seconds", "endpoint": "tls: wsman or online"},
            "counter": "faults_injected"}
