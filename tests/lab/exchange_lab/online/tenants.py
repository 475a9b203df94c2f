"""Several tenants behind one host, as login.microsoftonline.com and outlook.office365.com serve them.

Each request names its tenant in the path (``/<tenant>/oauth2/...``, ``/adminapi/beta/<tenant>/...``);
the tenant whose GUID or domain it is answers. A name no tenant has goes to the first one, which
answers it as unknown as it always did.
"""
from dataclasses import dataclass
from typing import Any

from .registration import Registration
from .rest import InvokeCommandService, Response
from .token_service import TokenService


@dataclass
class TenantEndpoints:
    registration: Registration
    token_service: TokenService
    invoke: InvokeCommandService


class Tenants:
    """The token service and InvokeCommand interface of the server, routed to the named tenant."""

    def __init__(self, tenants: list[TenantEndpoints]):
        self._tenants = tenants

    def _named(self, tenant: str) -> TenantEndpoints:
        for endpoints in self._tenants:
            if endpoints.registration.names_tenant(tenant):
                return endpoints
        return self._tenants[0]

    def openid_configuration(self, base_url: str, tenant: str) -> dict:
        return self._named(tenant).token_service.openid_configuration(base_url, tenant)

    def token(self, base_url: str, tenant: str, form: dict[str, str], now: float | None = None) -> dict:
        return self._named(tenant).token_service.token(base_url, tenant, form, now=now)

    def handle(self, base_url: str, tenant: str, query: dict[str, str], headers: Any, body: bytes) -> Response:
        return self._named(tenant).invoke.handle(base_url, tenant, query, headers, body)
