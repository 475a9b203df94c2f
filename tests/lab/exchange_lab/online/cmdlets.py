"""Runs one cmdlet of an InvokeCommand request against the tenant, counting writes."""
import copy
from typing import Any

from .. import variants
from ..stats import Stats
from . import accepted_domain, errors, inbound_connector
from .results import CmdletResult
from .tenant import Tenant

_WRITE_VERBS = ("new-", "set-", "remove-", "add-", "enable-", "disable-")
_CMDLETS = {**inbound_connector.CMDLETS, **accepted_domain.CMDLETS}


class CmdletRunner:
    def __init__(self, tenant: Tenant, stats: Stats):
        self._tenant = tenant
        self._stats = stats
        stats.declare("online_writes", "online_write_calls")  # readers rely on the keys from the start

    def run(self, name: str, parameters: Any, app_id: str | None = None) -> CmdletResult:
        """The cmdlet's result, or CmdletFailure; a change is saved before this returns.

        ``app_id`` (the token's appid) is who asked: changes are also counted per app,
        as ``online_writes_app_<client id>``, so tests can tell whose credentials wrote, and
        per tenant, as ``online_writes_tenant_<tenant id>``.
        """
        cmdlet = _CMDLETS.get(str(name).lower())
        if cmdlet is None:
            raise errors.unknown_cmdlet(str(name))
        if name.lower().startswith(_WRITE_VERBS):
            self._stats.increment("online_write_calls")
        lag = variants.value("exo-replication-lag")
        with self._tenant.lock:
            before = copy.deepcopy(self._tenant.inbound_connectors) if lag else None
            result = cmdlet(self._tenant, parameters)
            if result.changed:
                self._tenant.save()
                self._stats.increment("online_writes")
                self._stats.increment(f"online_writes_tenant_{self._tenant.registration.tenant_id}")
                if app_id:
                    self._stats.increment(f"online_writes_app_{app_id}")
                if lag:
                    self._tenant.wrote_inbound_connectors(before, lag)
        return result
