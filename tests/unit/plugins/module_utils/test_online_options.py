# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange Online connection options: spec merging, credential rules, clouds and endpoints."""

from __future__ import annotations

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._online import client as online
from ansible_collections.mailflow.exchange.plugins.module_utils._online import clouds
from ansible_collections.mailflow.exchange.plugins.module_utils._online.rest import OnlineClient

TENANT_ID = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"


class Failed(Exception):
    pass


class StandInModule:
    """The two AnsibleModule methods check_online_options uses."""

    def __init__(self, **params):
        self.params = {name: spec.get("default") for name, spec in online.ONLINE_CONNECTION_SPEC.items()}
        self.params.update(tenant=TENANT_ID, client_id="11111111-2222-3333-4444-555555555555")
        self.params.update(params)
        self.warnings = []

    def fail_json(self, msg, **kwargs):
        raise Failed(msg)

    def warn(self, text):
        self.warnings.append(text)


def test_spec_merge_refuses_clashes():
    merged = online.online_argument_spec(dict(name=dict(type="str")))
    assert "name" in merged and "tenant" in merged
    with pytest.raises(ValueError, match="timeout"):
        online.online_argument_spec(dict(timeout=dict(type="int")))
    with pytest.raises(ValueError, match="name"):
        online.online_argument_spec(dict(name=dict(type="str")), dict(name=dict(type="str")))


def test_every_option_has_an_exo_environment_variable():
    for name, spec in online.ONLINE_CONNECTION_SPEC.items():
        assert spec["fallback"][1] == ["EXO_" + name.upper()]


def test_secrets_are_not_logged():
    assert online.ONLINE_CONNECTION_SPEC["pfx_password"]["no_log"]
    assert online.ONLINE_CONNECTION_SPEC["client_secret"]["no_log"]


@pytest.mark.parametrize("params, fragment", [
    ({}, "give one credential"),
    ({"certificate": "/a.pem", "client_secret": "x"}, "not certificate and client_secret"),
    ({"pfx": "/a.pfx", "private_key": "/a.key"}, "private_key belongs to certificate"),
    ({"client_secret": "x", "pfx_password": "y"}, "pfx_password belongs to pfx"),
])
def test_exactly_one_credential(params, fragment):
    with pytest.raises(Failed, match=fragment):
        online.check_online_options(StandInModule(**params))


@pytest.mark.parametrize("params, fragment", [
    ({"tenant": "contoso"}, "tenant must be the tenant GUID"),
    ({"authority_url": "http://127.0.0.1:8443"}, "authority_url must be an https:// base URL"),
    ({"exchange_url": "https://127.0.0.1:8443/adminapi/beta"}, "exchange_url must be an https:// base URL"),
    ({"timeout": 0}, "timeout must be a positive"),
    ({"cloud": "germany"}, "cloud must be one of china, commercial, dod, gcc_high"),
])
def test_bad_addresses_fail_naming_the_option(params, fragment):
    with pytest.raises(Failed, match=fragment):
        online.check_online_options(StandInModule(client_secret="x", **params))


def test_pfx_problems_fail_before_any_request(tmp_path):
    path = tmp_path / "broken.pfx"
    path.write_bytes(b"not a pkcs12 file")
    with pytest.raises(Failed, match="pfx_password: cannot open .*broken.pfx"):
        online.check_online_options(StandInModule(pfx=str(path), pfx_password="hunter2-Secret"))


def test_secret_and_no_validation_are_warned_about():
    module = StandInModule(client_secret="x", validate_certs=False, tenant="contoso.onmicrosoft.com")
    online.check_online_options(module)
    assert any("unsupported" in text for text in module.warnings)
    assert any("validate_certs=false" in text for text in module.warnings)


@pytest.mark.parametrize("cloud, authority, scope", [
    ("commercial", "https://login.microsoftonline.com/" + TENANT_ID, "https://outlook.office365.com/.default"),
    ("gcc_high", "https://login.microsoftonline.us/" + TENANT_ID, "https://outlook.office365.us/.default"),
    # admin-api-get-started lists https://outlook-dod.office365.us as DoD's base URL.
    ("dod", "https://login.microsoftonline.us/" + TENANT_ID, "https://outlook-dod.office365.us/.default"),
    ("china", "https://login.chinacloudapi.cn/" + TENANT_ID, "https://partner.outlook.cn/.default"),
])
def test_cloud_endpoints(cloud, authority, scope):
    found = clouds.endpoints(StandInModule(cloud=cloud).params)
    assert (found.authority, found.scope, found.custom_authority) == (authority, scope, False)
    assert found.exchange_base == scope[:-len("/.default")]


