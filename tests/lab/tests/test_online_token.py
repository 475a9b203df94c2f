"""The lab's Entra ID token service against an unmodified msal (and hand-made assertions)."""
import base64
import json
import stat
import time
import uuid
from pathlib import Path

import msal
import jwt  # PyJWT: msal's own dependency, used here to forge assertions msal would never send
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from online_client import certificate_app, session, stats, thumbprint


def _claims(access_token: str) -> dict:
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class RecordingSession(requests.Session):
    """A plain requests.Session that remembers what msal sent."""

    def __init__(self, online: dict):
        super().__init__()
        self.verify, self.trust_env = online["ca_path"], False
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        return super().send(request, **kwargs)


def _assertion_header(request: requests.PreparedRequest) -> dict:
    form = dict(pair.split("=", 1) for pair in request.body.split("&"))
    header = requests.utils.unquote(form["client_assertion"]).split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))


def test_lab_json_online_entry(lab):
    online = lab["online"]
    assert set(online) >= {"tenant_id", "tenant_domain", "client_id", "certificate", "private_key", "pfx",
                           "pfx_password", "client_secret_app", "authority", "scope", "rest_base_url", "ca_path"}
    assert online["tenant_domain"] == "mailflowlab.onmicrosoft.com"
    assert str(uuid.UUID(online["tenant_id"])) == online["tenant_id"]
    assert online["authority"] == f"{online['rest_base_url']}/{online['tenant_id']}"
    assert online["rest_base_url"].startswith("https://127.0.0.1:")
    assert online["scope"] == "https://outlook.office365.com/.default"
    for secret_file in (online["private_key"], online["pfx"], Path(lab["state"]) / "lab.json"):
        assert stat.S_IMODE(Path(secret_file).stat().st_mode) == 0o600, secret_file


def test_lab_json_env_online_reaches_the_tenant_by_the_collections_variables(lab):
    online, env = lab["online"], lab["env_online"]
    assert env == {
        "EXO_TENANT": online["tenant_id"], "EXO_CLIENT_ID": online["client_id"],
        "EXO_CERTIFICATE": online["certificate"], "EXO_PRIVATE_KEY": online["private_key"],
        "EXO_AUTHORITY_URL": online["rest_base_url"], "EXO_EXCHANGE_URL": online["rest_base_url"],
        "EXO_CA_PATH": online["ca_path"], "EXO_ALLOW_CUSTOM_ENDPOINTS": "true",
    }
    # Base URLs, as the collection takes them: scheme://host:port, no path.
    assert env["EXO_EXCHANGE_URL"].count("/") == 2


def test_openid_configuration_names_the_endpoints(lab):
    online = lab["online"]
    with session(online) as http:
        for tenant in (online["tenant_id"], online["tenant_domain"]):
            metadata = http.get(f"{online['rest_base_url']}/{tenant}/v2.0/.well-known/openid-configuration",
                                timeout=10).json()
            assert metadata["token_endpoint"] == f"{online['authority']}/oauth2/v2.0/token"
            assert metadata["authorization_endpoint"] == f"{online['authority']}/oauth2/v2.0/authorize"
            assert metadata["issuer"] == f"{online['authority']}/v2.0"
        unknown = http.get(f"{online['rest_base_url']}/{uuid.uuid4()}/v2.0/.well-known/openid-configuration",
                           timeout=10)
    assert unknown.status_code == 400 and unknown.json()["error_codes"] == [90002]


def test_msal_certificate_token_is_cached(lab):
    online = lab["online"]
    http = RecordingSession(online)
    app = certificate_app(online, http)
    first = app.acquire_token_for_client([online["scope"]])
    assert first.get("token_type") == "Bearer", first
    claims = _claims(first["access_token"])
    assert claims["aud"] == "https://outlook.office365.com"
    assert claims["tid"] == online["tenant_id"] and claims["appid"] == online["client_id"]
    assert claims["roles"] == ["Exchange.ManageAsApp"] and claims["exp"] > time.time() + 600
    assert _assertion_header(http.sent[-1])["alg"] == "RS256"
    second = app.acquire_token_for_client([online["scope"]])
    assert second["access_token"] == first["access_token"]
    assert second["token_source"] == "cache"
    assert stats(lab)["token_requests"] == 1


