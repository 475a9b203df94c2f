"""STARTTLS with the certificate a connector names, and how the session's TLS is reported."""
import ssl
import threading
from pathlib import Path
from typing import Optional

# OpenSSL's names of the suites the lab offers -> their IANA names, which is what Exchange
# writes in Received headers ("cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384").
IANA_CIPHER_NAMES = {
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
}
# "TLSv1.2" (Python) -> "TLS1_2" (Exchange's Received header).
_EXCHANGE_VERSION_NAMES = {"TLSv1": "TLS1_0", "TLSv1.1": "TLS1_1", "TLSv1.2": "TLS1_2", "TLSv1.3": "TLS1_3"}


def server_context(chain_pem: Path, key_pem: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # GUESS: Exchange 2016/2019 on Windows Server 2016/2019 negotiates TLS 1.2 at most; capping it
    # keeps every cipher in the table above, so the Received header always names an IANA suite.
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(":".join(IANA_CIPHER_NAMES))
    context.load_cert_chain(chain_pem, key_pem)
    return context


class ContextCache:
    """One SSLContext per certificate files, rebuilt when a file changes (renewal)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._contexts: dict[tuple, ssl.SSLContext] = {}

    def get(self, chain_pem: Path, key_pem: Path) -> ssl.SSLContext:
        key = (str(chain_pem), str(key_pem), Path(chain_pem).stat().st_mtime_ns, Path(key_pem).stat().st_mtime_ns)
        with self._lock:
            context = self._contexts.get(key)
            if context is None:
                context = self._contexts[key] = server_context(Path(chain_pem), Path(key_pem))
            return context


def describe(ssl_object: Optional[ssl.SSLObject]) -> Optional[dict]:
    """{"version": "TLS1_2", "cipher": IANA name} of an established TLS session, None without TLS."""
    if ssl_object is None:
        return None
    cipher = ssl_object.cipher()[0]
    version = ssl_object.version() or ""
    return {"version": _EXCHANGE_VERSION_NAMES.get(version, version),
            "cipher": IANA_CIPHER_NAMES.get(cipher, cipher)}
