# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A connector is read, addressed and written exactly: by its name checked on every object a read
returns, by its DN for AD permissions, by its GUID for writes (E19 capture objects)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml, psobject
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import read_aces
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    UnexpectedExchangeValue,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    check_name,
    distinguished_name_of,
    get_connector,
    guid_of,
    list_connectors,
)

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data")
SERVER = "WIN-CTD3L0RGEN4"
FRONTEND = "Default Frontend WIN-CTD3L0RGEN4"


@pytest.fixture(scope="module")
def connectors():
    with open(os.path.join(DATA, "E19-GetReceiveConnector.xml"), "rb") as capture:
        return clixml.plain_objects_from_export_clixml(capture.read())


class Answering:
    """A client that answers every call with the same objects and records the calls."""

    def __init__(self, objects):
        self.objects = objects
        self.calls = []

    def invoke(self, cmdlet, parameters=None):
        self.calls.append((cmdlet, dict(parameters or {})))
        return list(self.objects)


@pytest.mark.parametrize("name", ["Relay*", "Relay?", "Relay[1]", "Relay]", " Relay", "Relay ", "Relay\t",
                                  "75d6aeb5-cd4a-4c58-ab2c-76304ea198ab", "{75D6AEB5-CD4A-4C58-AB2C-76304EA198AB}",
                                  "CN=Relay", "cn=Relay,CN=Protocols"])
def test_names_exchange_could_read_as_another_identity_are_refused(name):
    with pytest.raises(InvalidValue) as raised:
        check_name(name, "connector")
    assert str(raised.value).startswith("connector: ")
    assert "wildcard" in str(raised.value)  # the accepted form is spelled out


@pytest.mark.parametrize("name", ["Relay Printers", "Relay (printers) #2", "CNAME relay", "Relay-75d6aeb5"])
def test_ordinary_names_pass(name):
    check_name(name)


def test_a_read_that_returns_every_connector_yields_none_for_a_missing_one(connectors):
    # Get-ReceiveConnector.md (Caution): a non-existent Identity may return all objects.
    assert get_connector(Answering(connectors), SERVER, "No Such Connector") is None


def test_a_read_that_returns_every_connector_yields_the_named_one(connectors):
    found = get_connector(Answering(connectors), SERVER, FRONTEND.upper())
    assert psobject.property_value(found, "Name") == FRONTEND


def test_a_connector_of_another_server_is_not_the_one(connectors):
    assert get_connector(Answering(connectors), "MAIL2", FRONTEND) is None
    assert list_connectors(Answering(connectors), "MAIL2") == []


def test_writes_address_by_guid_and_permissions_by_dn(connectors):
    frontend = get_connector(Answering(connectors), SERVER, FRONTEND)
    assert guid_of(frontend) == "7849c4d3-e168-483e-8ea8-836875117e4e"  # its Guid in the capture
    assert distinguished_name_of(frontend).startswith("CN=%s,CN=SMTP Receive Connectors," % FRONTEND)


def test_permissions_of_another_connector_are_refused(connectors):
    frontend = get_connector(Answering(connectors), SERVER, FRONTEND)
    # An "ACE" whose Identity is another connector: what "returns *all* objects" would look like.
    other = next(c for c in connectors if psobject.property_value(c, "Name") != FRONTEND)
    client = Answering([other])
    with pytest.raises(UnexpectedExchangeValue, match="another object"):
        read_aces(client, frontend)
    assert client.calls == [("Get-ADPermission", {"Identity": distinguished_name_of(frontend)})]
