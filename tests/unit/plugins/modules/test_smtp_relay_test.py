# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""smtp_relay_test against real SMTP servers (aiosmtpd on 127.0.0.1) with a throwaway CA."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import re
import socket
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult
from ansible.module_utils import _internal as ansible_internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.mailflow.exchange.plugins.modules import smtp_relay_test

RELAY_REFUSAL = "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"
ACCEPTED_DOMAIN = "contoso.com"
USERNAME = "scanner@contoso.com"
PASSWORD = "Tr0ub4dor&3-relay"
PFX_PASSWORD = "pfx-Secret-42"


# --- a throwaway PKI ------------------------------------------------------------------------------------------------

def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, key, issuer, issuer_key, extensions):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2)))
    # Key identifiers as real CAs write them (RFC 5280 4.2.1.1-2): Python 3.13's default TLS context
    # verifies strictly (VERIFY_X509_STRICT) and refuses a certificate without an Authority Key Identifier.
    extensions = list(extensions) + [
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False),
    ]
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _write_pem(path, *objects):
    data = b""
    for item in objects:
        if isinstance(item, x509.Certificate):
            data += item.public_bytes(serialization.Encoding.PEM)
        else:
            data += item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    path.write_bytes(data)
    return str(path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Mailflow Test Root CA")
    ca = _certificate(ca_name, ca_key, ca_name, ca_key,
                      [(x509.BasicConstraints(ca=True, path_length=None), True),
                       (x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                      crl_sign=True, encipher_only=False, decipher_only=False), True)])
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate(_name("localhost"), server_key, ca_name, ca_key, [
        (x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
         False),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
    ])
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _certificate(_name("relay.contoso.com"), client_key, ca_name, ca_key, [
        (x509.SubjectAlternativeName([x509.DNSName("relay.contoso.com")]), False),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
    ])
    pfx = folder / "relay.contoso.com.pfx"
    pfx.write_bytes(pkcs12.serialize_key_and_certificates(
        b"relay", client_key, client, [ca], serialization.BestAvailableEncryption(PFX_PASSWORD.encode())))
    return {
        "ca": _write_pem(folder / "ca.pem", ca),
        "server": _write_pem(folder / "server.pem", server, server_key),
        "client_cert": _write_pem(folder / "client.pem", client),
        "client_key": _write_pem(folder / "client.key", client_key),
        "pfx": str(pfx),
    }


def _server_context(pki):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki["server"])
    context.load_verify_locations(pki["ca"])
    context.verify_mode = ssl.CERT_OPTIONAL  # a client certificate is welcome, not required
    return context


# --- SMTP servers ---------------------------------------------------------------------------------------------------

class Relay:
    """Handler: accepts mail for the accepted domain, and elsewhere only when ``open_relay`` is set.

    Records what the server saw: peers, client certificates, logins, RCPT lines and messages.
    """

    def __init__(self, open_relay=True, offer_dsn=False, data_answer="250 2.6.0 <queued@test> Queued mail for delivery"):
        self.open_relay = open_relay
        self.offer_dsn = offer_dsn
        self.data_answer = data_answer
        self.peers = []
        self.client_subjects = []
        self.logins = []
        self.messages = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # the 5-argument hook takes over this bookkeeping
        if self.offer_dsn:
            responses.insert(-1, "250-DSN")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.peers.append(session.peer[0])
        self.client_subjects.append(_client_subject(server, session))
        if not self.open_relay and not address.lower().endswith("@" + ACCEPTED_DOMAIN):
            return RELAY_REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return self.data_answer

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((mechanism, auth_data.login.decode(), auth_data.password.decode()))
        known = auth_data.login.decode() == USERNAME and auth_data.password.decode() == PASSWORD
        return AuthResult(success=known, handled=False)  # not handled: aiosmtpd answers 535 itself


