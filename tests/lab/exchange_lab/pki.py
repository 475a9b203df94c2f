"""The lab's certificate authority and the server certificates it issues.

Everything lives under ``<state>/pki/``: ``ca.pem`` (what clients trust),
``ca.key`` and one ``<name>.pem``/``<name>.key`` pair per server certificate.
Key files are readable by the owner only. Files are reused across runs while
they are valid and cover the requested names.
"""
import datetime
import ipaddress
import itertools
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from .files import write_atomic

PKI_DIR = "pki"
CA_NAME = "Exchange Lab CA"

# The names the lab's Exchange server answers to: the loopback names clients
# use, and the server of the captured default data (WIN-CTD3L0RGEN4.exlab.dom).
LAB_HOST_NAMES = ("localhost", "WIN-CTD3L0RGEN4", "WIN-CTD3L0RGEN4.exlab.dom", "mail.lab.test")
LAB_IP_ADDRESSES = ("127.0.0.1", "::1")

CA_LIFETIME = datetime.timedelta(days=3650)
SERVER_LIFETIME = datetime.timedelta(days=397)
# Re-issue a server certificate this long before it expires.
RENEW_MARGIN = datetime.timedelta(days=7)
# Backdate notBefore so a slightly skewed clock still accepts a fresh certificate.
CLOCK_SKEW = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class CertificateFiles:
    cert_path: Path
    key_path: Path


def server_context(cert: CertificateFiles) -> ssl.SSLContext:
    """A TLS 1.2+ server context presenting ``cert`` (the lab's HTTPS endpoints)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert.cert_path, cert.key_path)
    return context


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


# The lab's own test suite starts a hundred short-lived labs, each generating eight keys (about 55 ms of
# CPU each): it names a directory here, and the n-th key a lab process asks for is the pool's n-th key,
# generated once. Keys stay distinct within one lab; labs on other state directories never trust each
# other's material anyway. Unset (the default, and everywhere users run the lab) every key is new.
KEY_POOL_VARIABLE = "EXCHANGE_LAB_KEY_POOL"
_pool_index = itertools.count()


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A new RSA 2048 key: what Exchange's own certificates use (New-ExchangeCertificate's default key size),
    and what every TLS client and msal accept. From the key pool when $EXCHANGE_LAB_KEY_POOL names one."""
    pool = os.environ.get(KEY_POOL_VARIABLE)
    if not pool:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = Path(pool) / f"key-{next(_pool_index)}.pem"
    try:
        return load_private_key(path.read_bytes())
    except FileNotFoundError:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        write_atomic(path, private_key_pem(key), private=True)
        return key


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """One of the lab's own keys, read back from its state directory.

    Skips cryptography's RSA key validation (tens of milliseconds a key, and every lab start reads several):
    it guards against keys from elsewhere, and these were written by the lab itself."""
    return serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """``key`` as unencrypted PKCS#8 PEM (the lab's state directory is private to its user)."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    write_atomic(path, private_key_pem(key), private=True)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    write_atomic(path, cert.public_bytes(serialization.Encoding.PEM), private=False)


class LabPKI:
    """A CA under ``pki_dir``, created on first use."""

    def __init__(self, pki_dir: Path):
        self.pki_dir = Path(pki_dir)
        self.pki_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.pki_dir, 0o700)
        self.ca_cert_path = self.pki_dir / "ca.pem"
        self.ca_key_path = self.pki_dir / "ca.key"
        self._ca_cert, self._ca_key = self._load_or_create_ca()

    @property
    def ca_certificate(self) -> x509.Certificate:
        return self._ca_cert

    def _load_or_create_ca(self) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        if self.ca_cert_path.exists() and self.ca_key_path.exists():
            cert = x509.load_pem_x509_certificate(self.ca_cert_path.read_bytes())
            key = load_private_key(self.ca_key_path.read_bytes())
            if cert.not_valid_after_utc > _now() + RENEW_MARGIN:
                return cert, key
        key = new_rsa_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailflow.exchange lab")])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                              encipher_only=False, decipher_only=False),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_key(self.ca_key_path, key)
        _write_cert(self.ca_cert_path, cert)
        return cert, key

    def server_certificate(self, name: str = "server", dns_names: Iterable[str] = LAB_HOST_NAMES,
                           ip_addresses: Iterable[str] = LAB_IP_ADDRESSES) -> CertificateFiles:
        """``<name>.pem``/``<name>.key``, reused if still valid for these names, else minted."""
        files = self._files(name)
        dns_names, ip_addresses = list(dns_names), list(ip_addresses)
        if files.cert_path.exists() and files.key_path.exists():
            cert = x509.load_pem_x509_certificate(files.cert_path.read_bytes())
            if self._still_good(cert, dns_names, ip_addresses):
                return files
        return self.issue_server_certificate(name, dns_names, ip_addresses)

    def issue_server_certificate(self, name: str, dns_names: Iterable[str],
                                 ip_addresses: Iterable[str] = (), expired: bool = False) -> CertificateFiles:
        """Mint a new TLS server certificate for the given names, signed by the lab CA.

        ``expired``: valid for a day that ended a week ago (fault injection).
        """
        dns_names, ip_addresses = list(dns_names), list(ip_addresses)
        if not dns_names:
            raise ValueError("a server certificate needs at least one DNS name")
        key = new_rsa_key()
        now = _now() - datetime.timedelta(days=8) if expired else _now()
        lifetime = datetime.timedelta(days=1) if expired else SERVER_LIFETIME
        alt_names = [x509.DNSName(n) for n in dns_names] + [
            x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses
        ]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0])]))
            .issuer_name(self._ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(min(now + lifetime, self._ca_cert.not_valid_after_utc))
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                              data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                              encipher_only=False, decipher_only=False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()), critical=False
            )
            .sign(self._ca_key, hashes.SHA256())
        )
        files = self._files(name)
        _write_key(files.key_path, key)
        _write_cert(files.cert_path, cert)
        return files

    def _files(self, name: str) -> CertificateFiles:
        if not name or "/" in name or name.startswith(".") or name in ("ca",):
            raise ValueError(f"invalid certificate file name: {name!r}")
        return CertificateFiles(self.pki_dir / f"{name}.pem", self.pki_dir / f"{name}.key")

    def _still_good(self, cert: x509.Certificate, dns_names: list[str], ip_addresses: list[str]) -> bool:
        if cert.not_valid_after_utc <= _now() + RENEW_MARGIN:
            return False
        try:
            cert.verify_directly_issued_by(self._ca_cert)
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            return False  # issued by an earlier CA of this directory, or no SAN: mint anew
        have_dns = {n.lower() for n in san.get_values_for_type(x509.DNSName)}
        have_ips = set(san.get_values_for_type(x509.IPAddress))
        return {n.lower() for n in dns_names} <= have_dns and {
            ipaddress.ip_address(ip) for ip in ip_addresses
        } <= have_ips
