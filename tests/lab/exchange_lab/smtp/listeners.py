"""The lab's SMTP listeners: one per (server, binding) of the enabled receive connectors.

All listeners run on one asyncio loop in a thread, each on 127.0.0.1 with a port the OS
chooses. The loop polls ``view.generation(org)`` and rebuilds the set when the model
changed, so a connector created at runtime gets a listener and a removed one loses it.
"""
import asyncio
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..transport import credentials as lab_credentials
from .mailboxes import MAILBOXES_DIR, Mailboxes
from .selection import ListenerKey, ListenerPlan, plan_listeners
from .session import ConnectorRules, ExchangeSMTP
from .source_map import SOURCE_MAP

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
POLL_INTERVAL = 0.2


@dataclass
class _Listener:
    plan: ListenerPlan
    server: asyncio.AbstractServer
    port: int


class SmtpLab:
    """Start with ``start()``, read ``info()`` for lab.json, end with ``stop()``.

    ``view`` is the relay_view API (connectors, session_rights, accepted_domains,
    tls_material, generation), each called with ``org``. ``on_change(info)`` runs on the
    SMTP thread whenever the published listener list changes.
    """

    def __init__(self, view, org, state_dir: Path, on_change: Optional[Callable[[dict], None]] = None,
                 poll_interval: float = POLL_INTERVAL):
        state_dir = Path(state_dir)
        self.mailboxes = Mailboxes(state_dir / MAILBOXES_DIR)
        self._view = view
        self._org = org
        self._on_change = on_change
        self._poll_interval = poll_interval
        self._rules = ConnectorRules(view, org, lab_credentials.load_or_create(state_dir), self.mailboxes)
        self._listeners: dict[ListenerKey, _Listener] = {}
        self._generation = None
        self._listing: list[dict] = []
        self._trust_bundle: Optional[str] = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smtp-listeners", daemon=True)
        self._poller: Optional[asyncio.Task] = None

    # -- public, any thread -----------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> "SmtpLab":
        """Open the listeners of the current connectors (bounded by ``timeout``), then keep polling."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._begin(), self._loop).result(timeout)
        return self

    def info(self) -> dict:
        """lab.json's SMTP keys: ``smtp``, ``mailboxes``, ``smtp_source_map``, ``smtp_ca_path``."""
        with self._lock:
            listing = [dict(entry) for entry in self._listing]
            bundle = self._trust_bundle
        return {"smtp": listing, "mailboxes": str(self.mailboxes.root), "smtp_source_map": dict(SOURCE_MAP),
                "smtp_ca_path": bundle}

    def stop(self, timeout: float = 3.0) -> None:
        """Close listeners and open sessions, end the thread; bounded by ``timeout``."""
        if not self._thread.is_alive():
            if not self._loop.is_running() and not self._loop.is_closed():
                self._loop.close()  # never started
            return
        try:
            asyncio.run_coroutine_threadsafe(self._end(), self._loop).result(timeout)
        except Exception:  # stopping must not hang or raise: log and let the daemon thread go
            log.exception("SMTP listeners did not close cleanly")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()

    # -- on the loop ------------------------------------------------------------------------------
    async def _begin(self) -> None:
        await self._sync()
        self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval)
            try:
                if self._view.generation(self._org) != self._generation:
                    await self._sync()
            except Exception:  # keep polling: the next change may repair it
                log.exception("SMTP listener refresh failed")

    async def _sync(self) -> None:
        """Make the open listeners match the connectors of the current generation."""
        generation = self._view.generation(self._org)
        plans = {plan.key: plan for plan in plan_listeners(self._view.connectors(self._org))}
        for key in list(self._listeners):
            if key not in plans:
                self._listeners.pop(key).server.close()  # sessions already open run to their end
        loop = asyncio.get_running_loop()
        for key, plan in plans.items():
            if key in self._listeners:
                self._listeners[key].plan = plan
                continue
            server = await loop.create_server(lambda key=key: ExchangeSMTP(self._rules, key, loop), HOST, 0)
            self._listeners[key] = _Listener(plan, server, server.sockets[0].getsockname()[1])
        self._generation = generation
        # Rewritten on every change: a connector may have been pointed at a new certificate.
        bundle = str(self._view.trust_bundle(self._org))
        with self._lock:
            self._trust_bundle = bundle
        self._publish()

    def _publish(self) -> None:
        listing = [{"server": connector.server, "connector": connector.name, "binding": binding,
                    "host": HOST, "port": listener.port}
                   for listener in sorted(self._listeners.values(), key=_listener_order)
                   for connector, binding in listener.plan.connectors]
        with self._lock:
            changed = listing != self._listing
            self._listing = listing
        if changed and self._on_change is not None:
            try:
                self._on_change(self.info())
            except Exception:
                log.exception("publishing the SMTP listeners failed")

    async def _end(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        for listener in self._listeners.values():
            listener.server.close()
        self._listeners.clear()
        for session in list(self._rules.live):
            session.close()
        await asyncio.sleep(0)  # let the transports run their close callbacks


def _listener_order(listener: _Listener) -> tuple:
    return listener.plan.key.server.lower(), listener.plan.key.port, listener.plan.binding
