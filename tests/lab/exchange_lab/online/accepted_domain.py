"""Get-AcceptedDomain for the lab tenant (Get-AcceptedDomain.md: -Identity is the name or GUID,
-ResultSize defaults to 1000)."""
from typing import Any

from . import errors
from .binding import Param, bind, identity, result_size
from .results import CmdletResult
from .tenant import Tenant

_GET = [Param("Identity", identity), Param("ResultSize", result_size)]


def get_accepted_domain(tenant: Tenant, parameters: Any) -> CmdletResult:
    bound = bind(_GET, parameters)
    wanted = bound.get("Identity")
    domains = tenant.accepted_domains
    if wanted:
        domains = [d for d in domains if wanted.lower() in (d["Name"].lower(), d["DomainName"].lower(), d["Guid"])]
        if not domains:
            raise errors.not_found(wanted)
    limit = bound.get("ResultSize", 1000)
    return CmdletResult(output=[dict(d) for d in (domains if limit is None else domains[:limit])])


CMDLETS = {"get-accepteddomain": get_accepted_domain}