def test_overrides_move_the_transport_not_the_token_audience():
    params = StandInModule(authority_url="https://127.0.0.1:9443/", exchange_url="https://127.0.0.1:9444",
                           allow_custom_endpoints=True).params
    found = clouds.endpoints(params)
    assert found.authority == "https://127.0.0.1:9443/" + TENANT_ID
    assert found.exchange_base == "https://127.0.0.1:9444"
    assert found.scope == "https://outlook.office365.com/.default"
    assert found.custom_authority is True
    assert OnlineClient(params).url == "https://127.0.0.1:9444/adminapi/beta/%s/InvokeCommand" % TENANT_ID


@pytest.mark.parametrize("option, url", [
    ("exchange_url", "https://evil.example"),
    ("exchange_url", "https://outlook.office365.com.evil.example"),
    ("exchange_url", "https://outlook.office365.com:8443"),
    ("exchange_url", "https://outlook.office365.us"),  # GCC High's host, not the commercial cloud's
    ("authority_url", "https://login.evil.example"),
    ("authority_url", "https://127.0.0.1:9443"),
])
def test_overrides_to_other_hosts_need_allow_custom_endpoints(option, url):
    # The token (and with client_secret the secret) would go to that host.
    with pytest.raises(Failed, match="%s may only name Microsoft's hosts of cloud commercial" % option):
        online.check_online_options(StandInModule(client_secret="x", **{option: url}))


@pytest.mark.parametrize("allow", [False, True])
@pytest.mark.parametrize("option, url", [
    ("exchange_url", "https://outlook.office365.com@evil.example"),
    ("exchange_url", "https://user:pass@outlook.office365.com"),
    ("authority_url", "https://login.microsoftonline.com@evil.example"),
])
def test_userinfo_is_always_refused(option, url, allow):
    with pytest.raises(Failed, match="%s must not hold a user name or password" % option):
        online.check_online_options(StandInModule(client_secret="x", allow_custom_endpoints=allow, **{option: url}))


@pytest.mark.parametrize("allow", [False, True])
@pytest.mark.parametrize("url", ["https://outlook.office365.com?", "https://outlook.office365.com#",
                                 " https://outlook.office365.com", "https://outlook.office365.com\t",
                                 "https://outlook.office365.com/\n"])
def test_a_base_url_with_an_empty_query_fragment_or_whitespace_is_refused(url, allow):
    # urlsplit drops them, but each request URL would carry them: "?" sent every cmdlet to the endpoint's
    # root, whose 404 read as "not found" (state=absent reported ok without looking).
    with pytest.raises(Failed, match="exchange_url must be an https:// base URL"):
        online.check_online_options(StandInModule(client_secret="x", allow_custom_endpoints=allow, exchange_url=url))


@pytest.mark.parametrize("cloud, option, url", [
    ("commercial", "exchange_url", "https://outlook.office365.com"),
    ("commercial", "exchange_url", "https://OUTLOOK.office365.com:443/"),
    ("dod", "exchange_url", "https://webmail.apps.mil"),  # Connect-ExchangeOnline.md, ConnectionUri
    ("china", "exchange_url", "https://outlook.office365.cn"),  # admin-api-get-started
    ("china", "authority_url", "https://login.partner.microsoftonline.cn"),
    ("gcc_high", "authority_url", "https://login.microsoftonline.us"),
])
def test_the_clouds_own_hosts_are_accepted_without_warning(cloud, option, url):
    module = StandInModule(client_secret="x", cloud=cloud, **{option: url})
    online.check_online_options(module)
    assert not any("allow_custom_endpoints" in text for text in module.warnings)


def test_custom_endpoints_are_warned_about_on_every_task():
    for dummy_task in range(2):
        module = StandInModule(client_secret="x", allow_custom_endpoints=True, authority_url="https://127.0.0.1:9443",
                               exchange_url="https://127.0.0.1:9444")
        online.check_online_options(module)
        warning = next(text for text in module.warnings if "allow_custom_endpoints=true" in text)
        assert "authority_url and exchange_url" in warning and "client secret" in warning
