"""Key material behind the organisation's Exchange certificates, kept in DIR/pki/exchange/.

The captures carry certificates without private keys, so the lab cannot serve
them. For each one that a connector names it mints a *substitute*: same
subject and issuer names (the exact encoded names), same extensions, a fresh
key; self-signed when the captured one is, otherwise signed by a lab CA whose
subject is exactly the captured issuer (one CA per issuer name). Certificates
the lab registers itself (``issue``) keep their real key.

Files: ``ca-<id>.pem/.key`` (one per issuer name), ``sub-<id>.pem/.key``
(substitutes: chain and key), ``<THUMBPRINT>.pem/.key`` (issued: chain and
key), ``trust.pem`` (every CA and self-signed certificate a client needs).
Keys are readable by the owner only.
"""
import datetime
import hashlib
import os
from pathlib import Path
from typing import Iterable, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from exchange_lab import pki
from exchange_lab.exchange import x500
from exchange_lab.files import write_atomic

SUBDIRECTORY = "exchange"
TRUST_BUNDLE = "trust.pem"
# The issuer of the certificates the lab registers for host names (an enterprise CA in a real shop).
ISSUING_CA = "CN=Exchange Lab Issuing CA, O=mailflow.exchange lab"
# A second issuer, for renewals whose CA changed intermediates (the renewed certificate has the same
# subject and another issuer, so a connector's TlsCertificateName goes stale).
REISSUING_CA = "CN=Exchange Lab Issuing CA 2, O=mailflow.exchange lab"
CA_LIFETIME = datetime.timedelta(days=3650)
LEAF_LIFETIME = datetime.timedelta(days=397)
CLOCK_SKEW = datetime.timedelta(hours=1)  # notBefore in the past: a skewed client clock still accepts it
# An expired certificate, for error tests: valid for a year that ended yesterday.
EXPIRED_NOT_AFTER = datetime.timedelta(days=1)
EXPIRED_LIFETIME = datetime.timedelta(days=365)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:16]


def thumbprint(cert: x509.Certificate) -> str:
    """What Exchange prints as Thumbprint: SHA-1 of the DER, upper-case hex."""
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - it is the thumbprint's definition


class SmtpPki:
    def __init__(self, pki_dir: Path):
        self.directory = Path(pki_dir) / SUBDIRECTORY
        self.lab_ca_path = Path(pki_dir) / "ca.pem"  # the lab's HTTPS CA (exchange_lab.pki)
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)

    # ------------------------------------------------------------- CAs
    def authority(self, name: x509.Name) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        """The lab CA whose subject is exactly ``name`` (minted once)."""
        stem = self.directory / f"ca-{_digest(name.public_bytes())}"
        loaded = self._load(stem)
        if loaded is not None:
            return loaded
        key = pki.new_rsa_key()
        now = _now()
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW).not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        self._save(stem, [cert], key)
        return cert, key

    # ------------------------------------------------------------- substitutes
    def substitute(self, template: x509.Certificate) -> tuple[Path, Path]:
        """Chain and key of a servable copy of ``template`` (a captured certificate without a key)."""
        stem = self.directory / f"sub-{_digest(template.public_bytes(serialization.Encoding.DER))}"
        if not self._load(stem):
            key = pki.new_rsa_key()
            now = _now()
            builder = (
                x509.CertificateBuilder().subject_name(template.subject).issuer_name(template.issuer)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                # GUESS: the lab serves a currently valid copy, whatever the captured validity was.
                .not_valid_before(now - CLOCK_SKEW).not_valid_after(now + LEAF_LIFETIME)
            )
            for extension in template.extensions:
                if isinstance(extension.value, (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier)):
                    continue  # they describe the captured keys, not ours
                builder = builder.add_extension(extension.value, extension.critical)
            builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            if template.subject == template.issuer:
                chain = [builder.sign(key, hashes.SHA256())]
            else:
                ca_cert, ca_key = self.authority(template.issuer)
                chain = [builder.sign(ca_key, hashes.SHA256()), ca_cert]
            self._save(stem, chain, key)
        return stem.with_suffix(".pem"), stem.with_suffix(".key")

    # ------------------------------------------------------------- issued
    def issue(self, dns_names: Iterable[str], expired: bool = False, days: Optional[int] = None,
              issuer: str = ISSUING_CA) -> x509.Certificate:
        """A server certificate for ``dns_names`` from the lab CA ``issuer``; files named by thumbprint.

        ``days``: valid for that many more days (a certificate about to expire), instead of the
        usual lifetime; ``expired``: valid for a year that ended yesterday.
        """
        names = list(dns_names)
        if not names:
            raise ValueError("a certificate needs at least one host name")
        ca_cert, ca_key = self.authority(x500.parse_name(issuer))
        key = pki.new_rsa_key()
        now = _now()
        lifetime = LEAF_LIFETIME if days is None else datetime.timedelta(days=days, hours=12)
        not_after = now - EXPIRED_NOT_AFTER if expired else now + lifetime
        not_before = not_after - EXPIRED_LIFETIME if expired else now - CLOCK_SKEW
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self._save(self.directory / thumbprint(cert), [cert, ca_cert], key)
        return cert

    def issued_files(self, thumb: str) -> Optional[tuple[Path, Path]]:
        """Chain and key of a certificate ``issue`` made, None for any other thumbprint."""
        stem = self.directory / thumb.upper()
        if stem.with_suffix(".pem").exists() and stem.with_suffix(".key").exists():
            return stem.with_suffix(".pem"), stem.with_suffix(".key")
        return None

    # ------------------------------------------------------------- trust
    def write_trust_bundle(self) -> Path:
        """trust.pem: every lab CA, every self-signed substitute and the lab's HTTPS CA."""
        anchors: list[bytes] = []
        for path in sorted(self.directory.glob("*.pem")):
            if path.name == TRUST_BUNDLE:
                continue
            first = x509.load_pem_x509_certificates(path.read_bytes())[0]
            if first.subject == first.issuer:
                anchors.append(first.public_bytes(serialization.Encoding.PEM))
        if self.lab_ca_path.exists():
            anchors.append(self.lab_ca_path.read_bytes())
        bundle = self.directory / TRUST_BUNDLE
        _write(bundle, b"".join(anchors), private=False)
        return bundle

    # ------------------------------------------------------------- files
    def _load(self, stem: Path) -> Optional[tuple[x509.Certificate, rsa.RSAPrivateKey]]:
        cert_path, key_path = stem.with_suffix(".pem"), stem.with_suffix(".key")
        if not (cert_path.exists() and key_path.exists()):
            return None
        cert = x509.load_pem_x509_certificates(cert_path.read_bytes())[0]
        key = pki.load_private_key(key_path.read_bytes())
        return cert, key

    def _save(self, stem: Path, chain: list[x509.Certificate], key: rsa.RSAPrivateKey) -> None:
        _write(stem.with_suffix(".key"), pki.private_key_pem(key), private=True)
        _write(stem.with_suffix(".pem"), b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain),
               private=False)


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=not ca,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


_write = write_atomic
