"""The lab's remote PowerShell endpoint: both listeners, started and stopped together.

- HTTP  ``http://127.0.0.1:<port>/PowerShell``  NTLM + message encryption
- HTTPS ``https://127.0.0.1:<port>/PowerShell`` Basic, server certificate from the lab CA
- with a KDC (``kerberos``): a third HTTP listener, Negotiate/Kerberos + message encryption
"""
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from .. import pki
from ..exchange.api import Endpoint
from ..faults import FaultPlan
from ..tls_faults import TlsFaults
from ..latency import Latency
from ..stats import Stats
from . import credentials as lab_credentials
from .auth import BasicConnectionAuth, NtlmConnectionAuth
from .credentials import LabCredentials
from .http import WSManHTTPServer
from .kerberos_auth import KerberosConnectionAuth
from .wsman import DEFAULT_MAX_RUNSPACES_PER_USER, WSManService

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
    kerberos: WSManHTTPServer | None = None

    @property
    def servers(self) -> list[WSManHTTPServer]:
        return [server for server in (self.http, self.https, self.kerberos) if server is not None]

    def stop(self, timeout: float = 3.0) -> None:
        """Stop accepting, release long-polls, cut connections; bounded by ``timeout``."""
        for server in self.servers:
            server.shutdown()  # returns once serve_forever has left its loop
        self.service.shutdown()
        for server in self.servers:
            server.close_connections()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout)


def start_remote_powershell(state_dir: Path, endpoint: Endpoint, stats: Stats,
                            http_port: int = 0, https_port: int = 0, plan: FaultPlan | None = None,
                            max_runspaces_per_user: int = DEFAULT_MAX_RUNSPACES_PER_USER,
                            latency: Latency | None = None,
                            kerberos=None, kerberos_port: int = 0) -> RemotePowerShell:
    """Bind the listeners on 127.0.0.1 (port 0 = any free port) and serve them on threads.

    ``plan``: the lab's fault plan (sections ``wsman`` and ``tls``), None for none.
    ``latency``: delays to add (--latency-*), None for none.
    ``kerberos`` (an exchange_lab.kdc.KdcInfo) adds the Kerberos listener.
    """
    state_dir = Path(state_dir)
    credentials = lab_credentials.load_or_create(state_dir)
    lab_credentials.install_ntlm_user_file(state_dir, credentials)
    authority = pki.LabPKI(state_dir / pki.PKI_DIR)
    server_cert = authority.server_certificate()

    service = WSManService(endpoint, stats, MACHINE_NAME, plan, max_runspaces_per_user, latency)
    http = WSManHTTPServer(http_port, service, stats, lambda: NtlmConnectionAuth(credentials, stats))
    https = WSManHTTPServer(
        https_port, service, stats,
        lambda: BasicConnectionAuth(credentials, stats, realm=MACHINE_NAME),
        tls=pki.server_context(server_cert),
    )
    kerberos_http = None
    if kerberos is not None:
        # The acceptor (MIT krb5 via gssapi) reads the service key and the realm's settings
        # from these when each context is created.
        os.environ["KRB5_KTNAME"] = f"FILE:{kerberos.service_keytab}"
        os.environ["KRB5_CONFIG"] = str(kerberos.krb5_conf)
        kerberos_http = WSManHTTPServer(kerberos_port, service, stats,
                                        lambda: KerberosConnectionAuth(credentials, stats))
    if plan is not None:
        https.tls_override = TlsFaults(plan, state_dir / pki.PKI_DIR, "wsman")
    threads = [
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                         name=f"listener-{server.port}", daemon=True)
        for server in (http, https, kerberos_http) if server is not None
    ]
    for thread in threads:
        thread.start()
    log.info("remote PowerShell on %s and %s", http.url, https.url)
    return RemotePowerShell(http, https, service, credentials, authority.ca_cert_path, threads, kerberos_http)
