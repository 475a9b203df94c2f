# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange certificates (Get-ExchangeCertificate) read into canonical values, and the
receive connector's TlsCertificateName resolved from a thumbprint.

What the server sends, per the E19 and MultipleMatches captures (tests/unit/data): an
ExchangeCertificate is an X509Certificate2, which PowerShell serialises as ``RawData`` (the DER
certificate) only, plus a ``<ToString>`` and Exchange's ``SerializationData`` note (the object's
fields as a BinaryFormatter stream: Services, Status, SelfSigned, Identity, and CertData, the
Windows store element with the private-key and friendly-name properties). So:

- thumbprint, validity, SAN names and serial number come from RawData (thumbprint = SHA-1 of it);
- Subject and Issuer come from the ToString, which is Windows' own text of them (what
  ``$cert.Subject`` prints, hence what ``<I>issuer<S>subject`` is built from); from RawData
  if the ToString lacks them;
- the Exchange fields come from SerializationData, unless the object carries them as properties
  (a serialiser that sends them flat is read too).
"""
from __future__ import annotations

import hashlib
import re
import struct
import traceback
from datetime import datetime, timezone

from ansible_collections.mailflow.exchange.plugins.module_utils._values import psobject

from ansible_collections.mailflow.exchange.plugins.module_utils._values import nrbf
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    UnexpectedExchangeValue,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.names import SERVER, split_identity
from ansible_collections.mailflow.exchange.plugins.module_utils._values.scalars import FlagsKind
from ansible_collections.mailflow.exchange.plugins.module_utils._values.tls_certificate_name import tls_certificate_name
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import SMTP_DOMAIN, certificate_name_covers

# AllowedServices, a [Flags] enum, by bit (Get-ExchangeCertificate.md lists the names; the bit
# values are Exchange's: IMAP 1, POP 2, UM 4, IIS 8, SMTP 16, Federation 32, UMCallRouter 64).
SERVICE_BITS = (("IMAP", 1), ("POP", 2), ("UM", 4), ("IIS", 8), ("SMTP", 16), ("Federation", 32),
                ("UMCallRouter", 64))
SERVICES = FlagsKind(("None",) + tuple(name for name, _bit in SERVICE_BITS))
# CertificateStatus by value (the names Get-ExchangeCertificate.md lists, in Exchange's order).
STATUSES = ("Unknown", "Valid", "Revoked", "DateInvalid", "Untrusted", "Invalid", "RevocationCheckFailure",
            "PendingRequest")

_HEX40 = re.compile(r"[0-9A-F]{40}")
# Separators people paste with a thumbprint: spaces and colons (openssl), and the invisible
# left-to-right mark the Windows certificate dialog puts in front of a copied thumbprint.
_THUMBPRINT_NOISE = re.compile("[\\s:\u200e\u200f\ufeff]")
_TOSTRING_FIELD = re.compile(r"^\[(?P<field>[^\]]+)\]\r?\n[ \t]+(?P<value>[^\r\n]*)", re.MULTILINE)

# Windows serialized-store-element property ids (wincrypt.h).
_KEY_PROV_INFO_PROP_ID = 2
_FRIENDLY_NAME_PROP_ID = 11

# The attribute names Windows prints in an X.500 name (CertNameToStr), where they differ from or
# add to RFC 4514's; used only when a certificate's ToString lacks Subject or Issuer.
_WINDOWS_ATTRIBUTE_NAMES = {
    "2.5.4.8": "S", "1.2.840.113549.1.9.1": "E", "2.5.4.5": "SERIALNUMBER", "2.5.4.42": "G",
    "2.5.4.4": "SN", "2.5.4.12": "T", "2.5.4.43": "I",
}
_NEEDS_QUOTES = re.compile(r'[,+=<>#;"\r\n]|^\s|\s$')


# --- user input ---------------------------------------------------------------------------------

def normalise_thumbprint(value, option="thumbprint"):
    """A full SHA-1 thumbprint as 40 upper-case hex digits; spaces, colons and case are ignored.

    Prefixes are refused: several certificates of one server can share the first digits, and a
    receive connector must never end up with a certificate nobody chose.
    """
    accepted = "the full 40-digit thumbprint that Get-ExchangeCertificate shows (spaces and colons allowed)"
    if not isinstance(value, str):
        raise InvalidValue(option, value, accepted, noun="a certificate thumbprint")
    text = _THUMBPRINT_NOISE.sub("", value).upper()
    if _HEX40.fullmatch(text):
        return text
    reason = None
    if re.fullmatch(r"[0-9A-F]{1,39}", text):
        reason = "only %d hex digits; a prefix could match several certificates" % len(text)
    elif re.fullmatch(r"[0-9A-F]{41,}", text):
        reason = "%d hex digits, more than a SHA-1 thumbprint has" % len(text)
    raise InvalidValue(option, value, accepted, noun="a certificate thumbprint", reason=reason)


# --- reading one certificate --------------------------------------------------------------------

def cryptography_import_error():
    """The traceback of importing cryptography, or None.

    Imported on demand: only reading a certificate needs it, and loading it costs
    modules that never read one (receive_connector) about 0.06 s.
    """
    try:
        import cryptography.x509  # noqa: F401 pylint: disable=unused-import
    except ImportError:
        return traceback.format_exc()
    return None


def _x509():
    try:
        from cryptography import x509
    except ImportError:
        raise UnexpectedExchangeValue("reading certificates needs the Python library cryptography") from None
    return x509


def _der(obj):
    raw = psobject.get_property(obj, "RawData")
    if not isinstance(raw, (bytes, bytearray)) or not raw:
        raise UnexpectedExchangeValue("an Exchange certificate without RawData: %s" % psobject.to_string(obj))
    return bytes(raw)


def _tostring_fields(obj):
    """{'Subject': ..., 'Issuer': ...} from X509Certificate's ToString ("[Subject]\\n  CN=...")."""
    text = psobject.to_string(obj) or ""
    return {match.group("field"): match.group("value").strip() for match in _TOSTRING_FIELD.finditer(text)}


