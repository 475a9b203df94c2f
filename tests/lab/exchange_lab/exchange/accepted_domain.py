"""Get-AcceptedDomain: the organisation's accepted domains, exactly as captured.

Get-AcceptedDomain.md: -Identity (position 0) is the name, the domain name,
the distinguished name or the GUID; without it every accepted domain is
returned. Not found is ManagementObjectNotFoundException, as for every Get-.
"""
import enum
from typing import Any, Optional

from psrpcore.types import PSObject

from exchange_lab.exchange import shapes
from exchange_lab.exchange.api import Command
from exchange_lab.exchange.binding import Param, as_identity, bind
from exchange_lab.exchange.context import Context, Outcome

_CMDLET = "Get-AcceptedDomain"
_IDENTITY = Param("Identity", as_identity, "Microsoft.Exchange.Configuration.Tasks.AcceptedDomainIdParameter",
                  position=0)


def get_accepted_domain(ctx: Context, command: Command, inputs: Optional[list[Any]]) -> Outcome:
    bound = bind(_CMDLET, [_IDENTITY], command)
    outcome = Outcome()
    if inputs is not None and not inputs:
        return outcome
    identities = [bound.get("Identity")] if inputs is None or "Identity" in bound else [
        as_identity(item) for item in inputs]
    for identity in identities:
        if identity is None:
            outcome.output.extend(ctx.accepted_domains())
            continue
        matches = [d for d in ctx.accepted_domains() if _named(d, identity)]
        if not matches:
            outcome.errors.append(ctx.reporter.not_found(_CMDLET, identity))
        outcome.output.extend(matches)
    return outcome


def _named(domain: PSObject, identity: str) -> bool:
    """AcceptedDomainIdParameter: name, domain name, distinguished name or GUID (case-insensitive)."""
    keys = [shapes.plain_text(shapes.property_value(domain, key)).lower()
            for key in ("Name", "DomainName", "DistinguishedName", "Guid")]
    return identity.strip().lower() in keys


def domain_type(domain: PSObject) -> str:
    """AcceptedDomainType as printed: Authoritative, InternalRelay or ExternalRelay."""
    value = shapes.property_value(domain, "DomainType")
    return value.name if isinstance(value, enum.Enum) else shapes.plain_text(value)


def domain_name(domain: PSObject) -> str:
    return shapes.plain_text(shapes.property_value(domain, "DomainName"))


CMDLETS = {"get-accepteddomain": get_accepted_domain}
