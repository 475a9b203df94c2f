# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parts of the Exchange Online REST client: error bodies, Retry-After, the retry bound."""

from __future__ import annotations

import base64
import io
import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
from urllib3.response import HTTPResponse

from ansible_collections.mailflow.exchange.plugins.module_utils._online import rest as online_rest
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
    ExchangeOutcomeUnknown,
)

# The shape Exchange Online answers a cmdlet error with (EXCHANGE.md section 5); texts written for the test.
NOT_FOUND_BODY = {
    "error": {
        "code": "NotFound",
        "message": "Error executing cmdlet",
        "details": [{
            "code": "Context",
            "target": "",
            "message": "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|"
                       "The operation couldn't be performed because object 'Relay | Fabrikam' couldn't be "
                       "found on 'AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM'.",
        }],
        "innererror": {"message": "Error executing cmdlet",
                       "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                       "internalexception": {"message": "..."}},
    }
}

VALIDATION_BODY = {
    "error": {
        "code": "BadRequest",
        "message": "Error executing cmdlet",
        "details": [{"code": "Client", "target": "",
                     "message": "|Microsoft.Exchange.Management.Tasks.DataValidationException|"
                                "SenderIPAddresses: IPv6 addresses are not supported."}],
    }
}


def test_not_found_error_is_recognised():
    err = online_rest.error_from_body(404, NOT_FOUND_BODY, "Get-InboundConnector")
    assert err.not_found
    assert err.error_id == "Ex6F9304"
    assert err.exception_type == "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    assert err.category == "ObjectNotFound"
    assert err.message.startswith("The operation couldn't be performed because object 'Relay | Fabrikam'")
    assert str(err).startswith("Get-InboundConnector failed: ")


def test_empty_string_id_and_validation_error():
    err = online_rest.error_from_body(400, VALIDATION_BODY, "New-InboundConnector")
    assert not err.not_found
    assert err.error_id is None
    assert err.category == "InvalidData"
    assert err.message == "SenderIPAddresses: IPv6 addresses are not supported."


def test_error_without_details_uses_the_error_message():
    body = {"error": {"code": "InternalServerError", "message": "An internal server error occurred."}}
    err = online_rest.error_from_body(500, body, "Get-InboundConnector")
    assert err.message == "An internal server error occurred."
    assert err.error_id == "InternalServerError"


def test_non_json_error_keeps_status_and_an_excerpt():
    err = online_rest.error_from_body(502, "<html>" + "x" * 1000, "Get-InboundConnector")
    assert err.message.startswith("HTTP 502: <html>")
    assert len(err.message) < 400


def test_plain_message_without_separators():
    err = online_rest.error_from_message("Something odd happened.", "Set-InboundConnector")
    assert (err.message, err.exception_type, err.error_id) == ("Something odd happened.", None, None)
    assert isinstance(err, ExchangeError)


@pytest.mark.parametrize("cmdlet, read", [
    ("Get-InboundConnector", True), ("Test-OAuthConnectivity", True),
    ("New-InboundConnector", False), ("Set-InboundConnector", False), ("Remove-InboundConnector", False),
])
def test_reads_are_told_from_writes_by_the_verb(cmdlet, read):
    assert online_rest.is_read(cmdlet) is read


def test_retry_after_in_seconds_and_as_date():
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert online_rest.parse_retry_after("7") == 7.0
    assert online_rest.parse_retry_after(" 12 ") == 12.0
    assert online_rest.parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert online_rest.parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert online_rest.parse_retry_after(None) is None
    assert online_rest.parse_retry_after("soon") is None


def test_retry_after_may_be_a_decimal_number():
    assert online_rest.parse_retry_after("2.5") == 2.5
    assert online_rest.parse_retry_after("0.75") == 0.75
    assert online_rest.parse_retry_after("-1") is None


def test_details_message_as_json_is_read_like_the_pipe_form():
    body = {"error": {"code": "BadRequest", "message": "Error executing cmdlet", "details": [{
        "code": "Client", "target": "", "message": json.dumps({
            "errorId": "Ex6F9304",
            "exceptionType": "Microsoft.Exchange.Management.Tasks.DataValidationException",
            "message": "SenderIPAddresses: IPv6 addresses are not supported."})}]}}
    err = online_rest.error_from_body(400, body, "New-InboundConnector")
    assert err.message == "SenderIPAddresses: IPv6 addresses are not supported."
    assert (err.error_id, err.category) == ("Ex6F9304", "InvalidData")


def test_http_404_is_not_found_whatever_the_body():
    for body in ({"error": {"code": "NotFound", "message": "Not found"}}, None, "Not Found"):
        err = online_rest.error_from_body(404, body, "Get-InboundConnector")
        assert err.not_found and err.category == "ObjectNotFound"


def test_backoff_without_retry_after_and_the_attempt_bound():
    delays = [online_rest.retry_delay(attempt, None, 0.0) for attempt in range(1, online_rest.MAX_ATTEMPTS + 1)]
    assert delays[:-1] == [2.0, 4.0, 8.0][:online_rest.MAX_ATTEMPTS - 1]
    assert delays[-1] is None


def test_retry_after_is_honoured_but_bounded():
    assert online_rest.retry_delay(1, 5.0, 0.0) == 5.0
    assert online_rest.retry_delay(1, 0.0, 0.0) == 1.0  # never hammer the service
    assert online_rest.retry_delay(1, online_rest.MAX_SINGLE_WAIT + 1, 0.0) is None
    assert online_rest.retry_delay(2, 10.0, online_rest.MAX_TOTAL_WAIT - 5) is None


def test_total_wait_over_a_whole_retry_sequence_stays_under_the_cap():
    waited, attempt = 0.0, 0
    while True:
        attempt += 1
        delay = online_rest.retry_delay(attempt, 25.0, waited)
        if delay is None:
            break
        waited += delay
    assert waited <= online_rest.MAX_TOTAL_WAIT
    assert attempt <= online_rest.MAX_ATTEMPTS


# A client whose HTTP answers are scripted: what the real service answered, as public clients report it.
TENANT_GUID = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"


def _b64_json(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _token(claims):
    return "%s.%s.signature" % (_b64_json({"alg": "RS256"}), _b64_json(claims))


class ScriptedTokens:
    def __init__(self, claims=None):
        self.claims = claims if claims is not None else {"tid": TENANT_GUID}
        self.invalidated = 0

    def token(self):
        return _token(self.claims)

    def invalidate(self):
        self.invalidated += 1


class ScriptedSession:
    """requests.Session.post answering from a list of (status, body bytes, headers) or exceptions."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []

    def post(self, url, headers=None, json=None, stream=False):
        self.requests.append((url, headers, json))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body, answer_headers = answer
        response = requests.models.Response()
        response.status_code = status
        response.headers.update(answer_headers)
        response.raw = HTTPResponse(body=io.BytesIO(body), headers=answer_headers, preload_content=False,
                                    decode_content=True)
        return response

    def close(self):
        pass


def scripted_client(answers, tenant="contoso.com", tokens=None):
    params = dict(tenant=tenant, client_id="11111111-2222-3333-4444-555555555555", cloud="commercial",
                  authority_url=None, exchange_url=None)
    client = online_rest.OnlineClient(params)
    client._session, client._tokens = ScriptedSession(answers), tokens or ScriptedTokens()
    return client


def _json(status, body, **headers):
    return status, json.dumps(body).encode(), dict({"Content-Type": "application/json"}, **headers)


def test_a_403_whose_body_cannot_be_decompressed_names_the_exchange_role():
    client = scripted_client([(403, b"\x00" * 32, {"Content-Encoding": "gzip"})])
    with pytest.raises(ExchangeConnectionError) as caught:
        client.invoke("Get-InboundConnector")
    assert "HTTP 403" in str(caught.value) and "Exchange role (RBAC)" in str(caught.value)
    assert "Exchange Administrator" in str(caught.value)


def test_401_not_allowed_to_call_is_a_missing_role_assignment_not_a_token_problem():
    body = {"error": {"code": "Unauthorized", "message": "User is not allowed to call Get-InboundConnector",
                      "innererror": {"message": "User is not allowed to call Get-InboundConnector",
                                     "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"}}}
    tokens = ScriptedTokens()
    client = scripted_client([_json(401, body)], tokens=tokens)
    with pytest.raises(ExchangeConnectionError) as caught:
        client.invoke("Get-InboundConnector")
    assert "role assignment (RBAC)" in str(caught.value) and "Exchange.ManageAsApp" not in str(caught.value)
    assert tokens.invalidated == 0  # a new token would not help


def test_the_url_names_the_tenant_guid_from_the_token_not_a_vanity_domain():
    client = scripted_client([_json(200, {"value": [{"Name": "a"}]})], tenant="contoso.com")
    assert client.invoke("Get-InboundConnector") == [{"Name": "a"}]
    url, headers, dummy_body = client._session.requests[0]
    assert url == "https://outlook.office365.com/adminapi/beta/%s/InvokeCommand" % TENANT_GUID
    assert headers["X-AnchorMailbox"].endswith("@" + TENANT_GUID)


def test_an_onmicrosoft_name_stays_in_the_anchor_and_a_token_without_tid_keeps_the_tenant():
    client = scripted_client([_json(200, {"value": []})], tenant="contoso.onmicrosoft.com",
                             tokens=ScriptedTokens(claims={}))
    client.invoke("Get-InboundConnector")
    url, headers, dummy_body = client._session.requests[0]
    assert "/adminapi/beta/contoso.onmicrosoft.com/InvokeCommand" in url
    assert headers["X-AnchorMailbox"].endswith("@contoso.onmicrosoft.com")


def test_a_write_answered_after_the_timeout_is_an_unknown_outcome_and_not_sent_again():
    client = scripted_client([requests.exceptions.ReadTimeout("read timed out"), _json(200, {"value": []})])
    with pytest.raises(ExchangeOutcomeUnknown):
        client.invoke("Set-InboundConnector", {"Identity": "x", "Enabled": False})
    assert len(client._session.requests) == 1


def test_a_decimal_retry_after_is_waited_for(monkeypatch):
    slept = []
    monkeypatch.setattr(online_rest.time, "sleep", slept.append)
    client = scripted_client([_json(429, {"error": {"code": "TooManyRequests", "message": "throttled"}},
                                    **{"Retry-After": "1.5"}),
                              _json(200, {"value": []})])
    assert client.invoke("Get-InboundConnector") == []
    assert slept == [1.5]


@pytest.mark.parametrize("base", ["https://outlook.office365.com", "https://OUTLOOK.Office365.com",
                                  "https://outlook.office365.com.", "https://outlook.office365.com:443"])
def test_a_next_page_link_on_the_endpoint_is_followed_however_exchange_url_spells_the_host(base):
    assert online_rest.on_endpoint("https://outlook.office365.com/adminapi/beta/t/InvokeCommand?$skiptoken=2", base)


@pytest.mark.parametrize("link", [
    "https://outlook.office365.com.evil.example/adminapi/beta/t/InvokeCommand",
    "https://outlook.office365.com@evil.example/adminapi/beta/t/InvokeCommand",
    "https://user@outlook.office365.com/adminapi/beta/t/InvokeCommand",
    "http://outlook.office365.com/adminapi/beta/t/InvokeCommand",
    "https://outlook.office365.com:8443/adminapi/beta/t/InvokeCommand",
    "https://outlook.office365.com:99999/adminapi",
    "/adminapi/beta/t/InvokeCommand",
])
def test_a_next_page_link_elsewhere_is_not_followed(link):
    # The bearer token goes with the request for the next page.
    assert not online_rest.on_endpoint(link, "https://outlook.office365.com")
