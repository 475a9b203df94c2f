"""InvokeCommand: the inbound connector and accepted domain cmdlets over plain requests."""
import json
import time
import uuid
from pathlib import Path

import msal
import pytest

from exchange_lab.online import registration
from exchange_lab.online.access_tokens import AccessTokens
from online_client import error_detail, invoke, session, stats, token

NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"


@pytest.fixture
def online(lab):
    return {**lab["online"], "token": token(lab["online"])}


def _new(online, name, **parameters):
    return invoke(online, online["token"], "New-InboundConnector", {"Name": name, **parameters})


def test_connector_lifecycle(lab, online):
    created = _new(online, "From on-prem", ConnectorType="OnPremises", SenderDomains=["*"],
                   SenderIPAddresses=["203.0.113.10", "198.51.100.0/24"], RequireTls=True,
                   RestrictDomainsToIPAddresses=True, TlsSenderCertificateName="*.contoso.com",
                   Comment="relay")
    assert created.status_code == 200, created.text
    body = created.json()
    assert "@odata.context" in body
    [connector] = body["value"]
    assert connector["SenderDomains"] == ["smtp:*;1"]
    assert connector["SenderIPAddresses"] == ["203.0.113.10", "198.51.100.0/24"]
    assert connector["TlsSenderCertificateName"] == "*.contoso.com"
    assert connector["Identity"] == connector["Name"] == "From on-prem"
    assert connector["Enabled"] is True and connector["ConnectorType"] == "OnPremises"
    for key in ("ConnectorSource", "AssociatedAcceptedDomains", "CloudServicesMailEnabled", "TreatMessagesAsInternal",
                "EFSkipLastIP", "EFSkipIPs", "WhenCreated", "WhenChanged", "Guid"):
        assert key in connector, key

    got = invoke(online, online["token"], "Get-InboundConnector", {"Identity": "from ON-PREM"}).json()["value"]
    assert got == [connector]

    edit = {"@odata.type": "#Exchange.GenericHashTable", "Add": ["192.0.2.7"], "Remove": ["203.0.113.10"]}
    changed = invoke(online, online["token"], "Set-InboundConnector",
                     {"Identity": connector["Guid"], "SenderIPAddresses": edit, "SenderDomains": ["contoso.com"],
                      "Enabled": False})
    assert changed.status_code == 200 and changed.json()["value"] == []
    [after] = invoke(online, online["token"], "Get-InboundConnector", {"Identity": "From on-prem"}).json()["value"]
    assert after["SenderIPAddresses"] == ["198.51.100.0/24", "192.0.2.7"]
    assert after["SenderDomains"] == ["smtp:contoso.com;1"] and after["Enabled"] is False

    unchanged = invoke(online, online["token"], "Set-InboundConnector",
                       {"Identity": "From on-prem", "Enabled": False, "SenderDomains": ["smtp:contoso.com;1"]})
    assert unchanged.status_code == 200 and unchanged.json()["@adminapi.warnings"]

    counters = stats(lab)
    assert (counters["online_write_calls"], counters["online_writes"]) == (3, 2)

    removed = invoke(online, online["token"], "Remove-InboundConnector", {"Identity": "From on-prem"})
    assert removed.status_code == 200
    missing = invoke(online, online["token"], "Get-InboundConnector", {"Identity": "From on-prem"})
    assert missing.status_code == 404 and error_detail(missing)[0] == NOT_FOUND
    assert "'From on-prem'" in error_detail(missing)[1]
    gone = invoke(online, online["token"], "Remove-InboundConnector", {"Identity": "From on-prem"})
    assert gone.status_code == 404
    assert stats(lab)["online_writes"] == 3


def test_changes_are_counted_per_app(lab, online):
    secret_app = online["client_secret_app"]
    secret_token = msal.ConfidentialClientApplication(
        secret_app["client_id"], authority=online["authority"], client_credential=secret_app["client_secret"],
        http_client=session(online), instance_discovery=False).acquire_token_for_client([online["scope"]])
    certificate_counter = "online_writes_app_" + online["client_id"]
    secret_counter = "online_writes_app_" + secret_app["client_id"]
    before = stats(lab)
    assert _new(online, "Per app one", ConnectorType="Partner", SenderDomains=["*"]).status_code == 200
    assert invoke(online, secret_token["access_token"], "New-InboundConnector",
                  {"Name": "Per app two", "ConnectorType": "Partner", "SenderDomains": ["*"]}).status_code == 200
    assert invoke(online, secret_token["access_token"], "Remove-InboundConnector",
                  {"Identity": "Per app one"}).status_code == 200
    after = stats(lab)
    assert after[certificate_counter] - before.get(certificate_counter, 0) == 1
    assert after[secret_counter] - before.get(secret_counter, 0) == 2


