"""The SMTP listeners against a fake relay_view: real sockets, real smtplib clients.

Clients bind a source in 127.0.0.0/8: 127.a.b.c plays the device 10.a.b.c.
"""
import base64
import email
import email.policy
import email.utils
import json
import re
import smtplib
import ssl
import time
from pathlib import Path

import pytest
from cryptography import x509

from exchange_lab.smtp import SmtpLab
from exchange_lab.transport.credentials import load_or_create
from smtp_fakes import SERVER, FakeRelayView, connector

EXTERNAL = "someone@external.example"
INTERNAL = "user@lab.test"
TIMEOUT = 5.0


def wait_for(predicate, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


class Rig:
    """A fake Exchange model, the SMTP layer on it, and helpers to talk to it."""

    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.view = FakeRelayView()
        self.changes: list[dict] = []
        self.lab = None

    def start(self):
        self.lab = SmtpLab(self.view, org=None, state_dir=self.state_dir, on_change=self.changes.append,
                           poll_interval=0.05).start()
        return self

    def endpoint(self, name: str, server: str = SERVER):
        matches = [e for e in self.lab.info()["smtp"] if e["connector"] == name and e["server"] == server]
        assert len(matches) == 1, self.lab.info()["smtp"]
        return matches[0]["host"], matches[0]["port"]

    def client(self, name: str, source: str = "127.1.2.3") -> smtplib.SMTP:
        host, port = self.endpoint(name)
        return smtplib.SMTP(host, port, source_address=(source, 0), timeout=TIMEOUT)

    def deliveries(self) -> list[dict]:
        journal = Path(self.lab.info()["mailboxes"]) / "deliveries.jsonl"
        if not journal.exists():
            return []
        return [json.loads(line) for line in journal.read_text().splitlines()]

    def auth_attempts(self) -> list[dict]:
        journal = Path(self.lab.info()["mailboxes"]) / "auth_attempts.jsonl"
        if not journal.exists():
            return []
        return [json.loads(line) for line in journal.read_text().splitlines()]

    def password(self) -> str:
        return load_or_create(self.state_dir).password

    def tls_client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.state_dir / "pki" / "ca.pem"))
        context.check_hostname = False  # the client dials 127.0.0.1; the chain is still verified
        return context


@pytest.fixture
def rig(tmp_path):
    rig = Rig(tmp_path)
    rig.view.add(connector("Default Frontend MAIL1"))
    try:
        yield rig
    finally:
        if rig.lab is not None:
            rig.lab.stop()


