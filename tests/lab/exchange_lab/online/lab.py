"""Starting and stopping the Exchange Online part of the lab; what it adds to lab.json."""
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from .. import pki
from ..latency import Latency
from ..stats import Stats
from . import registration as app_registration
from .access_tokens import EXCHANGE_RESOURCE, AccessTokens
from .cmdlets import CmdletRunner
from ..faults import FAULTS_FILE, FaultPlan
from ..tls_faults import TlsFaults
from .faults import Faults

ISSUED_TOKENS_FILE = "issued-tokens.txt"
from .registration import Registration
from .rest import InvokeCommandService
from .server import OnlineHTTPServer
from .tenant import TENANT_FILE, Tenant
from .tenants import TenantEndpoints, Tenants
from .token_service import TokenService

log = logging.getLogger(__name__)


@dataclass
class OnlineLab:
    server: OnlineHTTPServer
    registration: Registration
    ca_path: Path
    _thread: threading.Thread
    tenant: Tenant  # read by the EOP stand-in (exchange_lab.eop) under tenant.lock
    issued_tokens: Path | None = None  # every bearer token issued, one a line (the secrets scan reads it)
    second: Registration | None = None  # a second tenant of the same service

    def info(self) -> dict:
        """The ``online`` entry of lab.json."""
        reg, base = self.registration, self.server.base_url
        return {
            "tenant_id": reg.tenant_id,
            "tenant_domain": reg.tenant_domain,
            "client_id": reg.certificate_app.client_id,
            "certificate": str(reg.certificate_path),
            "private_key": str(reg.private_key_path),
            "pfx": str(reg.pfx_path),
            "pfx_password": reg.pfx_password,
            "client_secret_app": {"client_id": reg.secret_app.client_id,
                                  "client_secret": reg.secret_app.secrets[0]},
            "authority": f"{base}/{reg.tenant_id}",
            "scope": f"{EXCHANGE_RESOURCE}/.default",
            "rest_base_url": base,
            "ca_path": str(self.ca_path),
            "faults": str(self.server.faults.path),
            "issued_tokens": str(self.issued_tokens),
            "second_tenant": self._second_tenant_info(),
        }

    def _second_tenant_info(self) -> dict:
        reg, base = self.second, self.server.base_url
        return {"tenant_id": reg.tenant_id, "tenant_domain": reg.tenant_domain,
                "client_id": reg.certificate_app.client_id, "certificate": str(reg.certificate_path),
                "private_key": str(reg.private_key_path), "authority": f"{base}/{reg.tenant_id}"}

    def env(self) -> dict:
        """lab.json's ``env_online``: the EXO_* variables the collection's Exchange Online modules read, so a
        module (or the online_session connection, as mailflow_exo_<name>) reaches this lab with no option."""
        reg, base = self.registration, self.server.base_url
        return {
            "EXO_TENANT": reg.tenant_id,
            "EXO_CLIENT_ID": reg.certificate_app.client_id,
            "EXO_CERTIFICATE": str(reg.certificate_path),
            "EXO_PRIVATE_KEY": str(reg.private_key_path),
            # Base URLs: the collection appends the tenant to the authority itself.
            "EXO_AUTHORITY_URL": base,
            "EXO_EXCHANGE_URL": base,
            "EXO_CA_PATH": str(self.ca_path),
            # The lab is not Microsoft's: the collection sends tokens to it only when told so.
            "EXO_ALLOW_CUSTOM_ENDPOINTS": "true",
        }

    def stop(self, timeout: float = 3.0) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout)


def start_online(state_dir: Path, stats: Stats, reset: bool = False, port: int = 0,
                 restrict_inbound_connectors: bool = False, plan: FaultPlan | None = None,
                 latency: Latency | None = None) -> OnlineLab:
    """Mint (once) the registration, open the tenant, and serve HTTPS on 127.0.0.1 in a thread."""
    state_dir = Path(state_dir)
    registration = app_registration.load_or_create(state_dir)
    second = app_registration.load_or_create_second(state_dir, registration)
    online_dir = state_dir / app_registration.ONLINE_DIR
    authority = pki.LabPKI(state_dir / pki.PKI_DIR)
    issued_tokens = online_dir / ISSUED_TOKENS_FILE
    if reset:
        issued_tokens.unlink(missing_ok=True)
    if plan is None:  # started alone (tests): its own plan, empty at start like the lab's
        plan = FaultPlan(state_dir / FAULTS_FILE, stats)
        plan.clear()
    faults = Faults(plan)
    endpoints, tenants = [], []
    for reg, directory in ((registration, online_dir), (second, online_dir / app_registration.SECOND_TENANT_DIR)):
        tokens = AccessTokens(reg, record_path=issued_tokens)
        tenants.append(Tenant(directory / TENANT_FILE, reg, reset=reset,
                              restrict_inbound_connectors=restrict_inbound_connectors))
        invoke = InvokeCommandService(reg, tokens, CmdletRunner(tenants[-1], stats), stats, faults)
        endpoints.append(TenantEndpoints(reg, TokenService(reg, tokens), invoke))
    router = Tenants(endpoints)
    server = OnlineHTTPServer(port, pki.server_context(authority.server_certificate()), router, router, stats,
                              faults, latency)
    server.tls_override = TlsFaults(plan, state_dir / pki.PKI_DIR, "online")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name=f"online-{server.port}", daemon=True)
    thread.start()
    log.info("Exchange Online stand-in on %s (tenant %s)", server.base_url, registration.tenant_id)
    return OnlineLab(server, registration, authority.ca_cert_path, thread, tenants[0], issued_tokens, second)
