"""Distinguished names the way .NET prints them (X509Certificate2.Subject/Issuer).

.NET writes the RDNs of a name in reverse order of their ASN.1 encoding,
joined by ", ", with its own short attribute names (S for the state, E for
the e-mail address) and double quotes around values that hold special
characters. Exchange compares TlsCertificateName against these strings, so the
lab prints and parses them the same way.
"""
from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

# .NET's X500 short names (X500NameEncoder); the rest print as OID.<dotted>.
_SHORT_NAMES = {
    NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU", NameOID.ORGANIZATION_NAME: "O",
    NameOID.LOCALITY_NAME: "L", NameOID.STATE_OR_PROVINCE_NAME: "S", NameOID.COUNTRY_NAME: "C",
    NameOID.EMAIL_ADDRESS: "E", NameOID.DOMAIN_COMPONENT: "DC", NameOID.STREET_ADDRESS: "STREET",
    NameOID.SERIAL_NUMBER: "SERIALNUMBER", NameOID.GIVEN_NAME: "G", NameOID.SURNAME: "SN", NameOID.TITLE: "T",
}
_BY_SHORT_NAME = {name: oid for oid, name in _SHORT_NAMES.items()}
_BY_SHORT_NAME["ST"] = NameOID.STATE_OR_PROVINCE_NAME  # the RFC 4514 spelling, accepted when parsing
# GUESS: the characters that make .NET quote a value (X500NameEncoder's "needs quoting" set).
_QUOTE_TRIGGERS = set(',+=\"\n<>#;')


def format_name(name: x509.Name) -> str:
    """X500DistinguishedName.Name: last RDN first, ", " between them."""
    parts = []
    for rdn in reversed(list(name.rdns)):
        parts.append(" + ".join(_attribute(attribute) for attribute in rdn))
    return ", ".join(parts)


def _attribute(attribute: x509.NameAttribute) -> str:
    key = _SHORT_NAMES.get(attribute.oid, f"OID.{attribute.oid.dotted_string}")
    value = str(attribute.value)
    if value != value.strip() or any(ch in _QUOTE_TRIGGERS for ch in value):
        value = '"' + value.replace('"', '""') + '"'
    return f"{key}={value}"


def parse_name(text: str) -> x509.Name:
    """The x509.Name that .NET prints as ``text`` (RDN order restored)."""
    attributes = []
    for part in _split(text):
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"not a distinguished name: {text!r}")
        key = key.strip()
        oid = _BY_SHORT_NAME.get(key.upper())
        if oid is None and key.upper().startswith("OID."):
            oid = ObjectIdentifier(key[4:])
        if oid is None:
            raise ValueError(f"unknown attribute {key!r} in {text!r}")
        attributes.append(x509.NameAttribute(oid, _unquote(value.strip())))
    # GUESS: multi-valued RDNs ("A=1 + B=2") are not needed by the lab; each attribute is its own RDN.
    return x509.Name(list(reversed(attributes)))


def _split(text: str) -> list[str]:
    parts, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            current += ch
        elif ch in ",;" and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return [part for part in (p.strip() for p in parts) if part]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1].replace('""', '"')
    return value


def same_name(left: str, right: str) -> bool:
    """Two printed names denote the same DN (case-insensitive, spacing-insensitive)."""
    return _canonical(left) == _canonical(right)


def _canonical(text: str) -> list[str]:
    canonical = []
    for part in _split(text or ""):
        key, _, value = part.partition("=")
        canonical.append(f"{key.strip().lower()}={_unquote(value.strip()).lower()}")
    return canonical


def common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""