def message(subject="test", body="hello\r\n", message_id=None) -> str:
    lines = ["From: device@lab.test", f"To: {EXTERNAL}", f"Subject: {subject}"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def parse(path: str) -> email.message.EmailMessage:
    return email.message_from_bytes(Path(path).read_bytes(), policy=email.policy.default)


def add_relay(rig, name="Anonymous Relay MAIL1", device="10.1.2.3", bindings=("0.0.0.0:25",)):
    relay = connector(name, bindings=bindings, ranges=(device,))
    rig.view.add(relay)
    # What Add-ADPermission -User 'NT AUTHORITY\Anonymous Logon' -ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient does.
    rig.view.grant(relay.identity, None, "ms-exch-smtp-accept-any-recipient")
    return relay


def add_client_frontend(rig, dns_name="mail.lab.test", **changes):
    names = rig.view.mint_certificate(rig.state_dir / "pki", dns_name)
    options = dict(bindings=("0.0.0.0:587", "[::]:587"), groups=("ExchangeUsers",),
                   auth=("Tls", "BasicAuth", "BasicAuthRequireTLS", "Integrated"), tls_certificate=names)
    options.update(changes)
    rig.view.add(connector("Client Frontend MAIL1", **options))
    return names


# -- relay ------------------------------------------------------------------------------------------
def test_listed_device_relays_to_an_external_domain(rig):
    add_relay(rig)
    rig.start()
    with rig.client("Anonymous Relay MAIL1", source="127.1.2.3") as client:
        assert client.sendmail("device@lab.test", [EXTERNAL], message()) == {}
    [delivery] = rig.deliveries()
    assert delivery["connector"] == "Anonymous Relay MAIL1"
    assert delivery["source"] == "10.1.2.3"
    assert delivery["rcpt"] == EXTERNAL
    assert delivery["tls"] is None and delivery["auth_user"] is None
    assert parse(delivery["file"])["Subject"] == "test"
    assert Path(delivery["file"]).parent.name == EXTERNAL


def test_unlisted_source_is_refused_relay(rig):
    add_relay(rig)
    rig.start()
    # Same port; 10.1.2.4 is not in the relay connector's ranges, so Default Frontend takes it.
    with rig.client("Anonymous Relay MAIL1", source="127.1.2.4") as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("device@lab.test", [EXTERNAL], message())
    assert refused.value.recipients[EXTERNAL] == (550, b"5.7.54 SMTP; Unable to relay recipient in non-accepted domain")
    assert rig.deliveries() == []


def test_accepted_domain_recipient_is_accepted_anonymously(rig):
    rig.start()
    with rig.client("Default Frontend MAIL1", source="127.9.9.9") as client:
        assert client.sendmail("someone@internet.example", [INTERNAL, "Other@LAB.TEST"], message()) == {}
    deliveries = rig.deliveries()
    assert [d["rcpt"] for d in deliveries] == [INTERNAL, "Other@LAB.TEST"]
    assert {d["connector"] for d in deliveries} == {"Default Frontend MAIL1"}
    assert {d["source"] for d in deliveries} == {"10.9.9.9"}
    assert deliveries[0]["file"] != deliveries[1]["file"]  # one file per recipient


def test_wildcard_accepted_domain_covers_subdomains(rig):
    rig.view.domains.append(("*.corp.example", "InternalRelay"))
    rig.start()
    with rig.client("Default Frontend MAIL1") as client:
        client.ehlo()
        client.mail("a@internet.example")
        assert client.rcpt("x@eu.corp.example")[0] == 250
        assert client.rcpt("x@corp.example")[0] == 550


def test_anonymous_session_without_submit_right_is_refused(rig):
    add_client_frontend(rig)
    rig.start()
    with rig.client("Client Frontend MAIL1") as client:
        client.ehlo()
        assert client.mail("device@lab.test") == (530, b"5.7.1 Client was not authenticated")


def test_no_connector_for_the_source_closes_the_connection(rig):
    rig.view.change("Default Frontend MAIL1", remote_ranges=add_relay(rig).remote_ranges)
    rig.start()
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        rig.client("Anonymous Relay MAIL1", source="127.200.0.1")
    assert refused.value.smtp_code == 421


# -- greeting ---------------------------------------------------------------------------------------
def test_default_banner_and_ehlo_features(rig):
    rig.start()
    with rig.client("Default Frontend MAIL1", source="127.4.5.6") as client:
        code, ehlo = client.ehlo("printer.lab.test")
    assert code == 250
    assert ehlo.decode().splitlines()[0] == "mail1.lab.test Hello [10.4.5.6]"
    assert client.esmtp_features["size"] == str(36 * 1024 * 1024)
    assert "starttls" not in client.esmtp_features  # Tls, but no TlsCertificateName with key material
    assert "auth" not in client.esmtp_features       # no BasicAuth on this connector


def test_banner(rig):
    rig.view.add(connector("Custom", bindings=("0.0.0.0:2525",), banner="220 Relay for printers only"))
    rig.start()
    host, port = rig.endpoint("Default Frontend MAIL1")
    with smtplib.SMTP() as client:
        code, greeting = client.connect(host, port)
    assert code == 220
    assert re.fullmatch(r"mail1\.lab\.test Microsoft ESMTP MAIL Service ready at \w{3}, \d{2} \w{3} \d{4} "
                        r"\d{2}:\d{2}:\d{2} [+-]\d{4}", greeting.decode())
    host, port = rig.endpoint("Custom")
    with smtplib.SMTP() as client:
        assert client.connect(host, port) == (220, b"Relay for printers only")


# -- TLS and AUTH -----------------------------------------------------------------------------------
def test_auth_only_after_starttls_with_basic_auth_require_tls(rig):
    add_client_frontend(rig)
    rig.start()
    with rig.client("Client Frontend MAIL1") as client:
        client.ehlo()
        assert "starttls" in client.esmtp_features
        assert "auth" not in client.esmtp_features
        assert client.docmd("AUTH", "LOGIN")[0] == 504
        client.starttls(context=rig.tls_client_context())
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]
        assert client.login("exadmin@lab.test", rig.password()) == (235, b"2.7.0 Authentication successful")
        assert client.sendmail("exadmin@lab.test", [EXTERNAL], message()) == {}
    [delivery] = rig.deliveries()
    assert delivery["auth_user"] == "LAB\\exadmin"
    assert delivery["connector"] == "Client Frontend MAIL1"
    assert delivery["tls"]["version"] == "TLS1_2"
    assert delivery["tls"]["cipher"].startswith("TLS_ECDHE_")