def _windows_value(value):
    # CertNameToStr quotes a value with special characters, doubling inner quotes.
    if _NEEDS_QUOTES.search(value):
        return '"%s"' % value.replace('"', '""')
    return value


def windows_name(name):
    """An x509.Name as Windows prints it: most specific RDN first, ', ' between RDNs, ' + ' inside
    one, values with special characters in double quotes."""
    rdns = []
    for rdn in reversed(list(name.rdns)):
        parts = []
        for attribute in rdn:
            oid = attribute.oid.dotted_string
            label = _WINDOWS_ATTRIBUTE_NAMES.get(oid) or attribute.rfc4514_attribute_name
            parts.append("%s=%s" % (label, _windows_value(str(attribute.value))))
        rdns.append(" + ".join(parts))
    return ", ".join(rdns)


def _iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _san_dns_names(certificate):
    x509 = _x509()
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return extension.value.get_values_for_type(x509.DNSName)


def _common_names(certificate):
    common_name = _x509().oid.NameOID.COMMON_NAME
    return [str(attribute.value) for attribute in certificate.subject.get_attributes_for_oid(common_name)]


def _domains(names):
    """Canonical domain names (lower case); names that are not DNS names are left out."""
    canonical = set()
    for name in names:
        try:
            canonical.add(SMTP_DOMAIN.from_input(name, "certificate name"))
        except InvalidValue:
            continue
    return sorted(canonical)


def _serialization_fields(obj):
    """The ExchangeCertificate's fields from SerializationData ({} if it has none)."""
    data = psobject.get_property(obj, "SerializationData")
    if not isinstance(data, (bytes, bytearray)):
        return {}
    try:
        root = nrbf.read_stream(data)
    except nrbf.NrbfError as err:
        raise UnexpectedExchangeValue("SerializationData of a certificate cannot be read: %s" % err) from None
    return root.members if isinstance(root, nrbf.NrbfObject) else {}


def _store_properties(blob):
    """{property id: bytes} of a serialized certificate store element (CertData): a run of
    (id, encoding, length) little-endian UINT32 headers, each followed by its value."""
    properties, position = {}, 0
    while position + 12 <= len(blob):
        prop_id, _encoding, length = struct.unpack_from("<III", blob, position)
        position += 12
        if length > len(blob) - position:
            raise UnexpectedExchangeValue("CertData of a certificate is truncated")
        properties[prop_id] = blob[position:position + length]
        position += length
    return properties


def _enum_value(field):
    """The number inside a serialised enum (a class with the single member value__)."""
    if isinstance(field, nrbf.NrbfObject):
        field = field.get("value__")
    return field if isinstance(field, int) and not isinstance(field, bool) else None


def _service_names(bits):
    names = [name for name, bit in SERVICE_BITS if bits & bit]
    unknown = bits & ~sum(bit for _name, bit in SERVICE_BITS)
    if unknown:
        names.append(str(unknown))  # a service this collection does not know yet: still a fact
    return names


