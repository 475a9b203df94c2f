"""The Exchange Online variants: each reading the lab can play, seen by a plain REST caller."""
import json
import time

import pytest
import requests

from conftest import LabProcess
from online_client import invoke, session, stats, token

NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
RELAY = {"ConnectorType": "OnPremises", "SenderDomains": ["*"], "SenderIPAddresses": ["203.0.113.10"]}


@pytest.fixture
def lab_with(tmp_path):
    """Start a lab playing the given variants: ``lab_with("exo-rbac-403", ...)`` -> (lab.json, online)."""
    processes = []

    def start(*names):
        arguments = [argument for name in names for argument in ("--variant", name)]
        process = LabProcess(tmp_path / ("lab-%d" % len(processes)), *arguments)
        processes.append(process)
        lab = process.wait_ready()
        return lab, {**lab["online"], "token": token(lab["online"])}

    yield start
    for process in processes:
        process.stop()


def _new(online, name, **parameters):
    return invoke(online, online["token"], "New-InboundConnector", {"Name": name, **RELAY, **parameters})


def test_rbac_403_answers_a_body_that_is_not_json(lab_with):
    lab, online = lab_with("exo-rbac-403")
    assert lab["variants"] == {"exo-rbac-403": True}
    body = {"CmdletInput": {"CmdletName": "New-InboundConnector", "Parameters": {"Name": "x", **RELAY}}}
    with session(online) as http:
        answer = http.post(f"{online['rest_base_url']}/adminapi/beta/{online['tenant_id']}/InvokeCommand",
                           json=body, headers={"Authorization": "Bearer " + online["token"]}, stream=True, timeout=10)
        assert answer.status_code == 403 and answer.headers["Content-Encoding"] == "gzip"
        with pytest.raises(requests.exceptions.ContentDecodingError):
            answer.content  # pylint: disable=pointless-statement
    assert stats(lab)["online_write_calls"] == 0


def test_rbac_401_says_the_user_is_not_allowed_to_call_the_cmdlet(lab_with):
    lab, online = lab_with("exo-rbac-401")
    answer = invoke(online, online["token"], "Get-InboundConnector")
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "User is not allowed to call Get-InboundConnector"


def test_error_details_as_json(lab_with):
    dummy_lab, online = lab_with("exo-error-details-json")
    answer = invoke(online, online["token"], "Get-InboundConnector", {"Identity": "No such connector"})
    assert answer.status_code == 404
    detail = json.loads(answer.json()["error"]["details"][0]["message"])
    assert detail["ExceptionType"] == NOT_FOUND and "No such connector" in detail["Message"]


def test_replication_lag_hides_a_write_from_reads_for_a_while(lab_with):
    dummy_lab, online = lab_with("exo-replication-lag=1.5")
    [created] = _new(online, "Lagging").json()["value"]
    assert invoke(online, online["token"], "Get-InboundConnector", {"Identity": "Lagging"}).status_code == 404
    # New-'s duplicate check sees the real state at once.
    assert _new(online, "Lagging").status_code == 400
    time.sleep(1.6)
    [seen] = invoke(online, online["token"], "Get-InboundConnector", {"Identity": "Lagging"}).json()["value"]
    assert seen["Guid"] == created["Guid"] and seen["Enabled"] is True
    assert invoke(online, online["token"], "Set-InboundConnector",
                  {"Identity": created["Guid"], "Enabled": False}).status_code == 200
    [old] = invoke(online, online["token"], "Get-InboundConnector", {"Identity": "Lagging"}).json()["value"]
    assert old["Enabled"] is True
    time.sleep(1.6)
    [new] = invoke(online, online["token"], "Get-InboundConnector", {"Identity": "Lagging"}).json()["value"]
    assert new["Enabled"] is False


def test_response_annotations_and_a_missed_identity_returning_all(lab_with):
    dummy_lab, online = lab_with("exo-response-annotations", "identity-miss-returns-all")
    _new(online, "First")
    _new(online, "Second")
    answer = invoke(online, online["token"], "Get-InboundConnector", {"Identity": "No such connector"})
    assert answer.status_code == 200
    connectors = answer.json()["value"]
    assert [connector["Name"] for connector in connectors] == ["First", "Second"]
    assert connectors[0]["Guid@odata.type"] == "#Guid" and connectors[0]["Guid@data.type"] == "System.Guid"
    assert connectors[0]["SenderDomains@odata.type"] == "#Collection(String)"
    assert connectors[0]["WhenChanged@data.type"] == "System.DateTime"