def test_auth_before_starttls_without_require_tls_is_offered_and_journaled(rig):
    # A misconfigured connector (BasicAuth without BasicAuthRequireTLS) offers AUTH on the plain session;
    # the journal records each AUTH command, never its credential.
    add_client_frontend(rig, auth=("Tls", "BasicAuth", "Integrated"))
    rig.start()
    with rig.client("Client Frontend MAIL1") as client:
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]
        assert client.login("exadmin", rig.password())[0] == 235
    [attempt] = rig.auth_attempts()
    assert attempt["connector"] == "Client Frontend MAIL1"
    assert attempt["tls"] is False
    assert attempt["with_credential"] is True
    journal = (Path(rig.lab.info()["mailboxes"]) / "auth_attempts.jsonl").read_text()
    assert rig.password() not in journal
    assert base64.b64encode(rig.password().encode()).decode() not in journal


def test_no_auth_command_no_journal_line(rig):
    add_client_frontend(rig)
    rig.start()
    with rig.client("Client Frontend MAIL1") as client:
        client.ehlo()
    assert rig.auth_attempts() == []


@pytest.mark.parametrize("user", ["LAB\\exadmin", "exadmin", "EXADMIN@lab.test"])
def test_account_spellings(rig, user):
    add_client_frontend(rig)
    rig.start()
    with rig.client("Client Frontend MAIL1") as client:
        client.starttls(context=rig.tls_client_context())
        assert client.login(user, rig.password())[0] == 235


