"""Get-ExchangeCertificate, the SerializationData blob, registered certificates and servable key material."""
import argparse
import datetime
import re
import ssl
import struct

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from psrpcore.types import deserialize_clixml

from exchange_lab import cli
from exchange_lab.exchange import certificate_blob, certificate_objects, lab_certificates, relay_view, smtp_pki, x500
from exchange_lab.exchange.store import DATA_DIR
from model_lab import SERVER, Lab

MULTIPLE = DATA_DIR / "GetExchangeCertificate-MultipleMatches.xml"
E19 = DATA_DIR / "E19-GetExchangeCertificate.xml"
SELF_SIGNED = "611C687DFC4343A5A03E0005A1EC6E9B6AFF586D"  # CN=WIN-CTD3L0RGEN4, named by Default Frontend
ISSUING_CA = "CN=Exchange Lab Issuing CA, O=mailflow.exchange lab"
# The fields of every captured blob (Identity, SelfSigned, Status, RootCAType, Services, IISServices, exportable).
CAPTURED_FIELDS = {
    "C3EDCF181EF4F9B53D01768ECA99564014BCA6E7": ("Solo-E19A.Solo.com", True, 1, 0, 16, [], True),
    "6C7DE09FB39A40144F57EFEBC3DF0148E3A9AB28": ("Solo-E19A.Solo.com", True, 1, 3, 27,
                                                 ["IIS://Solo-E19A/W3SVC/1", "IIS://Solo-E19A/W3SVC/2"], False),
    "38247AD2B76244411748274C508D13446311830B": ("Solo-E19A.Solo.com", True, 1, 3, 0, [], True),
    "03221367D3A3E863698501592A9B9C420D8D3F4E": ("WIN-CTD3L0RGEN4.exlab.dom", True, 1, 0, 16, [], False),
    "2D10A746D6BB8D795F1679AEBD89D5D2AE583CB7": ("WIN-CTD3L0RGEN4.exlab.dom", True, 1, 0, 0, [], False),
    SELF_SIGNED: ("WIN-CTD3L0RGEN4.exlab.dom", True, 1, 3, 11,
                  ["IIS://WIN-CTD3L0RGEN4/W3SVC/1", "IIS://WIN-CTD3L0RGEN4/W3SVC/2"], False),
    "E267D459A0FB53D0EF225C11FAC062D522648C09": ("WIN-CTD3L0RGEN4.exlab.dom", True, 1, 0, 16, [], True),
    "3341CEAF3DF4D3A9527EC98BDD53C54ECC3E0620": ("WIN-CTD3L0RGEN4.exlab.dom", True, 1, 3, 0, [], True),
}


def captured(path):
    return deserialize_clixml(path.read_text(encoding="utf-8-sig"), None)


def thumbprint(obj) -> str:
    return re.search(r"\[Thumbprint\]\s+(\w+)", obj.PSObject.to_string).group(1)


