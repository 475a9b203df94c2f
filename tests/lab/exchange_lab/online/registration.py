"""The lab tenants and their app registrations, minted once per state directory.

``DIR/online/`` holds:
- ``registration.json`` (0600): tenant id and domain, the certificate app's client id and
  PFX password, the second app's client id and secret, the service principals' object ids;
- ``app.pem`` / ``app.key`` (0600) / ``app.pfx`` (0600): the certificate credential of the
  first app (what an admin uploads to Entra ID, self-signed as New-SelfSignedCertificate makes it);
- ``token-signing.key`` (0600): the key the lab's token service signs access tokens with.

``DIR/online/second/`` holds a second tenant the same way (another organisation hosted by
the same service, for tests that run several tenants side by side). Entra ID signs every
tenant's tokens with the same keys, so the second tenant uses the first one's signing key.

Everything is reused across runs while complete, so a client configured from an earlier
lab.json keeps working after a restart.
"""
import dataclasses
import datetime
import json
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .. import pki
from ..files import write_atomic

ONLINE_DIR = "online"
TENANT_DOMAIN = "mailflowlab.onmicrosoft.com"
SECOND_TENANT_DIR, SECOND_TENANT_DOMAIN = "second", "fabrikamlab.onmicrosoft.com"
REGISTRATION_FILE = "registration.json"
CERT_FILE, KEY_FILE, PFX_FILE = "app.pem", "app.key", "app.pfx"
SIGNING_KEY_FILE = "token-signing.key"
CERT_LIFETIME = datetime.timedelta(days=365)


@dataclass(frozen=True)
class RegisteredApp:
    """An Entra app registration with its service principal in the lab tenant."""

    client_id: str
    service_principal_id: str
    certificates: tuple[x509.Certificate, ...] = ()
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registration:
    tenant_id: str
    tenant_domain: str
    certificate_app: RegisteredApp
    secret_app: RegisteredApp
    certificate_path: Path
    private_key_path: Path
    pfx_path: Path
    pfx_password: str
    signing_key: rsa.RSAPrivateKey

    def app(self, client_id: str) -> RegisteredApp | None:
        wanted = (client_id or "").strip().lower()
        for app in (self.certificate_app, self.secret_app):
            if app.client_id == wanted:
                return app
        return None

    def names_tenant(self, tenant: str) -> bool:
        """Entra accepts the tenant GUID or any of its verified domains in the authority path."""
        return (tenant or "").lower() in (self.tenant_id, self.tenant_domain)


def load_or_create(state_dir: Path) -> Registration:
    return _load_or_create(Path(state_dir) / ONLINE_DIR, TENANT_DOMAIN)


def load_or_create_second(state_dir: Path, first: Registration) -> Registration:
    """The second tenant, signed for with ``first``'s key as Entra ID signs for every tenant."""
    second = _load_or_create(Path(state_dir) / ONLINE_DIR / SECOND_TENANT_DIR, SECOND_TENANT_DOMAIN)
    return dataclasses.replace(second, signing_key=first.signing_key)


def _load_or_create(directory: Path, domain: str) -> Registration:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    files = [directory / name for name in (REGISTRATION_FILE, CERT_FILE, KEY_FILE, PFX_FILE, SIGNING_KEY_FILE)]
    if not all(path.exists() for path in files):
        _mint(directory, domain)
    return _load(directory)


def _self_signed(key: rsa.RSAPrivateKey, common_name: str) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + CERT_LIFETIME)
            .sign(key, hashes.SHA256()))


def _mint(directory: Path, domain: str) -> None:
    tenant_id, client_id = str(uuid.uuid4()), str(uuid.uuid4())
    key = pki.new_rsa_key()
    cert = _self_signed(key, "mailflow-exchange-lab-app")
    pfx_password = secrets.token_urlsafe(18)
    pfx = pkcs12.serialize_key_and_certificates(
        b"mailflow-exchange-lab-app", key, cert, None,
        serialization.BestAvailableEncryption(pfx_password.encode()))
    write_atomic(directory / KEY_FILE, pki.private_key_pem(key), private=True)
    write_atomic(directory / CERT_FILE, cert.public_bytes(serialization.Encoding.PEM), private=False)
    write_atomic(directory / PFX_FILE, pfx, private=True)
    write_atomic(directory / SIGNING_KEY_FILE, pki.private_key_pem(pki.new_rsa_key()), private=True)
    record = {
        "tenant_id": tenant_id,
        "tenant_domain": domain,
        "certificate_app": {"client_id": client_id, "service_principal_id": str(uuid.uuid4())},
        "secret_app": {"client_id": str(uuid.uuid4()), "service_principal_id": str(uuid.uuid4()),
                       # Shaped like Entra's generated secrets: 40 characters, '~' and '.' included.
                       "client_secret": secrets.token_urlsafe(27).replace("-", "~").replace("_", ".")[:40]},
        "pfx_password": pfx_password,
    }
    write_atomic(directory / REGISTRATION_FILE, json.dumps(record, indent=1), private=True)


def _load(directory: Path) -> Registration:
    record = json.loads((directory / REGISTRATION_FILE).read_text())
    cert = x509.load_pem_x509_certificate((directory / CERT_FILE).read_bytes())
    signing_key = pki.load_private_key((directory / SIGNING_KEY_FILE).read_bytes())
    cert_app, secret_app = record["certificate_app"], record["secret_app"]
    return Registration(
        tenant_id=record["tenant_id"],
        tenant_domain=record["tenant_domain"],
        certificate_app=RegisteredApp(cert_app["client_id"], cert_app["service_principal_id"], certificates=(cert,)),
        secret_app=RegisteredApp(secret_app["client_id"], secret_app["service_principal_id"],
                                 secrets=(secret_app["client_secret"],)),
        certificate_path=directory / CERT_FILE,
        private_key_path=directory / KEY_FILE,
        pfx_path=directory / PFX_FILE,
        pfx_password=record["pfx_password"],
        signing_key=signing_key,
    )