def _client_subject(server, session):
    extra = session.ssl or {}
    tls = extra.get("ssl_object") or server.transport.get_extra_info("ssl_object")
    certificate = tls.getpeercert() if tls else None
    if not certificate:
        return None
    return dict(part[0] for part in certificate["subject"])["commonName"]


class RecordingSMTP(SMTP):
    """aiosmtpd takes no RCPT parameters (555); note them, then let it see the bare command."""

    rcpt_lines = None

    async def smtp_RCPT(self, arg):
        self.rcpt_lines.append(arg)
        await super().smtp_RCPT(re.sub(r"\s+NOTIFY=\S+", "", arg or "", flags=re.I) if arg else arg)


def rcpt_arguments(server):
    """The RCPT arguments the server got, "TO:" in one case: RFC 5321 2.4 makes "TO:" and "to:" the same,
    and Python's smtplib writes it in either case depending on the release."""
    return [re.sub(r"^to:", "TO:", line, flags=re.I) for line in server.rcpt_lines]


class LabServer(Controller):
    """A Controller on a free port of 127.0.0.1 that counts the connections after start."""

    def __init__(self, handler, **kwargs):
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)
        self.connections = 0
        self.rcpt_lines = []

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    def factory(self):
        self.connections += 1
        smtp = RecordingSMTP(self.handler, **self.SMTP_kwargs)
        smtp.rcpt_lines = self.rcpt_lines
        return smtp

    def start(self):
        super().start()
        self.connections = 0  # forget the trigger connection Controller.start makes


@pytest.fixture
def serve():
    servers = []

    def start(handler, **kwargs):
        server = LabServer(handler, **kwargs)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# --- running the module ---------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def module_process(monkeypatch):
    """What a module's own process has: no controller code loaded, no warnings yet.

    Importing controller code (a filter test does) flips is_controller, and module.warn
    then goes to the controller's display instead of the result; AnsibleModule keeps
    warnings in a process-wide dict.
    """
    monkeypatch.setattr(ansible_internal, "is_controller", False)
    monkeypatch.setattr(ansible_warnings, "_global_warnings", {})
    monkeypatch.setattr(ansible_warnings, "_global_deprecations", {})


def run_module(capsys, **args):
    """Run the module as Ansible would, and return its JSON result."""
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            smtp_relay_test.main()
    return json.loads(capsys.readouterr().out)


