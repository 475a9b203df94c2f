"""The EOP stand-in's one SMTP listener: 127.0.0.1, a port the OS chooses, on its own asyncio loop thread.

It plays ``<tenant>.mail.protection.outlook.com:25``: STARTTLS offered but not required (EOP
takes plain SMTP too), a client certificate requested and, when sent, verified against the lab CA.
"""
import asyncio
import logging
import ssl
import threading
from datetime import datetime, timezone
from pathlib import Path

from aiosmtpd.smtp import SMTP

from .. import pki
from ..smtp.mailboxes import Mailboxes
from ..smtp.tls import IANA_CIPHER_NAMES
from . import certificates
from .session import EopRules, banner_ident
from .trace import EOP_HOST

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
# GUESS: the tenant's MX name is its onmicrosoft.com label under mail.protection.outlook.com.
MX_SUFFIX = ".mail.protection.outlook.com"


def mx_name(tenant_domain: str) -> str:
    return tenant_domain.split(".", 1)[0] + MX_SUFFIX


def server_context(cert: pki.CertificateFiles, client_ca: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    # TLS 1.2 with the suites ..smtp.tls names, so the Received header names an IANA suite.
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(":".join(IANA_CIPHER_NAMES))
    context.load_cert_chain(cert.cert_path, cert.key_path)
    # A client certificate from another CA aborts the handshake (stdlib ssl has no verify callback).
    context.load_verify_locations(client_ca)
    context.verify_mode = ssl.CERT_OPTIONAL
    return context


class EopListener:
    def __init__(self, tenant, state_dir: Path, mailboxes: Mailboxes, port: int = 0):
        state_dir = Path(state_dir)
        authority = pki.LabPKI(state_dir / pki.PKI_DIR)
        self.name = mx_name(tenant.registration.tenant_domain)
        self.ca_path = authority.ca_cert_path
        self.client = certificates.client_material(authority, state_dir / "online")
        self._context = server_context(certificates.server_certificate(authority, self.name), authority.ca_cert_path)
        self._rules = EopRules(tenant, mailboxes)
        self._requested_port = port
        self.port = None
        self._server = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="eop-smtp", daemon=True)

    def start(self, timeout: float = 10.0) -> "EopListener":
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(timeout)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("EOP stand-in %s on %s:%s", self.name, HOST, self.port)
        return self

    async def _open(self):
        loop = asyncio.get_running_loop()
        return await loop.create_server(self._protocol, HOST, self._requested_port)

    def _protocol(self) -> SMTP:
        return SMTP(self._rules, hostname=EOP_HOST, ident=banner_ident(datetime.now(timezone.utc)),
                    tls_context=self._context, require_starttls=False, data_size_limit=None,
                    loop=self._loop)

    def info(self) -> dict:
        """lab.json ``online.eop``."""
        return {"host": HOST, "port": self.port, "name": self.name, "ca_path": str(self.ca_path),
                "client_certificate": str(self.client.certificate), "client_key": str(self.client.key),
                "client_pfx": str(self.client.pfx), "client_pfx_password": self.client.pfx_password,
                "client_certificate_name": self.client.name}

    def stop(self, timeout: float = 3.0) -> None:
        if not self._thread.is_alive():
            self._loop.close()
            return

        async def close():
            self._server.close()
            await asyncio.sleep(0)

        try:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout)
        except Exception:
            log.exception("EOP listener did not close cleanly")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()
