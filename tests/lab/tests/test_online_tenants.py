"""Two tenants behind one service: each has its own apps, tokens and objects, and counts its own changes."""
from online_client import certificate_app, invoke, stats


def _token(online):
    result = certificate_app(online).acquire_token_for_client([online["scope"]])
    assert "access_token" in result, result
    return result["access_token"]


def _names(online, access_token):
    answer = invoke(online, access_token, "Get-InboundConnector")
    assert answer.status_code == 200, answer.text
    return [connector["Name"] for connector in answer.json()["value"]]


def test_each_tenant_keeps_its_own_objects_and_counts(lab):
    first = lab["online"]
    second = {**first, **first["second_tenant"]}
    assert second["tenant_id"] != first["tenant_id"] and second["client_id"] != first["client_id"]
    assert second["tenant_domain"] == "fabrikamlab.onmicrosoft.com"
    first_token, second_token = _token(first), _token(second)
    before = stats(lab)

    created = invoke(second, second_token, "New-InboundConnector",
                     {"Name": "Second tenant relay", "ConnectorType": "OnPremises", "SenderDomains": ["*"],
                      "SenderIPAddresses": ["203.0.113.9"], "RestrictDomainsToIPAddresses": True})
    assert created.status_code == 200, created.text
    assert _names(second, second_token) == ["Second tenant relay"]
    assert _names(first, first_token) == []

    after = stats(lab)
    counter = "online_writes_tenant_%s"
    assert after[counter % second["tenant_id"]] - before.get(counter % second["tenant_id"], 0) == 1
    assert after.get(counter % first["tenant_id"], 0) == before.get(counter % first["tenant_id"], 0)


def test_a_token_serves_only_its_own_tenant(lab):
    first = lab["online"]
    second = {**first, **first["second_tenant"]}
    refused = invoke(first, _token(second), "Get-InboundConnector")
    assert refused.status_code == 401
    assert "invalid_tenant" in refused.headers["x-ms-diagnostics"]


def test_an_app_of_one_tenant_is_unknown_in_the_other(lab):
    first = lab["online"]
    result = certificate_app({**first, "authority": first["second_tenant"]["authority"]}).acquire_token_for_client(
        [first["scope"]])
    assert result.get("error") == "unauthorized_client" or 700016 in result.get("error_codes", []), result
