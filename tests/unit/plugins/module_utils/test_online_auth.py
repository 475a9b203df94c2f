# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loading the app's certificate credential (PEM or PFX) and explaining Entra ID refusals."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.mailflow.exchange.plugins.module_utils._online import auth as online_auth
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeConnectionError

NOW = datetime.now(timezone.utc)
PFX_PASSWORD = "s3cret-Pfx!"


def _certificate(key, days=365, name="mailflow-exo-app"):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=days))
            .sign(key, hashes.SHA256()))


def _pem_key(key, encryption=None):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             encryption or serialization.NoEncryption())


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def app_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def app_cert(app_key):
    return _certificate(app_key)


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _sha1_hex(cert):
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


def _loads_key_of(credential, key):
    loaded = serialization.load_pem_private_key(credential.client_credential["private_key"].encode(), None)
    return loaded.private_numbers() == key.private_numbers()


def test_pem_pair_gives_key_and_sha1_thumbprint(tmp_path, app_key, app_cert):
    params = {"certificate": _write(tmp_path, "app.crt", _pem_cert(app_cert)),
              "private_key": _write(tmp_path, "app.key", _pem_key(app_key))}
    credential = online_auth.load_credential(params)
    assert credential.client_credential["thumbprint"] == _sha1_hex(app_cert)
    assert credential.thumbprint == _sha1_hex(app_cert)
    assert _loads_key_of(credential, app_key)


def test_key_may_sit_in_the_certificate_file_after_a_chain(tmp_path, app_key, app_cert, other_key):
    ca_cert = _certificate(other_key, name="Some CA")
    combined = _pem_cert(ca_cert) + _pem_key(app_key) + _pem_cert(app_cert)
    credential = online_auth.load_credential({"certificate": _write(tmp_path, "all.pem", combined)})
    assert credential.thumbprint == _sha1_hex(app_cert)
    assert _loads_key_of(credential, app_key)


def test_pfx_with_password(tmp_path, app_key, app_cert):
    data = pkcs12.serialize_key_and_certificates(
        b"app", app_key, app_cert, None, serialization.BestAvailableEncryption(PFX_PASSWORD.encode()))
    credential = online_auth.load_credential({"pfx": _write(tmp_path, "app.pfx", data),
                                              "pfx_password": PFX_PASSWORD})
    assert credential.thumbprint == _sha1_hex(app_cert)
    assert _loads_key_of(credential, app_key)


def test_pfx_may_be_base64_text_as_awx_writes_it(tmp_path, app_key, app_cert):
    data = pkcs12.serialize_key_and_certificates(
        b"app", app_key, app_cert, None, serialization.BestAvailableEncryption(PFX_PASSWORD.encode()))
    text = base64.encodebytes(data)  # wrapped lines, as a pasted base64 blob often is
    credential = online_auth.load_credential({"pfx": _write(tmp_path, "app.pfx.b64", text),
                                              "pfx_password": PFX_PASSWORD})
    assert credential.thumbprint == _sha1_hex(app_cert)


def test_text_that_is_not_a_pfx_is_refused(tmp_path):
    with pytest.raises(online_auth.CredentialError) as caught:
        online_auth.load_credential({"pfx": _write(tmp_path, "notes.txt", b"not a PFX at all\n"),
                                     "pfx_password": PFX_PASSWORD})
    assert caught.value.option == "pfx_password"


def test_pfx_wrong_password_names_the_option_not_the_value(tmp_path, app_key, app_cert):
    data = pkcs12.serialize_key_and_certificates(
        b"app", app_key, app_cert, None, serialization.BestAvailableEncryption(PFX_PASSWORD.encode()))
    path = _write(tmp_path, "app.pfx", data)
    with pytest.raises(online_auth.CredentialError) as caught:
        online_auth.load_credential({"pfx": path, "pfx_password": "wrong-guess-123"})
    assert caught.value.option == "pfx_password"
    assert "wrong pfx_password" in str(caught.value)
    assert "wrong-guess-123" not in str(caught.value)


def test_pfx_without_key_is_refused(tmp_path, app_cert):
    data = pkcs12.serialize_key_and_certificates(b"app", None, app_cert, None, serialization.NoEncryption())
    with pytest.raises(online_auth.CredentialError, match="private key") as caught:
        online_auth.load_credential({"pfx": _write(tmp_path, "cert-only.pfx", data)})
    assert caught.value.option == "pfx"