def warnings_of(result):
    """Warning texts; ansible-core 2.19 reports each as a summary object with the text in event.msg."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def _base(server, **args):
    values = dict(host="127.0.0.1", port=server.port, tls="none", helo="printer01.contoso.com",
                  mail_from="printer01@contoso.com", rcpt_to=["helpdesk@contoso.com"], timeout=10)
    values.update(args)
    return values


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- tests ----------------------------------------------------------------------------------------------------------

def test_plain_relay_accepts_and_reports_the_session(serve, capsys):
    relay = Relay()
    server = serve(relay)
    result = run_module(capsys, **_base(server, subject="relay check"))
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert result["accepted"] is True
    assert result["stage"] == "quit"
    assert (result["code"], result["enhanced_code"]) == (250, "2.6.0")
    assert result["recipients"] == [{"address": "helpdesk@contoso.com", "accepted": True, "code": 250,
                                     "enhanced_code": "2.1.5", "reply": "2.1.5 Recipient OK"}]
    assert "tls" not in result
    assert "8BITMIME" in result["ehlo_features"]
    assert "C: ehlo printer01.contoso.com" in result["transcript"]
    # The server got exactly the message the module describes.
    assert len(relay.messages) == 1
    envelope = relay.messages[0]
    assert envelope.mail_from == "printer01@contoso.com"
    assert envelope.rcpt_tos == ["helpdesk@contoso.com"]
    assert ("Message-ID: %s" % result["message_id"]).encode() in envelope.original_content
    assert b"Subject: relay check" in envelope.original_content


def test_relay_refusal_is_the_expected_rejection(serve, capsys):
    relay = Relay(open_relay=False)
    server = serve(relay)
    result = run_module(capsys, **_base(server, rcpt_to=["someone@fabrikam.com"], expect="rejected",
                                        expect_code=550, expect_enhanced_code="5.7.54"))
    assert not result.get("failed"), result.get("msg")
    assert result["accepted"] is False
    assert result["stage"] == "rcpt"
    assert result["code"] == 550
    assert result["enhanced_code"] == "5.7.54"
    assert result["reply"] == "5.7.54 SMTP; Unable to relay recipient in non-accepted domain"
    assert relay.messages == []


def test_relay_refusal_fails_a_task_expecting_acceptance(serve, capsys):
    relay = Relay(open_relay=False)
    server = serve(relay)
    result = run_module(capsys, **_base(server, rcpt_to=["someone@fabrikam.com"]))
    assert result["failed"] is True
    assert "expected the relay to accept the message" in result["msg"]
    assert "rcpt for someone@fabrikam.com" in result["msg"]
    assert "550 5.7.54 SMTP; Unable to relay" in result["msg"]
    assert result["stage"] == "rcpt"


def test_acceptance_fails_a_task_expecting_a_refusal(serve, capsys):
    server = serve(Relay())
    result = run_module(capsys, **_base(server, rcpt_to=["someone@fabrikam.com"], expect="rejected"))
    assert result["failed"] is True
    assert "expected the relay to refuse the message, but the server accepted it (250" in result["msg"]


def test_wrong_enhanced_code_fails_even_when_refused(serve, capsys):
    server = serve(Relay(open_relay=False))
    result = run_module(capsys, **_base(server, rcpt_to=["someone@fabrikam.com"], expect="rejected",
                                        expect_enhanced_code="5.7.64"))
    assert result["failed"] is True
    assert "expected enhanced status code 5.7.64, got 5.7.54" in result["msg"]


def test_one_refused_recipient_means_the_message_goes_to_none(serve, capsys):
    relay = Relay(open_relay=False)
    server = serve(relay)
    result = run_module(capsys, **_base(server, rcpt_to=["helpdesk@contoso.com", "someone@fabrikam.com"],
                                        expect="any"))
    assert not result.get("failed"), result.get("msg")
    assert [(r["address"], r["accepted"], r["code"]) for r in result["recipients"]] == [
        ("helpdesk@contoso.com", True, 250), ("someone@fabrikam.com", False, 550)]
    assert result["accepted"] is False
    assert relay.messages == []
    assert not any(line.lower().startswith("c: data") for line in result["transcript"])


def test_refusal_of_the_content_ends_at_data(serve, capsys):
    server = serve(Relay(data_answer="554 5.6.0 Message content rejected"))
    result = run_module(capsys, **_base(server, expect="rejected", expect_code=554))
    assert not result.get("failed"), result.get("msg")
    assert (result["stage"], result["enhanced_code"]) == ("data", "5.6.0")
    assert result["recipients"][0]["accepted"] is True


def test_starttls_with_the_lab_ca(serve, capsys, pki):
    relay = Relay()
    server = serve(relay, tls_context=_server_context(pki))
    result = run_module(capsys, **_base(server, host="localhost", tls="starttls", ca_path=pki["ca"]))
    assert not result.get("failed"), result.get("msg")
    assert result["accepted"] is True
    assert result["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert result["tls"]["cipher"]
    certificate = result["tls"]["peer_certificate"]
    assert certificate["subject"] == "CN=localhost"
    assert certificate["issuer"] == "CN=Mailflow Test Root CA"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", certificate["not_after"])
    assert "STARTTLS" in result["ehlo_features_before_tls"]
    assert "STARTTLS" not in result["ehlo_features"]
    assert "C: STARTTLS" in result["transcript"]
    assert len(relay.messages) == 1


def test_starttls_without_the_ca_fails_naming_ca_path(serve, capsys, pki):
    relay = Relay()
    server = serve(relay, tls_context=_server_context(pki))
    result = run_module(capsys, **_base(server, host="localhost", tls="starttls", expect="any"))
    assert result["failed"] is True
    assert result["stage"] == "starttls"
    assert "not trusted" in result["msg"] and "ca_path" in result["msg"]
    assert relay.messages == []


def test_starttls_without_validation_warns_and_still_reports_the_certificate(serve, capsys, pki):
    server = serve(Relay(), tls_context=_server_context(pki))
    result = run_module(capsys, **_base(server, tls="starttls", validate_certs=False))
    assert not result.get("failed"), result.get("msg")
    assert result["tls"]["peer_certificate"]["subject"] == "CN=localhost"
    assert any("validate_certs=false" in warning for warning in warnings_of(result))


def test_starttls_not_offered_is_a_refusal_at_starttls(serve, capsys):
    server = serve(Relay())
    result = run_module(capsys, **_base(server, tls="starttls"))
    assert result["failed"] is True
    assert result["stage"] == "starttls"
    assert result["code"] is None
    assert "does not offer STARTTLS" in result["msg"]


def test_implicit_tls(serve, capsys, pki):
    relay = Relay()
    server = serve(relay, ssl_context=_server_context(pki))
    result = run_module(capsys, **_base(server, host="localhost", tls="implicit", ca_path=pki["ca"]))
    assert not result.get("failed"), result.get("msg")
    assert result["accepted"] is True
    assert result["tls"]["peer_certificate"]["subject"] == "CN=localhost"
    assert result["transcript"][1].startswith("* TLS ")


def test_implicit_tls_on_a_plain_port_names_the_fix(serve, capsys):
    server = serve(Relay())
    result = run_module(capsys, **_base(server, tls="implicit", expect="any"))
    assert result["failed"] is True
    assert result["stage"] == "connect"
    assert "may not speak implicit TLS; use tls=starttls" in result["msg"]


@pytest.mark.parametrize("offered, mechanism", [(None, "PLAIN"), (["PLAIN"], "LOGIN")])
def test_auth_after_starttls_masks_the_credentials(serve, capsys, pki, offered, mechanism):
    relay = Relay()
    server = serve(relay, tls_context=_server_context(pki), authenticator=relay.authenticate, auth_required=True,
                   auth_exclude_mechanism=offered)
    result = run_module(capsys, **_base(server, host="localhost", tls="starttls", ca_path=pki["ca"],
                                        username=USERNAME, password=PASSWORD))
    assert not result.get("failed"), result.get("msg")
    assert result["accepted"] is True
    assert relay.logins == [(mechanism, USERNAME, PASSWORD)]
    assert not any(line.startswith("AUTH") for line in result["ehlo_features_before_tls"])
    assert "AUTH LOGIN PLAIN" in result["ehlo_features"] or "AUTH LOGIN" in result["ehlo_features"]
    transcript = "\n".join(result["transcript"])
    assert "C: AUTH %s ********" % mechanism in transcript
    secrets = [PASSWORD, USERNAME]
    secrets += [base64.b64encode(s.encode()).decode() for s in (PASSWORD, USERNAME)]
    secrets.append(base64.b64encode(("\0%s\0%s" % (USERNAME, PASSWORD)).encode()).decode())
    for secret in secrets:
        assert secret not in transcript


def test_wrong_password_is_one_refused_attempt(serve, capsys, pki):
    relay = Relay()
    server = serve(relay, tls_context=_server_context(pki), authenticator=relay.authenticate, auth_required=True)
    result = run_module(capsys, **_base(server, host="localhost", tls="starttls", ca_path=pki["ca"],
                                        username=USERNAME, password="wrong", expect="rejected", expect_code=535))
    assert not result.get("failed"), result.get("msg")
    assert result["stage"] == "auth"
    assert len(relay.logins) == 1


def test_auth_without_tls_is_refused_before_connecting(serve, capsys):
    relay = Relay()
    server = serve(relay, authenticator=relay.authenticate, auth_require_tls=False)
    result = run_module(capsys, **_base(server, username=USERNAME, password=PASSWORD))
    assert result["failed"] is True
    assert "allow_auth_without_tls" in result["msg"]
    assert server.connections == 0


def test_allow_auth_without_tls_alone_sends_no_password(serve, capsys):
    # A server that offers AUTH on the plain session (a misconfigured connector, or AUTH injected on the path)
    # must not get the password because of one lab switch.
    relay = Relay()
    server = serve(relay, authenticator=relay.authenticate, auth_require_tls=False)
    result = run_module(capsys, **_base(server, username=USERNAME, password=PASSWORD, allow_auth_without_tls=True))
    assert result["failed"] is True
    assert "send_password_in_clear_text" in result["msg"]
    assert PASSWORD not in result["msg"]
    assert server.connections == 0
    assert relay.logins == []


def test_auth_without_tls_when_allowed_twice_warns(serve, capsys):
    relay = Relay()
    server = serve(relay, authenticator=relay.authenticate, auth_require_tls=False)
    result = run_module(capsys, **_base(server, username=USERNAME, password=PASSWORD, allow_auth_without_tls=True,
                                        send_password_in_clear_text=True))
    assert not result.get("failed"), result.get("msg")
    assert relay.logins == [("PLAIN", USERNAME, PASSWORD)]
    assert any("clear text" in warning and USERNAME in warning for warning in warnings_of(result))


def test_no_username_sends_no_auth_and_reports_plain_features(serve, capsys):
    # The negative proof's shape: no credential, AUTH offered or not is read from the EHLO features.
    relay = Relay()
    server = serve(relay, authenticator=relay.authenticate, auth_require_tls=False)
    result = run_module(capsys, **_base(server, expect="any"))
    assert not result.get("failed"), result.get("msg")
    assert any(feature.startswith("AUTH") for feature in result["ehlo_features"])
    assert relay.logins == []


@pytest.mark.parametrize("form", ["pfx", "pem"])
def test_client_certificate_is_seen_by_the_server(serve, capsys, pki, form):
    relay = Relay()
    server = serve(relay, tls_context=_server_context(pki))
    if form == "pfx":
        certificate = dict(client_pfx=pki["pfx"], client_pfx_password=PFX_PASSWORD)
    else:
        certificate = dict(client_cert=pki["client_cert"], client_key=pki["client_key"])
    result = run_module(capsys, **_base(server, host="localhost", tls="starttls", ca_path=pki["ca"],
                                        **certificate))
    assert not result.get("failed"), result.get("msg")
    assert relay.client_subjects == ["relay.contoso.com"]


def test_pfx_with_a_wrong_password_names_the_option(serve, capsys, pki):
    server = serve(Relay(), tls_context=_server_context(pki))
    result = run_module(capsys, **_base(server, host="localhost", tls="starttls", ca_path=pki["ca"],
                                        client_pfx=pki["pfx"], client_pfx_password="not-it"))
    assert result["failed"] is True
    assert "client_pfx_password" in result["msg"]
    assert server.connections == 0


def test_pfx_temporary_file_is_removed(serve, capsys, pki, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # make tempfile read TMPDIR again
    server = serve(Relay(), tls_context=_server_context(pki))
    result = run_module(capsys, **_base(server, host="localhost", tls="starttls", ca_path=pki["ca"],
                                        client_pfx=pki["pfx"], client_pfx_password=PFX_PASSWORD))
    assert not result.get("failed"), result.get("msg")
    assert list(tmp_path.iterdir()) == []


def test_source_address_is_the_peer_the_server_sees(serve, capsys):
    relay = Relay()
    server = serve(relay)
    result = run_module(capsys, **_base(server, source_address="127.0.0.77"))
    assert not result.get("failed"), result.get("msg")
    assert relay.peers == ["127.0.0.77"]
    assert "from 127.0.0.77 port" in result["transcript"][0]


def test_dsn_notify_is_sent_when_offered(serve, capsys):
    server = serve(Relay(offer_dsn=True))
    result = run_module(capsys, **_base(server, dsn_notify=["SUCCESS", "FAILURE"]))
    assert not result.get("failed"), result.get("msg")
    assert rcpt_arguments(server) == ["TO:<helpdesk@contoso.com> NOTIFY=SUCCESS,FAILURE"]
    assert warnings_of(result) == []


def test_dsn_notify_is_left_out_with_a_warning_when_not_offered(serve, capsys):
    server = serve(Relay())
    result = run_module(capsys, **_base(server, dsn_notify=["SUCCESS", "FAILURE"]))
    assert not result.get("failed"), result.get("msg")
    assert rcpt_arguments(server) == ["TO:<helpdesk@contoso.com>"]
    assert any("DSN" in warning for warning in warnings_of(result))


def test_check_mode_sends_nothing(serve, capsys):
    relay = Relay()
    server = serve(relay)
    result = run_module(capsys, _ansible_check_mode=True, **_base(server))
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert result["would_send"]["rcpt_to"] == ["helpdesk@contoso.com"]
    assert "Message-ID: %s" % result["message_id"] in result["would_send"]["message"]
    assert server.connections == 0
    assert relay.messages == []


def test_connection_refused_names_host_and_port(capsys):
    port = _free_port()
    result = run_module(capsys, host="127.0.0.1", port=port, tls="none", mail_from="a@contoso.com",
                        rcpt_to=["b@contoso.com"], helo="printer01.contoso.com", expect="any")
    assert result["failed"] is True
    assert result["stage"] == "connect"
    assert "127.0.0.1 port %d refused the connection" % port in result["msg"]
    assert "port" in result["msg"]


@pytest.mark.parametrize("args, fragment", [
    (dict(expect="accepted", expect_code=550), "expect=accepted with expect_code 550"),
    (dict(expect_enhanced_code="5.7"), "not an RFC 3463 code"),
    (dict(tls="none", client_cert="/nonexistent.pem"), "needs tls=starttls or tls=implicit"),
    (dict(dsn_notify=["NEVER", "FAILURE"]), "NEVER cannot be combined"),
    # Line breaks and angle brackets would end the SMTP command early: command injection.
    (dict(mail_from="a@contoso.com>\r\nRCPT TO:<victim@example.com"), "mail_from:"),
    (dict(rcpt_to=["b@contoso.com", "not-an-address"]), "rcpt_to: 'not-an-address' is not a mailbox"),
    (dict(helo="printer\r\nQUIT"), "helo:"),
    (dict(source_address="10.1.2.300"), "source_address: '10.1.2.300' is not an IP address"),
])
def test_impossible_options_fail_before_connecting(serve, capsys, args, fragment):
    server = serve(Relay())
    result = run_module(capsys, **_base(server, **args))
    assert result["failed"] is True
    assert fragment in result["msg"]
    assert server.connections == 0


@pytest.mark.parametrize("name, verified", [("localhost", True), ("relay.wrong.example", False)])
def test_tls_server_name_is_the_name_checked_in_the_certificate(serve, capsys, pki, name, verified):
    server = serve(Relay(), tls_context=_server_context(pki))
    result = run_module(capsys, **_base(server, host="127.0.0.1", tls="starttls", ca_path=pki["ca"],
                                        tls_server_name=name, expect="any"))
    assert bool(result.get("failed")) is not verified, result.get("msg")
    if not verified:
        assert result["stage"] == "starttls"
        assert "does not name relay.wrong.example" in result["msg"] and "tls_server_name" in result["msg"]


def test_the_null_sender_and_address_literals_stay_allowed(serve, capsys):
    server = serve(Relay())
    result = run_module(capsys, **_base(server, mail_from="", helo="[127.0.0.1]"))
    assert not result.get("failed"), result.get("msg")