@pytest.mark.parametrize("parameters, exception", [
    ({"SenderIPAddresses": ["192.0.2.0/23"]}, "ParameterBindingArgumentTransformationException"),
    ({"SenderIPAddresses": ["2001:db8::1"]}, "ParameterBindingArgumentTransformationException"),
    ({"SenderIPAddresses": ["192.0.2.1-192.0.2.9"]}, "ParameterBindingArgumentTransformationException"),
    ({"TlsSenderCertificateName": "mail.*.contoso.com"}, "ParameterBindingArgumentTransformationException"),
    ({"SenderDomains": ["domain.*.contoso.com"]}, "ParameterBindingArgumentTransformationException"),
    ({"ConnectorType": "Hybrid"}, "ParameterBindingException"),
    ({"ConnectorType": "Partner", "TreatMessagesAsInternal": True}, "DataValidationException"),
    ({"ConnectorType": "OnPremises", "TreatMessagesAsInternal": True, "CloudServicesMailEnabled": True},
     "DataValidationException"),
    ({"RequireTls": "yes"}, "ParameterBindingArgumentTransformationException"),
    ({"AssociatedAcceptedDomains": ["fabrikam.com"]}, "DataValidationException"),
    ({"NoSuchParameter": 1}, "ParameterBindingException"),
])
def test_new_refuses_invalid_values(lab_session, parameters, exception):
    online = {**lab_session["online"], "token": token(lab_session["online"])}
    name = f"refused-{uuid.uuid4().hex[:8]}"
    response = _new(online, name, **{"SenderDomains": ["*"], **parameters})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == "Error executing cmdlet"
    assert error_detail(response)[0].endswith("." + exception)
    assert invoke(online, online["token"], "Get-InboundConnector", {"Identity": name}).status_code == 404


def test_rules_that_allow(lab_session):
    online = {**lab_session["online"], "token": token(lab_session["online"])}
    name = f"allowed-{uuid.uuid4().hex[:8]}"
    response = _new(online, name, SenderDomains=["*.contoso.com", "fabrikam.com"], SenderIPAddresses=["192.0.2.1/32"],
                    ConnectorType="OnPremises", TreatMessagesAsInternal=True,
                    AssociatedAcceptedDomains=["contoso.com"])
    assert response.status_code == 200, response.text
    [connector] = response.json()["value"]
    assert connector["SenderDomains"] == ["smtp:*.contoso.com;1", "smtp:fabrikam.com;1"]
    assert connector["SenderIPAddresses"] == ["192.0.2.1/32"]
    assert _new(online, name.upper(), SenderDomains=["*"]).status_code == 400  # names are unique, case-insensitively
    missing = invoke(online, online["token"], "New-InboundConnector", {"Name": f"{name}-2"})
    assert missing.status_code == 400 and "SenderDomains" in error_detail(missing)[1]
    partner = invoke(online, online["token"], "Set-InboundConnector", {"Identity": name, "ConnectorType": "Partner"})
    assert partner.status_code == 400  # TreatMessagesAsInternal is still true


def test_paging_and_accepted_domains(lab, online):
    names = [f"paged-{index}" for index in range(5)]
    for name in names:
        assert _new(online, name, SenderDomains=["*"]).status_code == 200
    seen, pages = [], 0
    response = invoke(online, online["token"], "Get-InboundConnector", page_size=2)
    while True:
        body = response.json()
        assert response.status_code == 200 and len(body["value"]) <= 2
        seen += [connector["Name"] for connector in body["value"]]
        pages += 1
        if "@odata.nextLink" not in body:
            break
        response = invoke(online, online["token"], "Get-InboundConnector", page_size=2, url=body["@odata.nextLink"])
    assert (seen, pages) == (names, 3)

    domains = invoke(online, online["token"], "Get-AcceptedDomain", tenant=online["tenant_domain"]).json()["value"]
    by_name = {domain["DomainName"]: domain for domain in domains}
    assert set(by_name) == {"mailflowlab.onmicrosoft.com", "contoso.com"}
    assert by_name["contoso.com"]["DomainType"] == "Authoritative"
    assert by_name["mailflowlab.onmicrosoft.com"]["InitialDomain"] is True


