"""Whether a server exists: Get-ExchangeServer's answer, checked on the real capture (E19-GetExchangeServer.xml)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError
from ansible_collections.mailflow.exchange.plugins.module_utils._server.exchange_server import find_server, is_server
from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml

CAPTURE = Path(__file__).resolve().parents[2] / "data" / "E19-GetExchangeServer.xml"


@pytest.fixture(scope="module")
def server():
    (obj,) = clixml.plain_objects_from_export_clixml(CAPTURE.read_bytes())
    return obj


class Answering:
    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def invoke(self, cmdlet, parameters=None):
        self.calls.append((cmdlet, parameters))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize("name", ["SOLO-E19A", "solo-e19a", "Solo-E19A.Solo.com", "SOLO-E19A.SOLO.COM"])
def test_the_server_is_known_by_its_name_or_fqdn(server, name):
    assert is_server(server, name)
    client = Answering([server])
    assert find_server(client, name) is server
    assert client.calls == [("Get-ExchangeServer", {"Identity": name})]


@pytest.mark.parametrize("name", ["SOLO-E19", "SOLO-E19A.Solo", "Solo.com", "MAIL1"])
def test_another_server_in_the_answer_is_not_the_one_asked_for(server, name):
    """Get-ExchangeServer.md (Caution): a non-existent Identity may return every server."""
    assert find_server(Answering([server]), name) is None


def test_not_found_is_no_server():
    error = ExchangeError("couldn't be found", cmdlet="Get-ExchangeServer", category="ObjectNotFound",
                          exception_type="Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
    assert find_server(Answering(error), "NO-SUCH-SERVER") is None
    assert find_server(Answering([]), "NO-SUCH-SERVER") is None


def test_other_failures_are_raised():
    error = ExchangeError("access denied", cmdlet="Get-ExchangeServer", category="PermissionDenied")
    with pytest.raises(ExchangeError, match="access denied"):
        find_server(Answering(error), "SOLO-E19A")
