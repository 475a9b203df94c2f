# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parts of the Exchange Online REST client: error bodies, Retry-After, the retry bound."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils import online_rest
from ansible_collections.mailflow.exchange.plugins.module_utils.errors import ExchangeError

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
