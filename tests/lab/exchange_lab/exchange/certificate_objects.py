"""ExchangeCertificate objects in the capture shape, and what the lab reads back from them.

A captured ExchangeCertificate (data/*GetExchangeCertificate*.xml) is an
X509Certificate2 as PowerShell serializes it: type names, the
X509Certificate2.ToString() text, one property RawData (the DER) and
Exchange's SerializationData blob. Certificates the lab registers are built
exactly so; PSComputerName records the server the certificate lives on, as it
does in the captures (the endpoint strips it before sending).
"""
import datetime
import hashlib
from typing import Iterable, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from psrpcore.types import PSObject

from exchange_lab.exchange import certificate_blob, shapes, x500

_TASKS = "Microsoft.Exchange.Management.SystemConfigurationTasks"
TYPE_NAMES = [
    f"{_TASKS}.ExchangeCertificate", "System.Security.Cryptography.X509Certificates.X509Certificate2",
    "System.Security.Cryptography.X509Certificates.X509Certificate", "System.Object",
]
# Serialized certificate store element property ids (CERT_*_PROP_ID) found in the captured CertData.
_MD5_HASH, _SHA1_HASH, _FRIENDLY_NAME, _KEY_IDENTIFIER, _CERTIFICATE = 4, 3, 11, 20, 32
# Every captured certificate (all have their private key on the server) carries this one too.
_KEY_PROV_INFO = 2


def x509_of(obj: PSObject) -> Optional[x509.Certificate]:
    try:
        raw = shapes.property_value(obj, "RawData")
    except KeyError:
        return None
    return x509.load_der_x509_certificate(bytes(raw)) if raw else None


def thumbprint_of(obj: PSObject) -> str:
    cert = x509_of(obj)
    return cert.fingerprint(hashes.SHA1()).hex().upper() if cert else ""  # noqa: S303


def certificate_domains(cert: x509.Certificate) -> list[str]:
    """CertificateDomains: the DNS names of the SAN, else the subject's CN."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    return names or [x500.common_name(cert.subject)]


def dotnet_text(cert: x509.Certificate) -> str:
    """X509Certificate2.ToString(): the five sections of the captures, local times."""
    def local(moment: datetime.datetime) -> str:
        # GUESS: the server prints its own local time; the lab's is the lab process's.
        return moment.astimezone().strftime("%m/%d/%Y %H:%M:%S")

    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big").hex().upper()
    sections = [("Subject", x500.format_name(cert.subject)), ("Issuer", x500.format_name(cert.issuer)),
                ("Serial Number", serial), ("Not Before", local(cert.not_valid_before_utc)),
                ("Not After", local(cert.not_valid_after_utc)),
                ("Thumbprint", cert.fingerprint(hashes.SHA1()).hex().upper())]  # noqa: S303
    return "\r\n".join(f"[{name}]\r\n  {value}\r\n" for name, value in sections)


def cert_data(cert: x509.Certificate, friendly_name: str) -> bytes:
    """X509Certificate2.Export(SerializedCert): property elements, then the certificate itself."""
    der = cert.public_bytes(serialization.Encoding.DER)
    try:
        key_id = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        key_id = x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    elements = [
        (_KEY_PROV_INFO, _key_provider_info(friendly_name)),
        (_MD5_HASH, hashlib.md5(der).digest()),  # noqa: S324 - the store's own property
        (_FRIENDLY_NAME, (friendly_name + "\0").encode("utf-16-le")),
        (_SHA1_HASH, hashlib.sha1(der).digest()),  # noqa: S324
        (_KEY_IDENTIFIER, key_id),
        (_CERTIFICATE, der),
    ]
    return b"".join(pid.to_bytes(4, "little") + (1).to_bytes(4, "little") + len(data).to_bytes(4, "little") + data
                    for pid, data in elements)


def exchange_certificate(cert: x509.Certificate, server_fqdn: str, services: Iterable[str], status: str,
                         root_ca_type: str, iis_services: Iterable[str] = (), friendly_name: str = "",
                         private_key_exportable: bool = False) -> PSObject:
    """An ExchangeCertificate exactly as the captures show one, for a certificate on ``server_fqdn``."""
    thumb = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303
    fields = certificate_blob.CertificateFields(
        cert_data=cert_data(cert, friendly_name or x500.common_name(cert.subject)),
        self_signed=cert.subject == cert.issuer,
        status=certificate_blob.STATUS[status],
        root_ca_type=certificate_blob.ROOT_CA_TYPE[root_ca_type],
        services=sum(certificate_blob.SERVICES[name] for name in services),
        iis_services=list(iis_services),
        private_key_exportable=private_key_exportable,
        # GetExchangeCertificate sets Identity to "<server FQDN>\<thumbprint>".
        identity=f"{server_fqdn}\\{thumb}",
    )
    return shapes.new_object(
        TYPE_NAMES, dotnet_text(cert),
        [("RawData", cert.public_bytes(serialization.Encoding.DER))],
        [("PSComputerName", server_fqdn.lower()), ("SerializationData", certificate_blob.encode(fields))])


def _key_provider_info(container: str) -> bytes:
    """CRYPT_KEY_PROV_INFO as a store element holds it: seven DWORDs (container and provider name
    offsets, provider type, flags, parameter count and offset, key spec), then the two UTF-16 names.
    GUESS: the lab's values (CNG key storage provider, AT_KEYEXCHANGE); only its presence is read."""
    container_name = (container + "\0").encode("utf-16-le")
    provider_name = ("Microsoft Software Key Storage Provider" + "\0").encode("utf-16-le")
    header = 7 * 4
    fields = (header, header + len(container_name), 0, 0, 0, 0, 1)
    return b"".join(value.to_bytes(4, "little") for value in fields) + container_name + provider_name
