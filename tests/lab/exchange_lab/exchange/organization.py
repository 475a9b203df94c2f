"""The Exchange organisation behind the lab's remote PowerShell endpoint.

``open_organization`` gives the transport an ``Endpoint``: it runs the commands
of one pipeline in order (each one's output is the next one's input), under one
lock, counts write calls, and persists the store after each write that changed it.
"""
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from psrpcore.types import PSObject

from exchange_lab.exchange import (
    accepted_domain, ad_permission, errors, exchange_certificate, exchange_server, receive_connector, shapes,
)
from exchange_lab.exchange.api import CmdletError, Command, Endpoint, PipelineResult
from exchange_lab.exchange.context import Context, Outcome
from exchange_lab.exchange.store import Store
from exchange_lab.stats import Stats

Cmdlet = Callable[[Context, Command, Optional[list[Any]]], Outcome]
T = TypeVar("T")
_WRITE_VERBS = ("new-", "set-", "remove-", "add-")
# PowerShell remoting adds these notes on the client side (Invoke-Command,
# implicit remoting); a capture taken that way has them, a server never sends them.
# GUESS: an Exchange server's PSRP output carries none of them.
_CLIENT_NOTES = ("PSComputerName", "RunspaceId", "PSShowComputerName")


def open_organization(state_dir: Path, seeds: list[Path], stats: Stats, reset: bool = False) -> Endpoint:
    """The organisation kept in ``state_dir`` (seeded from ``seeds``, or the E19 captures)."""
    return Organization(Store.open(Path(state_dir), seeds, reset), stats)


class Organization:
    def __init__(self, store: Store, stats: Stats,
                 clock: Optional[Callable[[], datetime]] = None):
        self._lock = threading.Lock()
        self._store = store
        self._stats = stats
        self._stats.declare("write_calls", "writes")  # readers rely on the keys from the start
        self._context = Context(store, clock or (lambda: datetime.now(timezone.utc)))
        self._cmdlets: dict[str, Cmdlet] = {}
        for module in (receive_connector, ad_permission, exchange_certificate, accepted_domain, exchange_server):
            self._cmdlets.update(module.CMDLETS)

    def invoke(self, commands: list[Command], user: str) -> PipelineResult:
        with self._lock:
            return self._run(commands)

    def view(self, read: Callable[[Context], T]) -> T:
        """Run ``read`` against the organisation under its lock (relay_view: the SMTP listeners' side)."""
        with self._lock:
            return read(self._context)

    def administer(self, change: Callable[[Context], tuple[T, bool]]) -> T:
        """Run a lab-side change (not a cmdlet; not counted) under the lock, persisting the store if it changed."""
        with self._lock:
            result, changed = change(self._context)
            if changed:
                self._store.save()
            return result

    def _run(self, commands: list[Command]) -> PipelineResult:
        result = PipelineResult()
        # PowerShell resolves every command before the pipeline starts.
        for command in commands:
            if command.name.lower() not in self._cmdlets:
                result.errors.append(errors.command_not_found(command.name))
                return result
        # None: the first command reads no pipeline input; a list: what the previous one wrote.
        piped: Optional[list[Any]] = None
        for command in commands:
            outcome = self._run_one(command, piped, result)
            if outcome is None:
                return result
            piped = outcome.output
        result.output = [as_sent(item) for item in piped or []]
        return result

    def _run_one(self, command: Command, piped: Optional[list[Any]], result: PipelineResult) -> Optional[Outcome]:
        name = command.name.lower()
        if name.startswith(_WRITE_VERBS):
            self._stats.increment("write_calls")
        try:
            outcome = self._cmdlets[name](self._context, command, piped)
        except CmdletError as failure:
            # A terminating error (binding, or a task's own) stops the pipeline.
            result.errors.append(failure)
            return None
        result.errors.extend(outcome.errors)
        result.warnings.extend(outcome.warnings)
        if outcome.changed:
            self._store.save()
            self._stats.increment("writes")
        return outcome


def as_sent(item: Any) -> Any:
    """The object as the server serializes it: same values, without client-side notes."""
    if not isinstance(item, PSObject) or not any(
            p.name in _CLIENT_NOTES for p in item.PSObject.extended_properties):
        return item
    sent = shapes.new_object(
        item.PSObject.type_names, None,
        [(p.name, p.get_value(item)) for p in item.PSObject.adapted_properties],
        [(p.name, p.get_value(item)) for p in item.PSObject.extended_properties if p.name not in _CLIENT_NOTES])
    sent.PSObject.to_string = item.PSObject.to_string  # already in its serialized form
    return sent