def test_tokens_the_endpoint_refuses(lab, tmp_path):
    online = lab["online"]
    reg = registration.load_or_create(Path(lab["state"]))
    issuer = AccessTokens(reg)
    expired, _ = issuer.issue(reg.certificate_app, True, now=time.time() - 7200)
    graph, _ = issuer.issue(reg.certificate_app, True, audience="https://graph.microsoft.com")
    forged_reg = registration.load_or_create(tmp_path / "forged")  # another tenant, another signing key
    forged, _ = AccessTokens(forged_reg).issue(forged_reg.certificate_app, True)
    for bad in (None, "", "not-a-jwt", expired, graph, forged):
        response = invoke(online, bad, "Get-AcceptedDomain")
        assert response.status_code == 401, bad
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    good = token(online)
    other_tenant = invoke(online, good, "Get-AcceptedDomain", tenant=str(uuid.uuid4()))
    assert other_tenant.status_code == 401
    assert invoke(online, good, "Get-AcceptedDomain").status_code == 200
    assert stats(lab)["rest_requests"] == 8


def test_throttling_faults_on_demand(lab, online):
    Path(online["faults"]).write_text(json.dumps({"rest": [{"status": 429, "retry_after": 3}, {"status": 503}]}))
    throttled = invoke(online, online["token"], "Get-AcceptedDomain")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    assert invoke(online, online["token"], "Get-AcceptedDomain").status_code == 503
    assert invoke(online, online["token"], "Get-AcceptedDomain").status_code == 200


def test_state_persists_and_reset_and_restricted_tenant(lab_process, tmp_path):
    state = tmp_path / "online-state"
    first = lab_process(state_dir=state)
    online = first.wait_ready()["online"]
    assert _new({**online, "token": token(online)}, "kept", SenderDomains=["*"]).status_code == 200
    first.stop()

    second = lab_process(state_dir=state)
    online = second.wait_ready()["online"]
    live = {**online, "token": token(online)}  # same app registration after a restart
    assert invoke(live, live["token"], "Get-InboundConnector", {"Identity": "kept"}).status_code == 200
    second.stop()

    third = lab_process("--reset", "--online-restrict-inbound-connectors", state_dir=state)
    online = third.wait_ready()["online"]
    live = {**online, "token": token(online)}
    assert invoke(live, live["token"], "Get-InboundConnector").json()["value"] == []
    refused = _new(live, "dev tenant", SenderDomains=["*"])
    assert refused.status_code == 400 and "E5" in error_detail(refused)[1]


def test_issued_tokens_are_recorded_for_the_secrets_scan(lab):
    online = lab["online"]
    issued = token(online)
    with open(online["issued_tokens"], encoding="ascii") as record:
        assert issued in record.read().splitlines()


def test_add_edits_sent_at_once_all_land(online):
    """Set-InboundConnector.md: @{Add=...} adds "without affecting any existing entries"; each
    cmdlet applies its edit to the stored list under the tenant's lock, so no edit is lost."""
    from concurrent.futures import ThreadPoolExecutor

    assert _new(online, "Devices", ConnectorType="OnPremises", SenderDomains=["*"],
                SenderIPAddresses=["198.51.100.254"], RestrictDomainsToIPAddresses=True).status_code == 200

    def add(number):
        edit = {"@odata.type": "#Exchange.GenericHashTable", "Add": [f"198.51.100.{number}"]}
        return invoke(online, online["token"], "Set-InboundConnector",
                      {"Identity": "Devices", "SenderIPAddresses": edit}).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert list(pool.map(add, range(1, 11))) == [200] * 10
    [after] = invoke(online, online["token"], "Get-InboundConnector", {"Identity": "Devices"}).json()["value"]
    assert sorted(after["SenderIPAddresses"]) == sorted([f"198.51.100.{n}" for n in range(1, 11)] + ["198.51.100.254"])


def test_an_edit_without_its_odata_type_is_refused(online):
    assert _new(online, "Typed", ConnectorType="Partner", SenderDomains=["contoso.com"]).status_code == 200
    refused = invoke(online, online["token"], "Set-InboundConnector",
                     {"Identity": "Typed", "SenderDomains": {"Add": ["fabrikam.com"]}})
    assert refused.status_code == 400
    assert "ParameterBindingArgumentTransformationException" in error_detail(refused)[0]
    assert "GenericHashTable" in error_detail(refused)[1]
