"""Exchange Online Protection's SMTP front door in ``exchange-lab serve``: direct send, relay by
inbound connector (source IP or client certificate), 5.7.64 otherwise."""
import importlib.util
import json
import smtplib
import ssl
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from online_client import invoke, token

REPO = Path(__file__).resolve().parents[3]
INTERNAL = "helpdesk@contoso.com"        # an accepted domain of the lab tenant
EXTERNAL = "someone@external.example"
RELAY_DENIED = (550, b"5.7.64 TenantAttribution; Relay Access Denied")
TIMEOUT = 5.0


@pytest.fixture
def eop(lab):
    return lab["online"]["eop"]


@pytest.fixture
def online(lab):
    return {**lab["online"], "token": token(lab["online"])}


def new_connector(online, name, **parameters):
    body = {"Name": name, "ConnectorType": "OnPremises", "SenderDomains": ["*"], **parameters}
    response = invoke(online, online["token"], "New-InboundConnector", body)
    assert response.status_code == 200, response.text


def deliveries(lab) -> list[dict]:
    journal = Path(lab["mailboxes"]) / "deliveries.jsonl"
    return [json.loads(line) for line in journal.read_text().splitlines()] if journal.exists() else []


def client_context(eop, with_certificate=True) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=eop["ca_path"])
    if with_certificate:  # as the seeds do: the key and certificate from the password-protected PFX
        key, certificate, _chain = pkcs12.load_key_and_certificates(
            Path(eop["client_pfx"]).read_bytes(), eop["client_pfx_password"].encode())
        pem = Path(eop["client_pfx"]).with_name("test-client-from-pfx.pem")
        pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
                        + certificate.public_bytes(serialization.Encoding.PEM))
        context.load_cert_chain(pem)
    return context


def rcpt_replies(eop, source, recipients, context=None) -> list[tuple]:
    """RCPT replies for ``recipients`` from ``source``; DATA when one was taken. STARTTLS with ``context``."""
    with smtplib.SMTP(eop["host"], eop["port"], source_address=(source, 0), timeout=TIMEOUT) as client:
        client.ehlo("relay.contoso.com")
        if context is not None:
            assert client.starttls(context=context)[0] == 220
            names = [value for kind, value in client.sock.getpeercert()["subjectAltName"] if kind == "DNS"]
            assert eop["name"] in names
            client.ehlo("relay.contoso.com")
        assert client.mail("scanner@contoso.com")[0] == 250
        replies = [client.rcpt(recipient) for recipient in recipients]
        if any(code == 250 for code, _ in replies):
            assert client.data("Subject: eop\r\n\r\nhello\r\n")[0] == 250
    return replies


def load_received_hops():
    spec = importlib.util.spec_from_file_location("received_hops", REPO / "plugins/filter/received_hops.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.received_hops


def test_direct_send_accepted_and_external_refused(lab, eop):
    assert eop["name"] == "mailflowlab.mail.protection.outlook.com"
    external, internal = rcpt_replies(eop, "127.9.8.7", [EXTERNAL, INTERNAL])
    assert external == RELAY_DENIED
    assert internal[0] == 250
    [delivery] = deliveries(lab)
    assert (delivery["hop"], delivery["connector"], delivery["client_certificate"]) == ("eop", None, None)
    assert (delivery["source"], delivery["rcpt"], delivery["tls"]) == ("10.9.8.7", INTERNAL, None)

    hops = load_received_hops()(Path(delivery["file"]).read_text())
    assert [hop["from_ip"] for hop in hops] == ["10.9.8.7", "10.167.16.74"]
    assert hops[0]["by"].endswith(".mail.protection.outlook.com") and hops[0]["from"] == "relay.contoso.com"
    assert hops[1]["by"].endswith(".prod.outlook.com") and hops[1]["tls"] is not None


def test_connector_with_source_ip_allows_relay(lab, eop, online):
    assert rcpt_replies(eop, "127.9.8.7", [EXTERNAL]) == [RELAY_DENIED]
    new_connector(online, "SMTP Relay", SenderIPAddresses=["10.9.8.0/24"], RestrictDomainsToIPAddresses=True,
                  RequireTls=False)
    [reply] = rcpt_replies(eop, "127.9.8.7", [EXTERNAL])
    assert reply[0] == 250
    assert rcpt_replies(eop, "127.9.9.7", [EXTERNAL]) == [RELAY_DENIED]  # 10.9.9.7: outside the /24
    [delivery] = deliveries(lab)
    assert (delivery["connector"], delivery["source"], delivery["rcpt"]) == ("SMTP Relay", "10.9.8.7", EXTERNAL)


def test_require_tls_does_not_gate_an_onpremises_connector(lab, eop, online):
    # New-InboundConnector.md (RequireTls): "This parameter applies only to Partner type connectors".
    new_connector(online, "TLS only", SenderIPAddresses=["10.9.8.7"], RequireTls=True)
    [plain] = rcpt_replies(eop, "127.9.8.7", [EXTERNAL])
    [reply] = rcpt_replies(eop, "127.9.8.7", [EXTERNAL], client_context(eop, with_certificate=False))
    assert plain[0] == 250 and reply[0] == 250
    first, second = deliveries(lab)
    assert first["connector"] == second["connector"] == "TLS only"
    assert first["tls"] is None and second["tls"]["version"] == "TLS1_2"
    assert second["client_certificate"] is None


def test_client_certificate_from_pfx_relays_when_connector_names_it(lab, eop, online):
    assert eop["client_certificate_name"] == "relay.contoso.com"
    assert rcpt_replies(eop, "127.9.8.7", [EXTERNAL], client_context(eop)) == [RELAY_DENIED]
    new_connector(online, "Wrong name", TlsSenderCertificateName="*.fabrikam.com", RequireTls=True)
    assert rcpt_replies(eop, "127.9.8.7", [EXTERNAL], client_context(eop)) == [RELAY_DENIED]
    new_connector(online, "TLS relay", TlsSenderCertificateName="*.contoso.com", RequireTls=True)
    assert rcpt_replies(eop, "127.9.8.7", [EXTERNAL], client_context(eop, with_certificate=False)) == [RELAY_DENIED]
    [reply] = rcpt_replies(eop, "127.9.8.7", [EXTERNAL], client_context(eop))
    assert reply[0] == 250
    [delivery] = deliveries(lab)
    assert (delivery["connector"], delivery["client_certificate"]) == ("TLS relay", "CN=relay.contoso.com")
    assert delivery["tls"]["cipher"].startswith("TLS_")
