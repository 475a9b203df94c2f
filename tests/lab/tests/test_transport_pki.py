"""The lab CA and its server certificates."""
import ipaddress
import os
import ssl
import stat

from cryptography import x509

from exchange_lab import pki


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_server_certificate_is_trusted_through_the_lab_ca(tmp_path):
    authority = pki.LabPKI(tmp_path / "pki")
    files = authority.server_certificate()

    cert = x509.load_pem_x509_certificate(files.cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    cert.verify_directly_issued_by(authority.ca_certificate)
    assert _mode(files.key_path) == 0o600 and _mode(authority.ca_key_path) == 0o600

    # A TLS client trusting only ca.pem accepts the server's certificate for 127.0.0.1.
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(files.cert_path, files.key_path)
    client_ctx = ssl.create_default_context(cafile=str(authority.ca_cert_path))
    client_in, server_in = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_out, server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_ctx.wrap_bio(client_in, client_out, server_hostname="127.0.0.1")
    server = server_ctx.wrap_bio(server_in, server_out, server_side=True)
    for _ in range(10):  # pump the handshake between the two memory pipes
        for endpoint, outgoing, peer_incoming in ((client, client_out, server_in), (server, server_out, client_in)):
            try:
                endpoint.do_handshake()
            except ssl.SSLWantReadError:
                pass
            peer_incoming.write(outgoing.read())
    assert client.getpeercert()["subject"]


def test_files_are_reused_and_reissued_for_new_names(tmp_path):
    first = pki.LabPKI(tmp_path / "pki")
    files = first.server_certificate()
    ca_pem, cert_pem = first.ca_cert_path.read_bytes(), files.cert_path.read_bytes()

    again = pki.LabPKI(tmp_path / "pki")
    assert again.ca_cert_path.read_bytes() == ca_pem
    assert again.server_certificate().cert_path.read_bytes() == cert_pem

    wider = again.server_certificate(dns_names=["localhost", "relay.lab.test"])
    cert = x509.load_pem_x509_certificate(wider.cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "relay.lab.test" in names.get_values_for_type(x509.DNSName)
    assert wider.cert_path.read_bytes() != cert_pem


def test_mint_a_certificate_under_another_name(tmp_path):
    authority = pki.LabPKI(tmp_path / "pki")
    files = authority.issue_server_certificate("smtp", ["mail.lab.test"])
    assert files.cert_path.name == "smtp.pem" and _mode(files.key_path) == 0o600
    cert = x509.load_pem_x509_certificate(files.cert_path.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=mail.lab.test"
