"""TLS faults of the fault plan (section ``tls``): an expired or an untrusted server certificate.

``{"tls": [{"kind": "expired", "endpoint": "wsman", "count": 3}]}`` makes the next three TLS
handshakes of the /PowerShell HTTPS listener present a certificate from the lab CA that expired
last week; ``untrusted`` presents a valid one from a second CA that no client trusts
(``pki/untrusted/``). ``endpoint`` is ``wsman`` or ``online``; without it any HTTPS endpoint.
"""
import ssl
import threading
from pathlib import Path

from . import pki
from .faults import FaultPlan

UNTRUSTED_DIR = "untrusted"


class TlsFaults:
    """``LoopbackHTTPServer.tls_override`` for one endpoint."""

    def __init__(self, plan: FaultPlan, pki_dir: Path, endpoint: str):
        self._plan = plan
        self._pki_dir = Path(pki_dir)
        self._endpoint = endpoint
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def __call__(self) -> ssl.SSLContext | None:
        rule = self._plan.take("tls", kinds=("expired", "untrusted"), where=self._endpoint)
        return None if rule is None else self._context(rule["kind"])

    def _context(self, kind: str) -> ssl.SSLContext:
        with self._lock:
            if kind not in self._contexts:
                if kind == "expired":
                    files = pki.LabPKI(self._pki_dir).issue_server_certificate(
                        "expired-server", pki.LAB_HOST_NAMES, pki.LAB_IP_ADDRESSES, expired=True)
                else:
                    files = pki.LabPKI(self._pki_dir / UNTRUSTED_DIR).server_certificate()
                self._contexts[kind] = pki.server_context(files)
            return self._contexts[kind]