class _ExchangeFields:
    """Exchange's own fields of a certificate: flat properties first, else SerializationData."""

    def __init__(self, obj):
        self._obj = obj
        self._fields = _serialization_fields(obj)
        cert_data = self._fields.get("CertData")
        self._store = _store_properties(cert_data) if isinstance(cert_data, (bytes, bytearray)) else None

    def _flat(self, name):
        return psobject.property_value(self._obj, name) if psobject.has_property(self._obj, name) else None

    def services(self):
        flat = self._flat("Services")
        if flat is not None:
            return SERVICES.from_exchange(flat)
        bits = _enum_value(self._fields.get("Services"))
        return _service_names(bits) if bits is not None else None

    def status(self):
        flat = self._flat("Status")
        if flat is not None:
            return str(flat)
        value = _enum_value(self._fields.get("Status"))
        if value is None:
            return None
        return STATUSES[value] if 0 <= value < len(STATUSES) else str(value)

    def is_self_signed(self):
        flat = self._flat("IsSelfSigned")
        value = flat if flat is not None else self._fields.get("SelfSigned")
        return value if isinstance(value, bool) else None

    def has_private_key(self):
        flat = self._flat("HasPrivateKey")
        if isinstance(flat, bool):
            return flat
        if self._store is None:
            return None
        # GUESS: X509Certificate2.HasPrivateKey (.NET Framework) is true when the certificate context
        # has CERT_KEY_PROV_INFO_PROP_ID, the property the store element then carries.
        return _KEY_PROV_INFO_PROP_ID in self._store

    def friendly_name(self):
        flat = self._flat("FriendlyName")
        if flat is not None:
            return str(flat) or None
        if self._store is None or _FRIENDLY_NAME_PROP_ID not in self._store:
            return None
        return self._store[_FRIENDLY_NAME_PROP_ID].decode("utf-16-le", "replace").rstrip("\x00") or None

    def server(self):
        identity = self._flat("Identity")
        if identity is None:
            identity = self._fields.get("Identity")
        if not isinstance(identity, str):
            return None
        try:
            server, _thumbprint = split_identity(identity)  # "ServerFQDN\Thumbprint" (Get-ExchangeCertificate.md)
            return SERVER.from_exchange(server)
        except (ValueError, UnexpectedExchangeValue):
            return None


def _now(now):
    return now if now is not None else datetime.now(timezone.utc)


