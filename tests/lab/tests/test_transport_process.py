"""``exchange-lab serve`` as a process: lab.json, signals, restarts, and one real cmdlet."""
import json
import os
import signal
import stat
import time
from pathlib import Path

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

RECEIVE_CONNECTOR = "Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector"
# The five default connectors of the captured server (data/E19-GetReceiveConnector.xml).
E19_CONNECTORS = {f"{name} WIN-CTD3L0RGEN4" for name in
                  ("Default", "Client Proxy", "Default Frontend", "Outbound Proxy Frontend", "Client Frontend")}


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def open_pool(endpoint: dict) -> RunspacePool:
    """A Microsoft.Exchange pool built only from one lab.json endpoint entry."""
    wsman = WSMan(
        endpoint["host"], port=endpoint["port"], path=endpoint["path"], ssl=endpoint["ssl"],
        auth=endpoint["auth"], username=endpoint["username"], password=endpoint["password"],
        cert_validation=endpoint["ca_path"] if endpoint["ssl"] else True,
    )
    return RunspacePool(wsman, configuration_name=endpoint["configuration_name"])


def test_lab_json_describes_both_listeners(lab):
    state = Path(lab["state"])
    http, https = lab["psrp"], lab["psrp_https"]
    assert (http["ssl"], http["auth"], http["ca_path"]) == (False, "ntlm", None)
    assert (https["ssl"], https["auth"]) == (True, "basic")
    assert http["port"] != https["port"]
    assert http["username"] == "LAB\\exadmin" and http["password"] == https["password"]
    assert lab["env"]["EXCHANGE_PORT"] == str(http["port"])
    assert lab["env_https"]["EXCHANGE_CA_PATH"] == https["ca_path"] == str(state / "pki" / "ca.pem")
    assert lab["stats"] == str(state / "stats.json") and lab["pid"] > 0

    credentials = json.loads((state / "credentials.json").read_text())
    assert credentials["password"] == http["password"]
    for private in ("credentials.json", "lab.json", "pki/ca.key", "pki/server.key"):
        assert _mode(state / private) == 0o600, private

    for endpoint in (http, https):
        with open_pool(endpoint) as pool:
            assert pool.application_private_data.data["PSVersionTable"]["PSEdition"] == "Desktop"
    stats = json.loads(Path(lab["stats"]).read_text())
    assert stats["shells_created"] == 2 and stats["shells_deleted"] == 2


def test_sigterm_stops_quickly_and_removes_lab_json(lab_process):
    process = lab_process()
    info = process.wait_ready()
    pool = open_pool(info["psrp"])
    pool.open()  # leaves a keep-alive connection and an open shell behind
    started = time.monotonic()
    process.process.send_signal(signal.SIGTERM)
    assert process.process.wait(5) == 0
    assert time.monotonic() - started < 5
    assert not process.lab_json.exists()


def test_sigint_stops_too(lab_process):
    process = lab_process()
    process.wait_ready()
    process.process.send_signal(signal.SIGINT)
    assert process.process.wait(5) == 0
    assert not process.lab_json.exists()


def test_restart_keeps_credentials_and_ca_but_not_ports(lab_process, tmp_path):
    state = tmp_path / "kept-state"
    first = lab_process(state_dir=state)
    before = first.wait_ready()
    ca_pem = Path(before["psrp_https"]["ca_path"]).read_bytes()
    assert first.stop() == 0

    second = lab_process(state_dir=state)
    after = second.wait_ready()
    assert after["psrp"]["password"] == before["psrp"]["password"]
    assert Path(after["psrp_https"]["ca_path"]).read_bytes() == ca_pem
    with open_pool(after["psrp_https"]) as pool:
        assert pool.application_private_data is not None


def test_get_receive_connector_end_to_end(lab):
    for endpoint in (lab["psrp"], lab["psrp_https"]):
        with open_pool(endpoint) as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-ReceiveConnector")
            connectors = ps.invoke()
        assert not ps.had_errors and not ps.streams.error
        assert {c.adapted_properties.get("Name", c.extended_properties.get("Name")) for c in connectors} \
            == E19_CONNECTORS
        assert all(c.types[0] == RECEIVE_CONNECTOR for c in connectors)


@pytest.mark.parametrize("bad_port", ["-1"])
def test_bad_arguments_fail_fast(lab_process, bad_port):
    process = lab_process("--port", bad_port)
    with pytest.raises(RuntimeError):
        process.wait_ready(timeout=15)
