"""The lab's remote PowerShell endpoint: both listeners, started and stopped together.

- HTTP  ``http://127.0.0.1:<port>/PowerShell``  NTLM + message encryption
- HTTPS ``https://127.0.0.1:<port>/PowerShell`` Basic, server certificate from the lab CA
"""
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from .. import pki
from ..exchange.api import Endpoint
from ..latency import Latency
from ..stats import Stats
from . import credentials as lab_credentials
from .auth import BasicConnectionAuth, NtlmConnectionAuth
from .credentials import LabCredentials
from .http import WSManHTTPServer
from .wsman import WSManService

log = logging.getLogger(__name__)

# Name in faults (WSManFault@Machine) and the Basic realm.
MACHINE_NAME = "localhost"


@dataclass
class RemotePowerShell:
    """Running listeners; ``stop()`` ends them."""

    http: WSManHTTPServer
    https: WSManHTTPServer
    service: WSManService
    credentials: LabCredentials
    ca_path: Path
    _threads: list[threading.Thread]

    def stop(self, timeout: float = 3.0) -> None:
        """Stop accepting, release long-polls, cut connections; bounded by ``timeout``."""
        for server in (self.http, self.https):
            server.shutdown()  # returns once serve_forever has left its loop
        self.service.shutdown()
        for server in (self.http, self.https):
            server.close_connections()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout)


def start_remote_powershell(state_dir: Path, endpoint: Endpoint, stats: Stats,
                            http_port: int = 0, https_port: int = 0,
                            latency: Latency | None = None) -> RemotePowerShell:
    """Bind both listeners on 127.0.0.1 (port 0 = any free port) and serve them on threads."""
    state_dir = Path(state_dir)
    credentials = lab_credentials.load_or_create(state_dir)
    lab_credentials.install_ntlm_user_file(state_dir, credentials)
    authority = pki.LabPKI(state_dir / pki.PKI_DIR)
    server_cert = authority.server_certificate()

    service = WSManService(endpoint, stats, MACHINE_NAME, latency)
    http = WSManHTTPServer(http_port, service, stats, lambda: NtlmConnectionAuth(credentials, stats))
    https = WSManHTTPServer(
        https_port, service, stats,
        lambda: BasicConnectionAuth(credentials, stats, realm=MACHINE_NAME),
        tls=pki.server_context(server_cert),
    )
    threads = [
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                         name=f"listener-{server.port}", daemon=True)
        for server in (http, https)
    ]
    for thread in threads:
        thread.start()
    log.info("remote PowerShell on %s and %s", http.url, https.url)
    return RemotePowerShell(http, https, service, credentials, authority.ca_cert_path, threads)