class Certificate:
    """One Get-ExchangeCertificate object: ``values`` (what a module returns, canonical) and what
    the filters need besides (every DNS name of the certificate, the validity period)."""

    def __init__(self, obj, now=None):
        x509 = _x509()
        der = _der(obj)
        try:
            certificate = x509.load_der_x509_certificate(der)
        except ValueError as err:
            raise UnexpectedExchangeValue("RawData of a certificate is not a DER certificate: %s" % err) from None
        self.valid_from = certificate.not_valid_before_utc
        self.valid_until = certificate.not_valid_after_utc
        # -DomainName matches the Subject Name or the SAN (Get-ExchangeCertificate.md, DomainName).
        self.names = _domains(_san_dns_names(certificate) + _common_names(certificate))
        self.values = self._values(obj, der, certificate, _now(now))

    def _values(self, obj, der, certificate, now):
        printed = _tostring_fields(obj)
        subject = printed.get("Subject") or windows_name(certificate.subject)
        issuer = printed.get("Issuer") or windows_name(certificate.issuer)
        try:
            name = tls_certificate_name(issuer, subject)
        except ValueError as err:
            raise UnexpectedExchangeValue("certificate %r / %r: %s" % (issuer, subject, err)) from None
        fields = _ExchangeFields(obj)
        return {
            "thumbprint": hashlib.sha1(der).hexdigest().upper(),
            "server": fields.server(),
            "subject": subject,
            "issuer": issuer,
            "tls_certificate_name": name,
            "certificate_domains": _domains(_san_dns_names(certificate)),
            "services": fields.services(),
            "not_before": _iso(self.valid_from),
            "not_after": _iso(self.valid_until),
            # Whole days left, rounded down: -1 on the first day after expiry.
            "days_left": int((self.valid_until - now).total_seconds() // 86400),
            "is_self_signed": fields.is_self_signed(),
            "has_private_key": fields.has_private_key(),
            "status": fields.status(),
            "friendly_name": fields.friendly_name(),
            "serial_number": "%X" % certificate.serial_number,
        }

    @property
    def thumbprint(self):
        return self.values["thumbprint"]

    def is_current(self, now=None):
        moment = _now(now)
        return self.valid_from <= moment < self.valid_until

    def matches(self, thumbprint=None, domain=None, service=None, valid_only=False, now=None):
        """Whether the certificate passes the filters of exchange_certificate_info."""
        if thumbprint and self.thumbprint != thumbprint:
            return False
        if domain and not any(certificate_name_covers(name, domain) for name in self.names):
            return False
        if service and service not in (self.values["services"] or ()):
            return False
        return not valid_only or self.is_current(now)


def list_certificates(client, server=None):
    """Get-ExchangeCertificate [-Server S]: the certificates of one server (without -Server, of the
    server the session runs on; Get-ExchangeCertificate.md, Server)."""
    return client.invoke("Get-ExchangeCertificate", {"Server": server} if server else {})


def certificates_of(client, server=None, now=None):
    """The certificates of ``server`` as Certificate objects. Never trusting that a read returned only
    what was asked for, one whose Identity (``Server\\Thumbprint``) names another server is dropped."""
    certificates = [Certificate(obj, now) for obj in list_certificates(client, server)]
    return [c for c in certificates if not server or c.values["server"] in (None, server.upper())]


# --- tls_certificate_thumbprint of receive_connector --------------------------------------------

class CertificateNotUsable(InvalidValue):
    """The thumbprint names no certificate, or one a receive connector cannot use for STARTTLS."""

    def __init__(self, option, thumbprint, server, reason):
        super().__init__(
            option, thumbprint,
            "the thumbprint of a current certificate with a private key on %s (mailflow.exchange."
            "exchange_certificate_info lists them)" % server,
            noun="a usable certificate of %s" % server, reason=reason)


def resolve_tls_certificate_name(client, server, thumbprint, option="tls_certificate_thumbprint",
                                 warn=None, now=None):
    """The ``<I>issuer<S>subject`` of certificate ``thumbprint`` on ``server``.

    Refused (CertificateNotUsable): not on that server, outside its validity period, no private
    key. Warned (``warn(text)``): not enabled for SMTP, or sharing its name with other
    certificates of the server. Only reads, so check mode runs it too.
    """
    moment = _now(now)
    thumbprint = normalise_thumbprint(thumbprint, option)
    # The whole list, not -Thumbprint: one read answers "is it there" and "who shares its name".
    certificates = certificates_of(client, server, moment)
    chosen = next((c for c in certificates if c.thumbprint == thumbprint), None)
    if chosen is None:
        raise CertificateNotUsable(option, thumbprint, server, "Get-ExchangeCertificate -Server %s does not list it"
                                   % server)
    if moment >= chosen.valid_until:
        raise CertificateNotUsable(option, thumbprint, server, "it expired on %s" % chosen.values["not_after"])
    if moment < chosen.valid_from:
        raise CertificateNotUsable(option, thumbprint, server, "it is valid only from %s" % chosen.values["not_before"])
    if chosen.values["has_private_key"] is False:
        raise CertificateNotUsable(option, thumbprint, server, "the server has no private key for it")
    if warn is not None:
        for text in _warnings(chosen.values, [c.values for c in certificates], server):
            warn(text)
    return chosen.values["tls_certificate_name"]


def _warnings(chosen, certificates, server):
    texts = []
    if chosen["services"] is not None and "SMTP" not in chosen["services"]:
        # Warned, not refused. Enabling a certificate for SMTP is what lets Network Service read its
        # private key, but -NetworkServiceAllowed grants that without SMTP (Enable-ExchangeCertificate.md),
        # and the key's ACL is not visible here. Real servers run so: in the captures, Default Frontend
        # WIN-CTD3L0RGEN4 names certificate 611C687D..., whose Services are IMAP, POP, IIS.
        # GUESS: the transport services read the key as Network Service.
        texts.append("certificate %s is not enabled for SMTP (services: %s); unless its private key is "
                     "readable by Network Service, transport cannot use it: Enable-ExchangeCertificate "
                     "-Thumbprint %s -Services SMTP -Server %s"
                     % (chosen["thumbprint"], ", ".join(chosen["services"]) or "None", chosen["thumbprint"],
                        server))
    twins = sorted(c["thumbprint"] for c in certificates
                   if c["tls_certificate_name"] == chosen["tls_certificate_name"]
                   and c["thumbprint"] != chosen["thumbprint"])
    if twins:
        # TlsCertificateName holds issuer and subject only; the MultipleMatches capture has two
        # CN=localhost certificates on one server.
        texts.append("%s on %s also has the issuer and subject of %s; a receive connector names a "
                     "certificate by issuer and subject only, so Exchange picks among them itself"
                     % (", ".join(twins), server, chosen["thumbprint"]))
    return texts
