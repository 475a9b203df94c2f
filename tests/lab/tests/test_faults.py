"""The fault plan (DIR/faults.json) and the per-user runspace limit, seen by an unmodified pypsrp client."""
import json
from pathlib import Path

import pytest
import requests
from conftest import LabProcess
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from exchange_lab.faults import FaultPlan, matches
from exchange_lab.stats import Stats

LIMIT = 2
SERVER = "WIN-CTD3L0RGEN4"
CONNECTOR = f"{SERVER}\\Default Frontend {SERVER}"


@pytest.fixture(scope="module")
def limited_lab(tmp_path_factory):
    """One lab for this module, with a per-user limit of two runspaces."""
    process = LabProcess(tmp_path_factory.mktemp("faults") / "state", "--max-runspaces-per-user", str(LIMIT))
    try:
        yield process.wait_ready()
    finally:
        process.stop()


@pytest.fixture
def plan(limited_lab):
    """Write rules into the lab's fault plan; emptied after the test."""
    path = Path(limited_lab["faults"]["file"])

    def write(rules: dict) -> None:
        path.write_text(json.dumps(rules))

    yield write
    path.write_text("{}")


def _stats(lab) -> dict:
    return json.loads(Path(lab["stats"]).read_text())


def _pool(lab, **kwargs) -> RunspacePool:
    endpoint = lab["psrp"]
    wsman = WSMan(endpoint["host"], port=endpoint["port"], path=endpoint["path"], ssl=False, auth="ntlm",
                  username=endpoint["username"], password=endpoint["password"], **kwargs)
    return RunspacePool(wsman, configuration_name=endpoint["configuration_name"])


def _invoke(pool, cmdlet, **parameters):
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    for name, value in parameters.items():
        ps.add_parameter(name, value)
    return ps.invoke(), ps


def test_lab_json_documents_the_plan(limited_lab):
    faults = limited_lab["faults"]
    assert faults["file"] == str(Path(limited_lab["state"]) / "faults.json")
    assert {"wsman", "rest", "token", "tls"} <= set(faults["sections"])
    assert limited_lab["max_runspaces_per_user"] == LIMIT
    assert limited_lab["online"]["faults"] == faults["file"]


def test_runspaces_beyond_the_limit_are_refused_with_exchanges_throttling_text(limited_lab):
    refused_before = _stats(limited_lab)["runspaces_refused"]
    first, second = _pool(limited_lab), _pool(limited_lab)
    first.open()
    second.open()
    try:
        with pytest.raises(WSManFaultError) as refused:
            _pool(limited_lab).open()
        assert f"maximum number of connections allowed : {LIMIT} for the policy party : MaxConcurrency" \
            in str(refused.value)
    finally:
        second.close()
    with _pool(limited_lab) as third:  # a closed runspace frees its place
        assert _invoke(third, "Get-ReceiveConnector", Identity=CONNECTOR)[0]
    first.close()
    assert _stats(limited_lab)["runspaces_refused"] == refused_before + 1


def test_counted_wsman_faults_hit_only_the_named_cmdlet(limited_lab, plan):
    injected = _stats(limited_lab)["faults_injected"]
    plan({"wsman": [{"kind": "wsman_fault", "cmdlet": "Get-ReceiveConnector", "count": 2}]})
    with _pool(limited_lab) as pool:
        assert _invoke(pool, "Get-AcceptedDomain")[0]  # another cmdlet passes
    for dummy in range(2):
        with _pool(limited_lab) as pool, pytest.raises(WSManFaultError) as fault:
            _invoke(pool, "Get-ReceiveConnector", Identity=CONNECTOR)
        assert "w:InternalError" in str(fault.value) or fault.value.code == 2147500037
    with _pool(limited_lab) as pool:
        assert _invoke(pool, "Get-ReceiveConnector", Identity=CONNECTOR)[0]
    assert _stats(limited_lab)["faults_injected"] == injected + 2
    assert json.loads(Path(limited_lab["faults"]["file"]).read_text()) == {"wsman": []}