def test_wrong_password_is_refused(rig):
    add_client_frontend(rig)
    rig.start()
    with rig.client("Client Frontend MAIL1") as client:
        client.starttls(context=rig.tls_client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login("exadmin", rig.password() + "x")
    assert refused.value.smtp_code == 535


def test_starttls_serves_the_certificate_the_connector_names(rig):
    rig.view.mint_certificate(rig.state_dir / "pki", "other.lab.test")   # exists, but not named
    issuer, subject = add_client_frontend(rig, dns_name="mail.lab.test")
    rig.start()
    with rig.client("Client Frontend MAIL1") as client:
        client.starttls(context=rig.tls_client_context())
        served = x509.load_der_x509_certificate(client.sock.getpeercert(binary_form=True))
    assert served.subject.rfc4514_string() == subject == "CN=mail.lab.test"
    assert served.issuer.rfc4514_string() == issuer


def test_require_tls_refuses_mail_before_starttls(rig):
    add_client_frontend(rig, require_tls=True, groups=("AnonymousUsers",), auth=("Tls",))
    rig.start()
    with rig.client("Client Frontend MAIL1") as client:
        client.ehlo()
        assert client.mail("device@lab.test") == (530, b"5.7.1 Must issue a STARTTLS command first")
        client.starttls(context=rig.tls_client_context())
        client.ehlo()
        assert client.mail("device@lab.test")[0] == 250


# -- the delivered message --------------------------------------------------------------------------
RECEIVED = re.compile(
    r"from printer\.lab\.test \(10\.1\.2\.3\) by mail1\.lab\.test \((?P<local>[\d.]+)\) with Microsoft SMTP Server"
    r"(?P<tls> \(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_(128|256)_GCM_SHA(256|384)\))? id 15\.1\.2507\.6"
    r" via Frontend Transport; (?P<date>.+)")


def test_received_header_without_tls(rig):
    add_relay(rig)
    rig.start()
    with rig.client("Anonymous Relay MAIL1") as client:
        client.ehlo("printer.lab.test")
        client.sendmail("device@lab.test", [EXTERNAL], message(message_id="<given@printer.lab.test>"))
    [delivery] = rig.deliveries()
    delivered = parse(delivery["file"])
    received = delivered.get_all("Received")
    assert len(received) == 1
    match = RECEIVED.fullmatch(str(received[0]))
    assert match, received[0]
    assert match["local"] == "127.0.0.1" and match["tls"] is None
    assert email.utils.parsedate_to_datetime(match["date"]).tzinfo is not None
    assert Path(delivery["file"]).read_bytes().startswith(b"Received: from printer.lab.test (10.1.2.3)")
    assert delivered.get_all("Message-ID") == ["<given@printer.lab.test>"]   # kept, not replaced
    assert delivery["message_id"] == "<given@printer.lab.test>"


def test_received_header_with_tls_and_added_message_id(rig):
    add_client_frontend(rig)
    rig.start()
    with rig.client("Client Frontend MAIL1") as client:
        client.starttls(context=rig.tls_client_context())
        client.ehlo("printer.lab.test")
        client.login("exadmin", rig.password())
        client.sendmail("exadmin@lab.test", [INTERNAL], message())
    [delivery] = rig.deliveries()
    delivered = parse(delivery["file"])
    match = RECEIVED.fullmatch(str(delivered["Received"]))
    assert match and match["tls"], delivered["Received"]
    assert f"cipher={delivery['tls']['cipher']}" in match["tls"]
    assert re.fullmatch(r"<[0-9a-f]{32}@mail1\.lab\.test>", delivered["Message-ID"])
    assert delivery["message_id"] == delivered["Message-ID"]


def test_specific_binding_gets_its_own_listener(rig):
    rig.view.add(connector("Bound", bindings=("10.0.0.5:25",)))
    rig.start()
    assert rig.endpoint("Bound") != rig.endpoint("Default Frontend MAIL1")
    with rig.client("Bound") as client:
        client.ehlo("printer.lab.test")
        client.sendmail("device@lab.test", [INTERNAL], message())
    [delivery] = rig.deliveries()
    assert delivery["connector"] == "Bound"
    assert "by mail1.lab.test (10.0.0.5)" in str(parse(delivery["file"])["Received"])


# -- size -------------------------------------------------------------------------------------------
def test_size_limit(rig):
    rig.view.change("Default Frontend MAIL1", max_message_size=65536)
    rig.start()
    big = message(body="x" * 70 + "\r\n") * 1000
    with rig.client("Default Frontend MAIL1") as client:
        client.ehlo()
        assert client.esmtp_features["size"] == "65536"
        # smtplib announces SIZE= in MAIL FROM: refused there.
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@internet.example", [INTERNAL], big)
        assert (refused.value.smtp_code, refused.value.smtp_error) == (
            552, b"5.3.4 Message size exceeds fixed maximum message size")
        # Without SIZE= the DATA itself is refused.
        client.rset()
        assert client.mail("a@internet.example")[0] == 250
        assert client.rcpt(INTERNAL)[0] == 250
        assert client.data(big)[0] == 552
        assert client.sendmail("a@internet.example", [INTERNAL], message()) == {}
    assert len(rig.deliveries()) == 1


# -- listeners follow the model ---------------------------------------------------------------------
def test_listener_appears_when_a_connector_is_created_and_goes_when_removed(rig):
    rig.start()
    before = len(rig.changes)
    assert [e["connector"] for e in rig.lab.info()["smtp"]] == ["Default Frontend MAIL1"]
    add_relay(rig, name="Printers", device="10.1.2.0/24", bindings=("0.0.0.0:2526",))
    wait_for(lambda: any(e["connector"] == "Printers" for e in rig.lab.info()["smtp"]))
    assert len(rig.changes) > before and rig.changes[-1] == rig.lab.info()
    with rig.client("Printers", source="127.1.2.99") as client:
        assert client.sendmail("device@lab.test", [EXTERNAL], message()) == {}
    assert rig.deliveries()[0]["connector"] == "Printers"

    host, port = rig.endpoint("Printers")
    rig.view.remove("Printers")
    wait_for(lambda: all(e["connector"] != "Printers" for e in rig.lab.info()["smtp"]))
    with pytest.raises(OSError):
        smtplib.SMTP(host, port, timeout=TIMEOUT)


def test_info_shape(rig):
    rig.start()
    info = rig.lab.info()
    assert info["smtp_source_map"] == {"127.0.0.0/8": "10.0.0.0/8"}
    assert info["mailboxes"] == str(rig.state_dir / "mailboxes")
    [entry] = info["smtp"]
    assert entry == {"server": SERVER, "connector": "Default Frontend MAIL1", "binding": "0.0.0.0:25",
                     "host": "127.0.0.1", "port": entry["port"]}
    assert entry["port"] not in (0, 25)


def test_stop_closes_open_sessions_quickly(rig):
    rig.start()
    client = rig.client("Default Frontend MAIL1")
    client.ehlo()
    started = time.monotonic()
    rig.lab.stop()
    assert time.monotonic() - started < 2.0
    with pytest.raises((smtplib.SMTPServerDisconnected, OSError)):
        client.noop()
        client.noop()
    client.close()