def test_msal_public_certificate_sends_ps256_and_is_accepted(lab):
    online = lab["online"]
    http = RecordingSession(online)
    app = certificate_app(online, http, private_key=Path(online["private_key"]).read_text(),
                          public_certificate=Path(online["certificate"]).read_text())
    result = app.acquire_token_for_client([online["scope"]])
    assert "access_token" in result, result
    header = _assertion_header(http.sent[-1])
    assert header["alg"] == "PS256" and "x5t#S256" in header and header["x5c"]


def test_msal_pfx_with_password(lab):
    online = lab["online"]
    app = certificate_app(online, private_key_pfx_path=online["pfx"], passphrase=online["pfx_password"])
    assert "access_token" in app.acquire_token_for_client([online["scope"]])


def test_wrong_key_is_aadsts700027(lab):
    online = lab["online"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    # The registered certificate's thumbprint, signed with another key: a bad signature.
    registered = thumbprint(Path(online["certificate"]).read_bytes())
    for credential in ({"private_key": other, "thumbprint": registered},
                       {"private_key": other, "thumbprint": "ab" * 20}):  # a key Entra doesn't know
        result = certificate_app(online, **credential).acquire_token_for_client([online["scope"]])
        assert "access_token" not in result
        assert result["error"] == "invalid_client"
        assert result["error_codes"] == [700027]
        assert result["error_description"].startswith("AADSTS700027: ")
        assert {"timestamp", "trace_id", "correlation_id"} <= set(result)


def test_client_secret_app(lab):
    online = lab["online"]
    secret_app = online["client_secret_app"]

    def app(secret):
        return msal.ConfidentialClientApplication(
            secret_app["client_id"], authority=online["authority"], client_credential=secret,
            http_client=session(online), instance_discovery=False)

    good = app(secret_app["client_secret"]).acquire_token_for_client([online["scope"]])
    assert _claims(good["access_token"])["appid"] == secret_app["client_id"]
    bad = app("not-the-secret").acquire_token_for_client([online["scope"]])
    assert bad["error_codes"] == [7000215] and bad["error"] == "invalid_client"


def _post_token(online: dict, **form) -> requests.Response:
    url = f"{online['authority']}/oauth2/v2.0/token"
    body = {"grant_type": "client_credentials", "scope": online["scope"], **form}
    with session(online) as http:
        return http.post(url, data=body, timeout=10)


def _assertion(online: dict, **overrides) -> str:
    now = time.time()
    claims = {"aud": f"{online['authority']}/oauth2/v2.0/token", "iss": online["client_id"],
              "sub": online["client_id"], "iat": now, "exp": now + 600, "jti": str(uuid.uuid4())}
    claims.update(overrides)
    sha1 = bytes.fromhex(thumbprint(Path(online["certificate"]).read_bytes()))
    return jwt.encode(claims, Path(online["private_key"]).read_text(), algorithm="RS256",
                      headers={"x5t": base64.urlsafe_b64encode(sha1).decode()})


@pytest.mark.parametrize("overrides, code", [
    ({}, None),
    ({"aud": "https://login.microsoftonline.com/common/oauth2/v2.0/token"}, 700212),
    ({"exp": time.time() - 60, "iat": time.time() - 660}, 700024),
    ({"iss": "11111111-1111-1111-1111-111111111111"}, 700023),
    ({"sub": "11111111-1111-1111-1111-111111111111"}, 700021),
])
def test_assertion_claims_are_checked(lab, overrides, code):
    online = lab["online"]
    response = _post_token(online, client_id=online["client_id"], client_assertion=_assertion(online, **overrides),
                           client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    if code is None:
        assert response.status_code == 200 and response.json()["access_token"]
        return
    body = response.json()
    assert response.status_code == 401
    assert body["error_codes"] == [code] and body["error_description"].startswith(f"AADSTS{code}: ")


def test_unknown_client_and_tenant(lab):
    online = lab["online"]
    unknown_client = _post_token(online, client_id=str(uuid.uuid4()), client_secret="x")
    assert unknown_client.status_code == 400 and unknown_client.json()["error_codes"] == [700016]
    with session(online) as http:
        unknown_tenant = http.post(f"{online['rest_base_url']}/{uuid.uuid4()}/oauth2/v2.0/token", timeout=10,
                                   data={"grant_type": "client_credentials", "client_id": online["client_id"]})
    assert unknown_tenant.status_code == 400 and unknown_tenant.json()["error_codes"] == [90002]
    assert stats(lab)["token_requests"] == 2