def test_write_error_after_skip_fails_the_second_write_and_writes_nothing(limited_lab, plan):
    plan({"wsman": [{"kind": "write_error", "cmdlet": "any-write", "skip": 1}]})
    with _pool(limited_lab) as pool:
        writes = _stats(limited_lab)["writes"]
        _, first = _invoke(pool, "Set-ReceiveConnector", Identity=CONNECTOR, Banner="220 first")
        assert not first.had_errors and not first.streams.error
        assert _stats(limited_lab)["writes"] == writes + 1
        _, second = _invoke(pool, "Set-ReceiveConnector", Identity=CONNECTOR, Banner="220 second")
        assert "ADTransientException" in second.streams.error[0].exception.types[0]
        assert _stats(limited_lab)["writes"] == writes + 1
        banner = _invoke(pool, "Get-ReceiveConnector", Identity=CONNECTOR)[0][0].adapted_properties["Banner"]
        assert banner == "220 first"


def test_reset_applies_the_write_and_cuts_the_answer(limited_lab, plan):
    plan({"wsman": [{"kind": "reset", "cmdlet": "Set-ReceiveConnector"}]})
    pool = _pool(limited_lab)
    pool.open()
    writes = _stats(limited_lab)["writes"]
    with pytest.raises(requests.exceptions.ConnectionError):
        _invoke(pool, "Set-ReceiveConnector", Identity=CONNECTOR, Banner="220 after reset")
    assert _stats(limited_lab)["writes"] == writes + 1
    with _pool(limited_lab) as other:
        banner = _invoke(other, "Get-ReceiveConnector", Identity=CONNECTOR)[0][0].adapted_properties["Banner"]
    assert banner == "220 after reset"


def test_throttle_rule_refuses_the_next_create(limited_lab, plan):
    plan({"wsman": [{"kind": "throttle"}]})
    with pytest.raises(WSManFaultError, match="MaxConcurrency"):
        _pool(limited_lab).open()
    with _pool(limited_lab) as pool:  # used up: the next open works
        assert _invoke(pool, "Get-ReceiveConnector", Identity=CONNECTOR)[0]


@pytest.mark.parametrize("kind, reason", [("expired", "certificate has expired"),
                                          ("untrusted", "unable to get local issuer certificate")])
def test_tls_faults_present_a_bad_certificate_then_the_good_one(limited_lab, plan, kind, reason):
    https = limited_lab["psrp_https"]
    url = f"https://{https['host']}:{https['port']}/PowerShell"
    plan({"tls": [{"kind": kind, "endpoint": "wsman"}]})
    session = requests.Session()
    session.trust_env = False
    with pytest.raises(requests.exceptions.SSLError, match=reason):
        session.post(url, data=b"", verify=https["ca_path"], timeout=10)
    assert session.post(url, data=b"", verify=https["ca_path"], timeout=10).status_code == 401


def test_plan_rules_match_count_and_skip(tmp_path):
    plan = FaultPlan(tmp_path / "faults.json", Stats(tmp_path / "stats.json"))
    assert plan.take("wsman", ["Get-ReceiveConnector"]) is None  # no file: no faults
    plan.path.write_text(json.dumps({"wsman": [
        {"kind": "reset", "cmdlet": "any-write", "skip": 1, "count": 2},
        {"kind": "slow", "cmdlet": "Get-ADPermission"},
    ]}))
    assert plan.take("wsman", ["New-ReceiveConnector"]) is None  # skipped once
    assert plan.take("wsman", ["Get-ADPermission"])["kind"] == "slow"
    assert plan.take("wsman", ["Get-ADPermission"]) is None  # used up
    assert plan.take("wsman", ["Set-ReceiveConnector"])["kind"] == "reset"
    assert plan.take("wsman", ["Remove-ADPermission"], kinds=("slow",)) is None
    assert plan.take("wsman", ["Remove-ADPermission"])["kind"] == "reset"
    assert plan.take("wsman", ["Remove-ADPermission"]) is None
    assert json.loads(plan.path.read_text()) == {"wsman": []}
    assert matches({"cmdlet": "any-read"}, ["Get-ReceiveConnector", "Test-Thing"])
    assert not matches({"cmdlet": "any-read"}, ["Get-ReceiveConnector", "Set-ReceiveConnector"])