def test_key_of_another_certificate_is_refused(tmp_path, app_cert, other_key):
    params = {"certificate": _write(tmp_path, "app.crt", _pem_cert(app_cert)),
              "private_key": _write(tmp_path, "other.key", _pem_key(other_key))}
    with pytest.raises(online_auth.CredentialError, match="does not belong") as caught:
        online_auth.load_credential(params)
    assert caught.value.option == "private_key"


def test_certificate_without_key_asks_for_private_key(tmp_path, app_cert):
    with pytest.raises(online_auth.CredentialError, match="private_key") as caught:
        online_auth.load_credential({"certificate": _write(tmp_path, "app.crt", _pem_cert(app_cert))})
    assert caught.value.option == "certificate"


def test_encrypted_pem_key_is_refused_with_a_way_out(tmp_path, app_key, app_cert):
    encrypted = _pem_key(app_key, serialization.BestAvailableEncryption(b"pw"))
    params = {"certificate": _write(tmp_path, "app.crt", _pem_cert(app_cert)),
              "private_key": _write(tmp_path, "app.key", encrypted)}
    with pytest.raises(online_auth.CredentialError, match="encrypted.*pfx_password"):
        online_auth.load_credential(params)


def test_missing_file_names_option_and_path(tmp_path):
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(online_auth.CredentialError, match="cannot read .*nope.pem") as caught:
        online_auth.load_credential({"certificate": missing})
    assert caught.value.option == "certificate"
    assert isinstance(caught.value, ExchangeConnectionError)


def test_not_pem_is_refused(tmp_path, app_cert):
    der = app_cert.public_bytes(serialization.Encoding.DER)
    with pytest.raises(online_auth.CredentialError, match="not a PEM file"):
        online_auth.load_credential({"certificate": _write(tmp_path, "app.der", der)})


def test_expired_certificate_is_refused_before_any_request(tmp_path, app_key, app_cert):
    params = {"certificate": _write(tmp_path, "app.crt", _pem_cert(app_cert)),
              "private_key": _write(tmp_path, "app.key", _pem_key(app_key))}
    with pytest.raises(online_auth.CredentialError, match="expired"):
        online_auth.load_credential(params, now=NOW + timedelta(days=400))


def test_non_rsa_key_is_refused(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    combined = _pem_cert(_certificate(key)) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(online_auth.CredentialError, match="RSA"):
        online_auth.load_credential({"certificate": _write(tmp_path, "ec.pem", combined)})


def test_client_secret_is_passed_as_is():
    credential = online_auth.load_credential({"client_secret": "abc~secret"})
    assert credential.client_credential == "abc~secret"
    assert credential.thumbprint is None


@pytest.mark.parametrize("code, fragment", [
    (700016, "check client_id"),
    (700027, "upload it (thumbprint ABC123)"),
    (7000215, "check client_secret"),
    (90002, "check tenant"),
])
def test_token_errors_lead_with_what_to_fix(code, fragment):
    result = {"error": "invalid_client", "error_codes": [code],
              "error_description": "AADSTS%d: Something went wrong.\r\nTrace ID: 1\r\nCorrelation ID: 2" % code}
    err = online_auth.token_error(result, "11111111-2222-3333-4444-555555555555", "ABC123")
    assert isinstance(err, ExchangeConnectionError)
    assert fragment in str(err)
    assert "AADSTS%d: Something went wrong." % code in str(err)
    assert "Trace ID" not in str(err)


def test_token_error_code_found_in_description_when_codes_missing():
    err = online_auth.token_error({"error": "unauthorized_client",
                                   "error_description": "AADSTS700016: Application not found."}, "cid")
    assert "check client_id" in str(err)


def test_unknown_token_error_keeps_entra_text():
    err = online_auth.token_error({"error": "invalid_request", "error_description": "AADSTS1: odd"}, "cid")
    assert str(err) == "Entra ID refused a token for client_id cid: AADSTS1: odd"


@pytest.mark.parametrize("validate_certs, ca_path, verify, trust_env", [
    (True, None, True, True),
    (True, "/etc/lab-ca.pem", "/etc/lab-ca.pem", False),
    (False, "/etc/lab-ca.pem", False, False),
])
def test_session_lets_ca_path_win_over_the_environment(validate_certs, ca_path, verify, trust_env):
    session = online_auth.http_session(validate_certs, ca_path, 5)
    assert session.verify == verify
    assert session.trust_env is trust_env
