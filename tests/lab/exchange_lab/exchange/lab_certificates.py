"""Certificates the lab can serve: registering new ones and finding key material for named ones.

``register`` mints a certificate for host names (signed by the lab's issuing
CA, or already expired for error tests) and adds it to the local server as an
ExchangeCertificate (Services IIS, SMTP), so a connector can name it by
issuer and subject. ``tls_files`` answers the SMTP listeners: the chain and key
to serve for the certificate a connector's TlsCertificateName names.
"""
import datetime
from pathlib import Path
from typing import Iterable, Optional

from cryptography import x509

from exchange_lab.exchange import certificate_objects, x500
from exchange_lab.exchange.context import Certificate, Context
from exchange_lab.exchange.smtp_pki import ISSUING_CA, SmtpPki, thumbprint

# What the lab's registered certificates are enabled for (Enable-ExchangeCertificate -Services IIS,SMTP).
SERVICES = ("IIS", "SMTP")
# Certificates with fewer days left than this were registered with --certificate-days.
SHORT_LIVED_DAYS = 300


def pki(ctx: Context) -> SmtpPki:
    return SmtpPki(ctx.pki_dir)


def register(ctx: Context, dns_names: Iterable[str], expired: bool = False, days: Optional[int] = None,
             issuer: str = ISSUING_CA) -> tuple[str, bool]:
    """(thumbprint, whether the store changed): a certificate for ``dns_names`` on the local server.

    Registering the same names again (same issuer, same expiry kind) returns the certificate already there.
    """
    names = [name.strip() for name in dns_names if name.strip()]
    server = ctx.local_server
    if server is None:
        raise ValueError("the organisation has no server to install a certificate on")
    authority = pki(ctx)
    for existing in ctx.certificates(server):
        cert = certificate_objects.x509_of(existing.obj) if existing.obj is not None else None
        if (cert is not None and authority.issued_files(existing.thumbprint)
                and [n.lower() for n in certificate_objects.certificate_domains(cert)] == [n.lower() for n in names]
                and cert.issuer == x500.parse_name(issuer)
                and _expiry_kind(cert) == (expired, days)):
            return existing.thumbprint, False
    cert = authority.issue(names, expired=expired, days=days, issuer=issuer)
    ctx.store.add(certificate_objects.exchange_certificate(
        cert, server.fqdn, SERVICES,
        # GUESS: the lab CA plays an enterprise CA the server trusts; an expired certificate reads DateInvalid.
        status="DateInvalid" if expired else "Valid", root_ca_type="Enterprise",
        iis_services=[f"IIS://{server.name}/W3SVC/1"], friendly_name=names[0]))
    authority.write_trust_bundle()
    return thumbprint(cert), True


def tls_files(ctx: Context, server_name: str, issuer: Optional[str], subject: str) -> Optional[tuple[Path, Path]]:
    """PEM chain and key for the certificate ``issuer``/``subject`` on ``server_name`` (None if none exists)."""
    server = ctx.find_server(server_name)
    if server is None:
        return None
    candidates = [c for c in ctx.certificates(server) if c.obj is not None and x500.same_name(c.subject, subject)
                  and (issuer is None or x500.same_name(c.issuer, issuer))]
    if not candidates:
        return None
    authority = pki(ctx)
    for candidate in candidates:
        files = authority.issued_files(candidate.thumbprint)
        if files is not None:
            return files
    files = authority.substitute(_latest(candidates))
    authority.write_trust_bundle()
    return files


def _latest(candidates: list[Certificate]) -> x509.Certificate:
    # GUESS: among several certificates with the same names, the one that expires last is served.
    certs = [certificate_objects.x509_of(c.obj) for c in candidates]
    return max((c for c in certs if c is not None), key=lambda c: c.not_valid_after_utc)


def _is_expired(cert: x509.Certificate) -> bool:
    return cert.not_valid_after_utc < datetime.datetime.now(datetime.timezone.utc)


def _expiry_kind(cert: x509.Certificate) -> tuple[bool, Optional[int]]:
    """(expired, days left when short-lived else None): what register was asked for."""
    if _is_expired(cert):
        return True, None
    left = (cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)).days
    return False, (left if left < SHORT_LIVED_DAYS else None)


def add_certificate(org, dns_names: Iterable[str], expired: bool = False, days: Optional[int] = None,
                    issuer: str = ISSUING_CA) -> str:
    """Register a certificate for ``dns_names`` in the organisation ``org``; returns its thumbprint.

    For the lab's CLI (``serve --certificate``, ``--certificate-days``, ``--reissued-certificate``) and
    tests; not a cmdlet, so no write is counted.
    """
    return org.administer(lambda ctx: register(ctx, dns_names, expired, days, issuer))
