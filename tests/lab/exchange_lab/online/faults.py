"""Faults a test switches on for the next requests: ``DIR/online/faults.json``.

The file maps an endpoint (``"rest"`` = InvokeCommand, ``"token"`` = the token endpoint) to a
list of faults, each used up by one request, in order::

    {"rest": [{"status": 429, "retry_after": 2}, {"status": 503}]}

Optional keys: ``retry_after`` (seconds, sent as Retry-After) and ``message``. The lab rewrites
the file as faults are used; a missing or unreadable file means no faults.
"""
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from ..files import write_atomic

FAULTS_FILE = "faults.json"
# GUESS: the texts of Exchange Online's throttling answers (EXCHANGE.md 5 names the
# "maximum number of concurrent requests per tenant" wording as transient).
DEFAULT_MESSAGES = {
    429: "The request has been throttled. Retry after the time given in the Retry-After header.",
    503: "The server is busy: the maximum number of concurrent requests per tenant has been reached.",
}
CODES = {429: "TooManyRequests", 503: "ServiceUnavailable", 500: "InternalServerError", 504: "GatewayTimeout"}


@dataclass(frozen=True)
class Fault:
    status: int
    retry_after: int | None
    message: str

    def body(self) -> dict:
        return {"error": {"code": CODES.get(self.status, "Error"), "message": self.message}}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class Faults:
    def __init__(self, path: Path):
        self.path = self._path = Path(path)
        self._lock = threading.Lock()

    def take(self, endpoint: str) -> Fault | None:
        """The next fault for ``endpoint``, removed from the file; None when there is none."""
        with self._lock:
            try:
                plan = json.loads(self._path.read_text())
                queue = plan.get(endpoint) or []
            except (OSError, ValueError, AttributeError):
                return None
            if not queue:
                return None
            spec, plan[endpoint] = queue[0], queue[1:]
            write_atomic(self._path, json.dumps(plan), private=False)
        status = int(spec.get("status", 503))
        retry_after = spec.get("retry_after", 1 if status == 429 else None)
        return Fault(status, None if retry_after is None else int(retry_after),
                     spec.get("message") or DEFAULT_MESSAGES.get(status, "The service failed."))
