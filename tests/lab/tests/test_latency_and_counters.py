"""Latency injection (--latency-*), the runspace_opens/round_trips counters and --server-name.

Delays are proven through the sleeps the lab counts in stats.json; the only clock check is
a lower bound (a delay that was applied cannot have taken less than its length).
"""
import json
import time
from pathlib import Path

import pytest
from pypsrp.powershell import PowerShell

from exchange_lab.exchange.server_name import check_server_name, rename_text
from exchange_lab.latency import Latency
from exchange_lab.stats import Stats

from online_client import invoke, token
from test_transport_process import open_pool


def stats(lab: dict) -> dict:
    return json.loads(Path(lab["stats"]).read_text())


def delta(after: dict, before: dict, name: str) -> int:
    return after.get(name, 0) - before.get(name, 0)


def get_connectors(pool) -> list:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-ReceiveConnector")
    output = ps.invoke()
    assert not ps.had_errors
    return output


def test_latency_sleeps_and_counts_each_kind(tmp_path):
    slept = []
    counters = Stats(tmp_path / "stats.json")
    latency = Latency(runspace_open=3.0, call=0.05, token=0.2, stats=counters, sleep=slept.append)
    latency.runspace_opened()
    latency.called()
    latency.called()
    latency.token_issued()
    assert slept == [3.0, 0.05, 0.05, 0.2]
    assert {k: v for k, v in counters.snapshot().items() if k.startswith("latency_")} == {
        "latency_runspace_open_sleeps": 1, "latency_call_sleeps": 2, "latency_token_sleeps": 1,
        "latency_runspace_open_seconds": 3.0, "latency_call_seconds": 0.1, "latency_token_seconds": 0.2,
        "latency_seconds": 3.3}
    assert latency.info() == {"runspace_open": 3.0, "call": 0.05, "token": 0.2}


def test_counters_added_together_reach_the_file_in_one_write(tmp_path, monkeypatch):
    counters = Stats(tmp_path / "stats.json")
    counters.increment("round_trips")
    writes = []
    original = Stats._flush
    monkeypatch.setattr(Stats, "_flush", lambda self: (writes.append(1), original(self)))
    counters.add({"http_requests": 1, "round_trips": 1, "latency_seconds": 0.05})
    assert len(writes) == 1
    assert json.loads((tmp_path / "stats.json").read_text()) == {
        "http_requests": 1, "round_trips": 2, "latency_seconds": 0.05}


def test_zero_latency_never_sleeps(tmp_path):
    slept = []
    latency = Latency(stats=Stats(tmp_path / "stats.json"), sleep=slept.append)
    latency.runspace_opened()
    latency.called()
    latency.token_issued()
    assert slept == []


def test_negative_latency_is_refused():
    with pytest.raises(ValueError, match="runspace_open"):
        Latency(runspace_open=-1)


def test_lab_without_latency_counts_opens_and_round_trips(lab):
    assert lab["latency"] == {"runspace_open": 0.0, "call": 0.0, "token": 0.0}
    before = stats(lab)
    with open_pool(lab["psrp"]) as pool:
        get_connectors(pool)
        get_connectors(pool)
    after = stats(lab)
    assert delta(after, before, "runspace_opens") == 1
    assert delta(after, before, "shells_created") == 1
    # Only WSMan traffic happened: every HTTP request (authentication legs included) is one round trip.
    assert delta(after, before, "round_trips") == delta(after, before, "http_requests") > 0
    assert delta(after, before, "latency_call_sleeps") == 0
    assert delta(after, before, "latency_runspace_open_sleeps") == 0


