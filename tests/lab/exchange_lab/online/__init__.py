"""Exchange Online for the lab: an Entra ID token service and the REST cmdlet endpoint on one
HTTPS port (127.0.0.1, lab CA).

Modules: ``registration`` (tenant, app registrations, keys in DIR/online/), ``jose`` (JWS),
``aadsts`` (Entra errors), ``token_service`` (openid-configuration, token endpoint),
``access_tokens`` (issued and checked), ``rest`` (InvokeCommand, paging), ``cmdlets``,
``binding``, ``values``, ``errors`` (cmdlet layer), ``inbound_connector``, ``accepted_domain``,
``tenant`` (persisted state), ``tenants`` (a second tenant, routing by tenant), ``faults`` (429/503 on demand), ``server`` (HTTPS routing).
"""
from .lab import OnlineLab, start_online

__all__ = ["OnlineLab", "start_online"]
