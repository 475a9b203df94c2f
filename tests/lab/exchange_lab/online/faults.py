"""The Exchange Online side of the lab's fault plan (``exchange_lab.faults``).

Sections ``rest`` (InvokeCommand) and ``token`` (the token endpoint) of ``DIR/faults.json``.
A rule without ``kind`` is an HTTP error answer, used up by one request::

    {"rest": [{"status": 429, "retry_after": 2}, {"status": 503}]}

Optional keys: ``retry_after`` (seconds, sent as Retry-After) and ``message``. Other kinds
(``expire_tokens``, ``reset``) are acted on by the REST service itself.
"""
from dataclasses import dataclass

from ..faults import FaultPlan

# GUESS: the texts of Exchange Online's throttling answers (EXCHANGE.md 5 names the
# "maximum number of concurrent requests per tenant" wording as transient).
DEFAULT_MESSAGES = {
    429: "The request has been throttled. Retry after the time given in the Retry-After header.",
    503: "The server is busy: the maximum number of concurrent requests per tenant has been reached.",
}
CODES = {429: "TooManyRequests", 503: "ServiceUnavailable", 500: "InternalServerError", 504: "GatewayTimeout"}


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int
    retry_after: int | None
    message: str

    def body(self) -> dict:
        return {"error": {"code": CODES.get(self.status, "Error"), "message": self.message}}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class Faults:
    def __init__(self, plan: FaultPlan):
        self._plan = plan
        self.path = plan.path

    def take(self, endpoint: str, cmdlet: str | None = None) -> Fault | None:
        """The next fault for ``endpoint`` (and this cmdlet), used up; None when there is none."""
        spec = self._plan.take(endpoint, [cmdlet] if cmdlet else [])
        if spec is None:
            return None
        kind = spec.get("kind", "status")
        status = int(spec.get("status", 503))
        retry_after = spec.get("retry_after", 1 if status == 429 else None)
        return Fault(kind, status, None if retry_after is None else int(retry_after),
                     spec.get("message") or DEFAULT_MESSAGES.get(status, "The service failed."))
