"""Certificates of the EOP stand-in: its server certificate and the on-premises relay's client certificate.

Both are signed by the lab CA (``DIR/pki/ca.pem``), so one file lets a client verify the EOP
server and lets the EOP listener verify the relay. The client material lives in ``DIR/online/``:
``relay-client.pem``/``.key`` (PEM), ``relay-client.pfx`` and its random password in
``relay-client.json``; reused across runs while valid and issued by the current CA.
"""
import datetime
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .. import pki
from ..files import write_atomic

CLIENT_CERTIFICATE_NAME = "relay.contoso.com"
CLIENT_FILES = "relay-client"
SERVER_FILES = "eop"  # DIR/pki/eop.pem, eop.key
CLIENT_LIFETIME = datetime.timedelta(days=397)


@dataclass(frozen=True)
class ClientMaterial:
    certificate: Path
    key: Path
    pfx: Path
    pfx_password: str
    name: str


def server_certificate(authority: pki.LabPKI, host_name: str) -> pki.CertificateFiles:
    """The certificate EOP presents on STARTTLS, for ``<tenant>.mail.protection.outlook.com``."""
    return authority.server_certificate(SERVER_FILES, dns_names=[host_name], ip_addresses=["127.0.0.1"])


def client_material(authority: pki.LabPKI, online_dir: Path, name: str = CLIENT_CERTIFICATE_NAME) -> ClientMaterial:
    """The relay's client certificate (SAN ``name``), its key and a password-protected PFX."""
    online_dir = Path(online_dir)
    online_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = online_dir / f"{CLIENT_FILES}.pem", online_dir / f"{CLIENT_FILES}.key"
    pfx_path, record_path = online_dir / f"{CLIENT_FILES}.pfx", online_dir / f"{CLIENT_FILES}.json"
    if all(p.exists() for p in (cert_path, key_path, pfx_path, record_path)):
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if _still_good(certificate, authority.ca_certificate, name):
            password = json.loads(record_path.read_text())["pfx_password"]
            return ClientMaterial(cert_path, key_path, pfx_path, password, name)
    key = pki.new_rsa_key()
    certificate = _issue(authority, key, name)
    password = secrets.token_urlsafe(18)
    write_atomic(key_path, pki.private_key_pem(key), private=True)
    write_atomic(cert_path, certificate.public_bytes(serialization.Encoding.PEM), private=False)
    pfx = pkcs12.serialize_key_and_certificates(name.encode(), key, certificate, [authority.ca_certificate],
                                                serialization.BestAvailableEncryption(password.encode()))
    write_atomic(pfx_path, pfx, private=True)
    write_atomic(record_path, json.dumps({"pfx_password": password}), private=True)
    return ClientMaterial(cert_path, key_path, pfx_path, password, name)


def _issue(authority: pki.LabPKI, key: rsa.RSAPrivateKey, name: str) -> x509.Certificate:
    ca_key = pki.load_private_key(authority.ca_key_path.read_bytes())
    ca = authority.ca_certificate
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - pki.CLOCK_SKEW)
        .not_valid_after(min(now + CLIENT_LIFETIME, ca.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _still_good(certificate: x509.Certificate, ca: x509.Certificate, name: str) -> bool:
    if certificate.not_valid_after_utc <= datetime.datetime.now(datetime.timezone.utc) + pki.RENEW_MARGIN:
        return False
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False  # the CA was re-created: mint anew
    return certificate_names(certificate) == [name]


def certificate_names(certificate: x509.Certificate) -> list[str]:
    """The DNS names of the SAN, or the subject CN when there is no SAN (how TLS names are matched)."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = san.get_values_for_type(x509.DNSName)
        if names:
            return names
    except x509.ExtensionNotFound:
        pass
    return [attribute.value for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