def test_runspace_open_and_call_latency_are_applied(lab_process):
    lab = lab_process("--latency-runspace-open", "0.5", "--latency-call", "0.01").wait_ready()
    assert lab["latency"] == {"runspace_open": 0.5, "call": 0.01, "token": 0.0}
    before = stats(lab)
    started = time.monotonic()
    pool = open_pool(lab["psrp"])
    pool.open()
    opened = stats(lab)
    assert time.monotonic() - started >= 0.5
    assert delta(opened, before, "latency_runspace_open_sleeps") == 1
    opening_calls = delta(opened, before, "latency_call_sleeps")
    assert opening_calls >= 1  # the opening's Receive is a call too

    get_connectors(pool)
    get_connectors(pool)
    pool.close()
    after = stats(lab)
    assert delta(after, before, "runspace_opens") == 1
    assert delta(after, opened, "latency_runspace_open_sleeps") == 0  # reuse opens nothing
    # Each cmdlet is one Command and at least one Receive.
    assert delta(after, opened, "latency_call_sleeps") >= 4
    assert delta(after, opened, "pipelines") == 2
    # The seconds slept, as the benchmark subtracts them: every sleep at its configured length.
    calls = delta(after, before, "latency_call_sleeps")
    assert delta(after, before, "latency_call_seconds") == pytest.approx(calls * 0.01)
    assert delta(after, before, "latency_runspace_open_seconds") == pytest.approx(0.5)
    assert delta(after, before, "latency_seconds") == pytest.approx(0.5 + calls * 0.01)


def test_two_pools_are_two_runspace_opens(lab_process):
    lab = lab_process("--latency-runspace-open", "0.05").wait_ready()
    before = stats(lab)
    for _ in range(2):
        with open_pool(lab["psrp"]) as pool:
            get_connectors(pool)
    after = stats(lab)
    assert delta(after, before, "runspace_opens") == 2
    assert delta(after, before, "latency_runspace_open_sleeps") == 2


def test_token_and_invoke_latency_and_round_trips(lab_process):
    lab = lab_process("--latency-token", "0.2", "--latency-call", "0.01").wait_ready()
    online = lab["online"]
    before = stats(lab)
    started = time.monotonic()
    access_token = token(online)
    assert time.monotonic() - started >= 0.2
    response = invoke(online, access_token, "Get-InboundConnector")
    assert response.status_code == 200, response.text
    after = stats(lab)
    assert delta(after, before, "token_requests") == 1
    assert delta(after, before, "latency_token_sleeps") == 1
    assert delta(after, before, "latency_call_sleeps") == 1
    assert delta(after, before, "latency_token_seconds") == pytest.approx(0.2)
    assert delta(after, before, "latency_seconds") == pytest.approx(0.21)
    assert delta(after, before, "rest_requests") == 1
    # msal may read the OpenID metadata first: those GETs are round trips too.
    assert delta(after, before, "round_trips") >= 2
    assert delta(after, before, "http_requests") == 0  # WSMan's own counter stays WSMan-only


def test_server_name_renames_the_captured_server_consistently(lab_process):
    lab = lab_process("--server-name", "LAB-SRV-07").wait_ready()
    with open_pool(lab["psrp"]) as pool:
        connectors = get_connectors(pool)
    names = {str(c.adapted_properties["Name"]) for c in connectors}
    assert names == {f"{name} LAB-SRV-07" for name in
                     ("Default", "Client Proxy", "Default Frontend", "Outbound Proxy Frontend", "Client Frontend")}
    for connector in connectors:
        props = connector.adapted_properties
        assert str(props["Identity"]).startswith("LAB-SRV-07\\")
        assert str(props["Server"]) == "LAB-SRV-07"
        assert "WIN-CTD3L0RGEN4" not in str(props["DistinguishedName"]).upper()
    assert {entry["server"] for entry in lab["smtp"]} == {"LAB-SRV-07"}


def test_rename_keeps_certificate_names_and_blobs():
    text = ('<S N="Name">Default WIN-CTD3L0RGEN4</S><S N="Fqdn">win-ctd3l0rgen4.exlab.dom</S>'
            '<Obj N="TlsCertificateName" RefId="1"><ToString>&lt;I&gt;CN=WIN-CTD3L0RGEN4</ToString></Obj>'
            '<BA N="SerializationData">V0lOLUNURDNMMFJHRU40</BA>')
    renamed = rename_text(text, "WIN-CTD3L0RGEN4", "LAB-SRV-01")
    assert '<S N="Name">Default LAB-SRV-01</S>' in renamed
    assert '<S N="Fqdn">lab-srv-01.exlab.dom</S>' in renamed
    assert "&lt;I&gt;CN=WIN-CTD3L0RGEN4" in renamed and "V0lOLUNURDNMMFJHRU40" in renamed


@pytest.mark.parametrize("name", ["", "A" * 16, "LAB SRV", "-LAB"])
def test_bad_server_names_are_refused(name):
    with pytest.raises(ValueError, match="NetBIOS"):
        check_server_name(name)