def handshake(chain, key, cafile, hostname: str) -> str:
    """A TLS handshake in memory: the lab's material as server, a verifying client trusting ``cafile``."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(chain, key)
    client = ssl.create_default_context(cafile=str(cafile))
    bios = [ssl.MemoryBIO() for _ in range(4)]
    ends = [client.wrap_bio(bios[0], bios[1], server_hostname=hostname),
            server.wrap_bio(bios[2], bios[3], server_side=True)]
    for _ in range(6):
        for end in ends:
            try:
                end.do_handshake()
            except ssl.SSLWantReadError:
                pass
        bios[2].write(bios[1].read())
        bios[0].write(bios[3].read())
    ends[0].do_handshake()
    return ends[0].version()


@pytest.fixture
def lab(tmp_path):
    return Lab(tmp_path)


@pytest.fixture(scope="module")
def registered(tmp_path_factory):
    """One lab with a valid and an expired registered certificate (minting keys takes time)."""
    lab = Lab(tmp_path_factory.mktemp("registered"))
    valid = lab_certificates.add_certificate(lab.endpoint, ["mail.contoso.lab", "smtp.contoso.lab"])
    expired = lab_certificates.add_certificate(lab.endpoint, ["expired.contoso.lab"], expired=True)
    return lab, valid, expired


# ------------------------------------------------------------------ SerializationData
@pytest.mark.parametrize("path", [E19, MULTIPLE])
def test_the_blob_writer_reproduces_every_captured_blob(path):
    for obj in captured(path):
        blob = bytes(obj.SerializationData)
        start = blob.index(b"\x0f\x03\x00\x00\x00")  # ArraySinglePrimitive, object 3: CertData
        (length,) = struct.unpack_from("<i", blob, start + 5)
        fqdn, self_signed, status, root, services, iis, exportable = CAPTURED_FIELDS[thumbprint(obj)]
        fields = certificate_blob.CertificateFields(
            blob[start + 10:start + 10 + length], self_signed, status, root, services, iis, exportable,
            f"{fqdn}\\{thumbprint(obj)}")
        assert certificate_blob.encode(fields) == blob


# ------------------------------------------------------------------ Get-ExchangeCertificate
def test_the_local_servers_certificates_come_back_exactly_as_captured(lab):
    sent = lab.ok("Get-ExchangeCertificate")
    expected = captured(MULTIPLE)  # E19-GetExchangeCertificate.xml was taken on another server
    assert [thumbprint(c) for c in sent] == [thumbprint(c) for c in expected]
    for got, want in zip(sent, expected):
        assert got.PSObject.type_names == want.PSObject.type_names
        assert got.PSObject.to_string == want.PSObject.to_string
        assert bytes(got.RawData) == bytes(want.RawData)
        assert bytes(got.SerializationData) == bytes(want.SerializationData)
        assert {p.name for p in got.PSObject.extended_properties} == {"SerializationData"}


def test_thumbprint_identity_and_server_forms(lab):
    assert texts_thumbs(lab.ok("Get-ExchangeCertificate", SELF_SIGNED)) == [SELF_SIGNED]
    spaced = " ".join(SELF_SIGNED[i:i + 2] for i in range(0, 40, 2))  # as certmgr shows it
    assert texts_thumbs(lab.ok("Get-ExchangeCertificate", Thumbprint=spaced)) == [SELF_SIGNED]
    for identity in (f"{SERVER}\\{SELF_SIGNED}", f"{SERVER}.exlab.dom\\{SELF_SIGNED}", SELF_SIGNED):
        assert texts_thumbs(lab.ok("Get-ExchangeCertificate", Identity=identity)) == [SELF_SIGNED]
    assert len(lab.ok("Get-ExchangeCertificate", Server=f"{SERVER}.exlab.dom")) == 5
    assert len(lab.ok("Get-ExchangeCertificate", DomainName="LOCALHOST")) == 2


def texts_thumbs(objects) -> list[str]:
    return [thumbprint(o) for o in objects]


def test_refusals(lab):
    error = lab.error("Get-ExchangeCertificate", "0000")
    assert error.exception_type == "System.InvalidOperationException"
    assert error.message.startswith(f"A special Rpc error occurs on server {SERVER}: ")
    assert error.error_id.endswith("SystemConfigurationTasks.GetExchangeCertificate")
    assert lab.error("Get-ExchangeCertificate", Server="Solo-E19A").exception_type.endswith(
        "ManagementObjectNotFoundException")
    ambiguous = lab.error("Get-ExchangeCertificate", Identity=SELF_SIGNED, Server=SERVER)
    assert ambiguous.error_id == "AmbiguousParameterSet,Get-ExchangeCertificate"


# ------------------------------------------------------------------ registered certificates
def test_a_registered_certificate_has_the_capture_shape(registered):
    lab, valid, expired = registered
    (cert,) = lab.ok("Get-ExchangeCertificate", valid)
    assert cert.PSObject.type_names == captured(MULTIPLE)[0].PSObject.type_names
    assert [p.name for p in cert.PSObject.adapted_properties] == ["RawData"]
    der = x509.load_der_x509_certificate(bytes(cert.RawData))
    assert der.fingerprint(hashes.SHA1()).hex().upper() == valid == thumbprint(cert)
    assert re.search(r"\[Issuer\]\s+CN=Exchange Lab Issuing CA, O=mailflow.exchange lab\r\n", cert.PSObject.to_string)
    assert certificate_objects.certificate_domains(der) == ["mail.contoso.lab", "smtp.contoso.lab"]
    blob = bytes(cert.SerializationData)
    reference = bytes(captured(MULTIPLE)[0].SerializationData)
    assert blob[:blob.index(b"\x09\x03\x00\x00\x00")] == reference[:reference.index(b"\x09\x03\x00\x00\x00")]
    assert _enum_in(blob, "AllowedServices", 8 | 16) and _enum_in(blob, "CertificateStatus", 1)
    assert f"{SERVER}.exlab.dom\\{valid}".encode() in blob and b"IIS://WIN-CTD3L0RGEN4/W3SVC/1" in blob
    (old,) = lab.ok("Get-ExchangeCertificate", expired)
    assert x509.load_der_x509_certificate(bytes(old.RawData)).not_valid_after_utc < datetime.datetime.now(
        datetime.timezone.utc)
    assert _enum_in(bytes(old.SerializationData), "CertificateStatus", 3)


def _enum_in(blob: bytes, enum: str, value: int) -> bool:
    return f"{enum}\x01\x00\x00\x00\x07value__\x00\x08\x02\x00\x00\x00".encode() + struct.pack("<i", value) in blob


def test_registering_again_returns_the_same_certificate(registered):
    lab, valid, _expired = registered
    generation = relay_view.generation(lab.endpoint)
    assert lab_certificates.add_certificate(lab.endpoint, ["mail.contoso.lab", "smtp.contoso.lab"]) == valid
    assert relay_view.generation(lab.endpoint) == generation
    assert lab.counters() == {"write_calls": 0, "writes": 0}  # lab administration is no cmdlet


def test_a_connector_can_name_a_registered_certificate(registered):
    lab, valid, _expired = registered
    der = x509.load_der_x509_certificate(bytes(lab.ok("Get-ExchangeCertificate", valid)[0].RawData))
    name = f"<I>{x500.format_name(der.issuer)}<S>{x500.format_name(der.subject)}"  # seed 002, option 1
    result = lab.run("Set-ReceiveConnector", f"Client Frontend {SERVER}", TlsCertificateName=name)
    assert not result.errors
    view = next(v for v in relay_view.connectors(lab.endpoint) if v.name == f"Client Frontend {SERVER}")
    assert view.tls_certificate == (ISSUING_CA, "CN=mail.contoso.lab")


def test_a_short_lived_certificate_and_a_reissue_from_the_second_ca(registered):
    """--certificate-days and --reissued-certificate: a renewal whose issuer changed keeps the subject."""
    lab, valid, _expired = registered
    soon = lab_certificates.add_certificate(lab.endpoint, ["soon.contoso.lab"], days=10)
    reissued = lab_certificates.add_certificate(lab.endpoint, ["soon.contoso.lab"], issuer=smtp_pki.REISSUING_CA)
    assert len({soon, reissued, valid}) == 3
    certs = {t: x509.load_der_x509_certificate(bytes(lab.ok("Get-ExchangeCertificate", t)[0].RawData))
             for t in (soon, reissued)}
    left = certs[soon].not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
    assert left.days == 10
    assert certs[soon].subject == certs[reissued].subject
    assert x500.format_name(certs[soon].issuer) == ISSUING_CA
    assert x500.format_name(certs[reissued].issuer) == smtp_pki.REISSUING_CA
    assert (certs[reissued].not_valid_after_utc - certs[soon].not_valid_after_utc).days > 300
    # Asked again, the same ones come back.
    assert lab_certificates.add_certificate(lab.endpoint, ["soon.contoso.lab"], days=10) == soon
    assert lab_certificates.add_certificate(lab.endpoint, ["soon.contoso.lab"], issuer=smtp_pki.REISSUING_CA) == reissued


@pytest.mark.parametrize("text, expected", [("soon.contoso.lab=10", (["soon.contoso.lab"], 10)),
                                            ("a.lab,b.lab=299", (["a.lab", "b.lab"], 299))])
def test_certificate_days_option(text, expected):
    assert cli.certificate_days(text) == expected


@pytest.mark.parametrize("text", ["soon.contoso.lab", "=10", "soon.contoso.lab=0", "soon.contoso.lab=300",
                                  "soon.contoso.lab=ten"])
def test_certificate_days_option_refuses(text):
    with pytest.raises(argparse.ArgumentTypeError):
        cli.certificate_days(text)


# ------------------------------------------------------------------ key material
def test_a_captured_self_signed_certificate_gets_a_servable_substitute(lab):
    org = lab.endpoint
    chain, key = relay_view.tls_material(org, SERVER, f"CN={SERVER}", f"cn={SERVER}")
    (served,) = x509.load_pem_x509_certificates(chain.read_bytes())
    original = certificate_objects.x509_of(next(
        o for o in lab.endpoint.view(lambda ctx: [c.obj for c in ctx.certificates(ctx.local_server)])
        if certificate_objects.thumbprint_of(o) == SELF_SIGNED))
    assert served.subject.public_bytes() == original.subject.public_bytes() and served.issuer == served.subject
    assert served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value == \
        original.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert key.stat().st_mode & 0o077 == 0
    assert relay_view.tls_material(org, SERVER, f"CN={SERVER}", f"CN={SERVER}") == (chain, key)
    assert handshake(chain, key, relay_view.trust_bundle(org), f"{SERVER}.exlab.dom").startswith("TLS")


def test_registered_certificates_are_served_with_their_own_key(registered):
    lab, valid, _expired = registered
    org = lab.endpoint
    chain, key = relay_view.tls_material(org, SERVER, ISSUING_CA, "CN=mail.contoso.lab")
    leaf, issuer = x509.load_pem_x509_certificates(chain.read_bytes())
    assert leaf.fingerprint(hashes.SHA1()).hex().upper() == valid
    assert x500.format_name(issuer.subject) == ISSUING_CA
    assert handshake(chain, key, relay_view.trust_bundle(org), "smtp.contoso.lab").startswith("TLS")
    chain, key = relay_view.tls_material(org, SERVER, ISSUING_CA, "CN=expired.contoso.lab")
    with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
        handshake(chain, key, relay_view.trust_bundle(org), "expired.contoso.lab")


def test_a_ca_issued_certificate_without_key_gets_a_lab_ca_with_the_same_issuer_name(lab):
    org = lab.endpoint
    issuer = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso, Ltd"),
                        x509.NameAttribute(NameOID.COMMON_NAME, "Contoso Issuing CA 1")])
    subjects = ["mail.contoso.com", "relay.contoso.com"]
    org.administer(lambda ctx: (
        [ctx.store.add(certificate_objects.exchange_certificate(
            _foreign(issuer, host), ctx.local_server.fqdn, ["SMTP"], "Valid", "ThirdParty")) for host in subjects],
        True))
    issuer_text = x500.format_name(issuer)
    assert issuer_text == 'CN=Contoso Issuing CA 1, O="Contoso, Ltd", C=DE'
    chains = [relay_view.tls_material(org, SERVER, issuer_text, f"CN={host}")[0] for host in subjects]
    cas = [x509.load_pem_x509_certificates(chain.read_bytes())[1] for chain in chains]
    assert cas[0].subject.public_bytes() == issuer.public_bytes() and cas[0] == cas[1]  # one CA per issuer
    chain, key = relay_view.tls_material(org, SERVER, issuer_text, "CN=mail.contoso.com")
    assert handshake(chain, key, relay_view.trust_bundle(org), "mail.contoso.com").startswith("TLS")


def _foreign(issuer: x509.Name, host: str) -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(issuer).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(key, hashes.SHA256()))


def test_no_material_for_certificates_that_do_not_exist(lab):
    assert relay_view.tls_material(lab.endpoint, SERVER, "CN=Nobody", "CN=Nobody") is None
    assert relay_view.tls_material(lab.endpoint, "NO-SUCH-SERVER", f"CN={SERVER}", f"CN={SERVER}") is None


def test_dotnet_distinguished_names_round_trip():
    text = 'CN=mail.contoso.com, OU=IT, O="Contoso, Ltd", L=Town, S=State, C=DE'
    name = x500.parse_name(text)
    assert x500.format_name(name) == text
    assert name.rdns[0].get_attributes_for_oid(NameOID.COUNTRY_NAME)  # encoded in reverse order
    assert x500.same_name("cn=a,  o=B", "CN=A, O=b") and not x500.same_name("CN=A", "CN=A, O=B")
