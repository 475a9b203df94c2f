"""SMTP through ``exchange-lab serve`` on the default E19 seed, with the real Exchange model."""
import json
import smtplib
import time
from pathlib import Path

import pytest
from pypsrp.powershell import PowerShell

from test_transport_process import open_pool

SERVER = "WIN-CTD3L0RGEN4"
DEFAULT_FRONTEND = f"Default Frontend {SERVER}"
EXTERNAL = "someone@external.example"
INTERNAL = "someone@solo.com"   # the Authoritative accepted domain of data/E19-GetAcceptedDomain.xml
TIMEOUT = 5.0


def smtp_entry(info: dict, connector: str) -> dict:
    [entry] = [e for e in info["smtp"] if e["connector"] == connector]
    return entry


def deliveries(info: dict) -> list[dict]:
    journal = Path(info["mailboxes"]) / "deliveries.jsonl"
    return [json.loads(line) for line in journal.read_text().splitlines()] if journal.exists() else []


def send_both(entry: dict, source: str) -> tuple:
    """(banner, RCPT reply for an external and for an accepted-domain recipient) from device ``source``."""
    with smtplib.SMTP(source_address=(source, 0), timeout=TIMEOUT) as client:
        banner = client.connect(entry["host"], entry["port"])
        client.ehlo("printer.solo.com")
        assert client.mail("printer@solo.com")[0] == 250
        external, internal = client.rcpt(EXTERNAL), client.rcpt(INTERNAL)
        assert client.data("Subject: e2e\r\n\r\nhello\r\n")[0] == 250
    return banner, external, internal


def test_default_frontend_answers_and_refuses_relay(lab):
    entry = smtp_entry(lab, DEFAULT_FRONTEND)
    assert (entry["server"], entry["binding"], entry["host"]) == (SERVER, "0.0.0.0:25", "127.0.0.1")
    assert lab["smtp_source_map"] == {"127.0.0.0/8": "10.0.0.0/8"}

    banner, external, internal = send_both(entry, "127.1.2.3")
    assert banner[0] == 220 and b"Microsoft ESMTP MAIL Service ready at" in banner[1]
    assert external == (550, b"5.7.54 SMTP; Unable to relay recipient in non-accepted domain")
    assert internal[0] == 250
    [delivery] = deliveries(lab)
    assert (delivery["connector"], delivery["source"], delivery["rcpt"]) == (DEFAULT_FRONTEND, "10.1.2.3", INTERNAL)


def test_connector_created_over_remote_powershell_takes_its_device(lab):
    with open_pool(lab["psrp"]) as pool:
        ps = PowerShell(pool)
        (ps.add_cmdlet("New-ReceiveConnector").add_parameter("Name", "Printers")
         .add_parameter("Server", SERVER).add_parameter("TransportRole", "FrontendTransport")
         .add_parameter("Custom", True).add_parameter("Bindings", ["0.0.0.0:25"])
         .add_parameter("RemoteIPRanges", ["10.1.2.3"]).add_parameter("PermissionGroups", "AnonymousUsers"))
        ps.invoke()
        assert not ps.had_errors and not ps.streams.error, ps.streams.error

    lab_json = Path(lab["state"]) / "lab.json"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        info = json.loads(lab_json.read_text())
        if any(e["connector"] == "Printers" for e in info["smtp"]):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"lab.json never listed the new connector: {info['smtp']}")
    # Same binding as Default Frontend: the same listener, now with two connectors on it.
    assert smtp_entry(info, "Printers")["port"] == smtp_entry(info, DEFAULT_FRONTEND)["port"]

    send_both(smtp_entry(info, "Printers"), "127.1.2.3")   # the listed device
    send_both(smtp_entry(info, "Printers"), "127.1.2.4")   # any other source
    assert [d["connector"] for d in deliveries(info)] == ["Printers", DEFAULT_FRONTEND]
