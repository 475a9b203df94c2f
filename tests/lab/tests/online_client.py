"""Client helpers for the Exchange Online tests: what a real caller does, nothing of the lab's.

Sessions trust only the lab CA (trust_env off: REQUESTS_CA_BUNDLE is set on these machines),
tokens come from an unmodified msal, cmdlets go to InvokeCommand as JSON.
"""
import json
from pathlib import Path

import msal
import requests


def session(online: dict) -> requests.Session:
    http = requests.Session()
    http.verify = online["ca_path"]
    http.trust_env = False
    return http


def thumbprint(certificate_pem: bytes) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    return x509.load_pem_x509_certificate(certificate_pem).fingerprint(hashes.SHA1()).hex()


def certificate_app(online: dict, http: requests.Session | None = None,
                    **credential) -> msal.ConfidentialClientApplication:
    """The documented app-only setup: private key PEM + SHA-1 thumbprint, unless ``credential`` says otherwise."""
    if not credential:
        credential = {"private_key": Path(online["private_key"]).read_text(),
                      "thumbprint": thumbprint(Path(online["certificate"]).read_bytes())}
    return msal.ConfidentialClientApplication(
        online["client_id"], authority=online["authority"], client_credential=credential,
        http_client=http or session(online), instance_discovery=False)


def token(online: dict) -> str:
    result = certificate_app(online).acquire_token_for_client([online["scope"]])
    assert "access_token" in result, result
    return result["access_token"]


def stats(lab: dict) -> dict:
    return json.loads(Path(lab["stats"]).read_text())


def invoke(online: dict, access_token: str | None, cmdlet: str, parameters: dict | None = None,
           page_size: int | None = 1000, url: str | None = None, tenant: str | None = None) -> requests.Response:
    """POST one cmdlet to InvokeCommand with the headers the ExchangeOnlineManagement module sends."""
    tenant = tenant or online["tenant_id"]
    headers = {"Content-Type": "application/json; charset=utf-8", "X-CmdletName": cmdlet,
               "X-ResponseFormat": "json",
               "X-AnchorMailbox": f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{online['tenant_id']}"}
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}"
    if page_size is not None:
        headers["Prefer"] = f"odata.maxpagesize={page_size}"
    body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters or {}}}
    target = url or f"{online['rest_base_url']}/adminapi/beta/{tenant}/InvokeCommand"
    with session(online) as http:
        return http.post(target, json=body, headers=headers, timeout=10)


def error_detail(response: requests.Response) -> tuple[str, str]:
    """(ExceptionType, text) from details[0].message, which reads "<stringId>|<type>|<text>"."""
    _string_id, exception_type, text = response.json()["error"]["details"][0]["message"].split("|", 2)
    return exception_type, text
