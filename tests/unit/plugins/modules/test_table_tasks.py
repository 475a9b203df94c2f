# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of receive_connector and inbound_connector (TableObjectTask) against a fake client:
no change, update, create, absent, a refusal before any write, and check mode sending no write."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError, ExchangeOutcomeUnknown
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector import api as inbound_api
from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml, psobject
from ansible_collections.mailflow.exchange.plugins.modules import inbound_connector, receive_connector

# The fixtures are used by name.
from ansible_collections.mailflow.exchange.tests.unit.plugins.modules.module_harness import (  # noqa: F401 pylint: disable=unused-import
    fake,
    module_process,
    run_module,
)

CAPTURE = Path(__file__).resolve().parents[3] / "unit" / "data" / "E19-GetReceiveConnector.xml"
SERVER = "WIN-CTD3L0RGEN4"
NAME = "Client Frontend WIN-CTD3L0RGEN4"
GUID = "bbe8e8d4-1565-4d52-981c-fa20a02ba55b"


@pytest.fixture(scope="module")
def connector():
    return clixml.plain_objects_from_export_clixml(CAPTURE.read_bytes())[4]


def _receive_handler(existing):
    def handler(cmdlet, parameters):
        if cmdlet == "Get-ExchangeServer":
            return [{"types": ["Microsoft.Exchange.Data.Directory.Management.ExchangeServer"], "text": SERVER,
                     "properties": {"Name": SERVER, "Fqdn": SERVER.lower() + ".exlab.dom"}}]
        if cmdlet == "Get-ReceiveConnector":
            if "Identity" in parameters and existing is None:
                raise ExchangeError("not found", cmdlet=cmdlet, exception_type="ManagementObjectNotFoundException")
            return [existing] if existing is not None else []
        return []
    return handler


def _rc(capsys, **args):
    return run_module(capsys, receive_connector, dict(dict(server=SERVER, name=NAME), **args))


def test_receive_connector_no_change(fake, connector, capsys):
    client = fake(_receive_handler(connector))
    result = _rc(capsys, max_message_size="36MB", enabled=True)
    assert result["changed"] is False and result["commands"] == []
    assert client.writes == []


def test_receive_connector_update_addresses_the_guid(fake, connector, capsys):
    client = fake(_receive_handler(connector))
    result = _rc(capsys, max_message_size="30MB")
    assert result["changed"] is True
    assert client.writes == [("Set-ReceiveConnector", {"Identity": GUID, "MaxMessageSize": "31457280"})]
    assert result["commands"] == ["Set-ReceiveConnector -Identity '%s' -MaxMessageSize '31457280'" % GUID]


def test_receive_connector_check_mode_sends_no_write(fake, connector, capsys):
    client = fake(_receive_handler(connector))
    result = _rc(capsys, max_message_size="30MB", _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and client.writes == []
    assert result["commands"] and result["diff"]["after"]["max_message_size"] == 31457280


def test_receive_connector_create_in_check_mode(fake, capsys):
    client = fake(_receive_handler(None))
    result = _rc(capsys, name="Relay", bindings=["0.0.0.0:25"], remote_ip_ranges=["10.1.2.3"],
                 permission_groups=["AnonymousUsers"], _ansible_check_mode=True)
    assert result["changed"] is True and client.writes == []
    assert result["commands"][0].startswith("New-ReceiveConnector ")
    assert result["connector"]["remote_ip_ranges"] == ["10.1.2.3"]
    assert ("Get-ExchangeServer", {"Identity": SERVER}) in client.sent


def test_receive_connector_refuses_an_unknown_server_before_any_write(fake, capsys):
    client = fake(_receive_handler(None))
    result = _rc(capsys, server="NO-SUCH-SERVER", name="Relay", bindings=["0.0.0.0:25"],
                 remote_ip_ranges=["10.1.2.3"], permission_groups=["AnonymousUsers"])
    assert result["failed"] is True and "knows no server 'NO-SUCH-SERVER'" in result["msg"]
    assert client.writes == [] and result["applied"] == []


def test_receive_connector_absent(fake, connector, capsys):
    client = fake(_receive_handler(connector))
    result = _rc(capsys, state="absent")
    assert result["changed"] is True and result["connector"] == {}
    assert client.writes == [("Remove-ReceiveConnector", {"Identity": GUID, "Confirm": False})]
    fake(_receive_handler(None))
    assert _rc(capsys, state="absent")["changed"] is False


def test_receive_connector_refuses_before_any_write(fake, connector, capsys):
    client = fake(_receive_handler(connector))
    result = _rc(capsys, auth_mechanism=["BasicAuthRequireTLS"])
    assert result["failed"] is True and "nothing was changed" in result["msg"]
    assert client.writes == [] and result["applied"] == []


# --- inbound_connector -------------------------------------------------------------------------------

INBOUND = {"Name": "Relay", "Guid": "2f1d4c3b-9a8e-4b7c-8d6e-5f4a3b2c1d0e", "ConnectorType": "OnPremises",
           "Enabled": True, "SenderDomains": ["smtp:*;1"], "SenderIPAddresses": ["203.0.113.10"],
           "TlsSenderCertificateName": None, "RequireTls": False, "RestrictDomainsToIPAddresses": True,
           "RestrictDomainsToCertificate": False}


def _inbound_handler(state):
    def handler(cmdlet, parameters):
        if cmdlet == "Get-InboundConnector":
            return [dict(state["connector"])] if state["connector"] else []
        if cmdlet == "Set-InboundConnector":
            state["connector"].update((key, value) for key, value in parameters.items() if key != "Identity")
        return []
    return handler


def _ic(capsys, **args):
    return run_module(capsys, inbound_connector, dict(dict(name="Relay"), **args))


def test_inbound_connector_no_change_and_update(fake, capsys):
    state = dict(connector=dict(INBOUND))
    client = fake(_inbound_handler(state))
    assert _ic(capsys, enabled=True, require_tls=False)["changed"] is False
    result = _ic(capsys, require_tls=True)
    assert result["changed"] is True and result["connector"]["require_tls"] is True
    assert client.writes == [("Set-InboundConnector", {"Identity": INBOUND["Guid"], "RequireTls": True})]


def test_inbound_connector_refuses_an_open_relay_before_any_write(fake, capsys):
    client = fake(_inbound_handler(dict(connector=dict(INBOUND))))
    result = _ic(capsys, sender_ip_addresses=[])
    assert result["failed"] is True and result["msg"].startswith("nothing was changed: ")
    assert "allow_unrestricted=true" in result["msg"]
    assert client.writes == []


def test_inbound_connector_create_in_check_mode_and_absent(fake, capsys):
    client = fake(_inbound_handler(dict(connector=None)))
    result = _ic(capsys, connector_type="OnPremises", sender_domains=["*"], sender_ip_addresses=["203.0.113.10"],
                 _ansible_check_mode=True)
    assert result["changed"] is True and client.writes == []
    assert result["commands"][0].startswith("New-InboundConnector ")
    client = fake(_inbound_handler(dict(connector=dict(INBOUND))))
    result = _ic(capsys, state="absent")
    assert result["changed"] is True
    assert client.writes == [("Remove-InboundConnector", {"Identity": INBOUND["Guid"], "Confirm": False})]


def test_inbound_connector_reports_the_connector_it_created_not_another_one_new_printed(fake, capsys):
    # New-InboundConnector's answer is checked like a read: a connector of another name in it is not the one made.
    state = dict(connector=None)
    other = dict(INBOUND, Name="Partner Relay", Guid="7c0b1a2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d", ConnectorType="Partner",
                 SenderIPAddresses=["198.51.100.7"])

    def handler(cmdlet, parameters):
        if cmdlet == "New-InboundConnector":
            state["connector"] = dict(INBOUND)
            return [dict(other)]
        return _inbound_handler(state)(cmdlet, parameters)

    fake(handler)
    result = _ic(capsys, connector_type="OnPremises", sender_domains=["*"], sender_ip_addresses=["203.0.113.10"])
    assert result["changed"] is True
    assert result["connector"]["name"] == "Relay" and result["connector"]["sender_ip_addresses"] == ["203.0.113.10"]


def test_receive_connector_failing_after_a_write_returns_the_backup_path(fake, capsys, tmp_path):
    # New-ReceiveConnector does not take smtp_utf8_enabled: the Set- right after it fails, the connector exists.
    def handler(cmdlet, parameters):
        if cmdlet == "Set-ReceiveConnector":
            raise ExchangeError("refused", cmdlet=cmdlet)
        return _receive_handler(None)(cmdlet, parameters)

    fake(handler)
    result = _rc(capsys, name="Relay", bindings=["0.0.0.0:25"], remote_ip_ranges=["10.1.2.3"],
                 permission_groups=["AnonymousUsers"], smtp_utf8_enabled=False, backup=True,
                 backup_options=dict(dir_path=str(tmp_path)))
    assert result["failed"] is True and result["changed"] is True
    assert result["applied"] == [{"cmdlet": "New-ReceiveConnector"}]
    assert Path(result["backup_path"]).parent == tmp_path
    assert "state: absent" in Path(result["backup_path"]).read_text(encoding="utf-8")


def test_inbound_connector_keeps_no_backup_saying_absent_of_a_connector_exchange_says_exists(
        fake, capsys, tmp_path, monkeypatch):
    # Every read misses the connector (replication) and New-InboundConnector says it exists: nothing was written,
    # and a file saying "state: absent" would remove, applied, a connector this task never made.
    monkeypatch.setattr(inbound_api, "REPLICATION_BACKOFF", dict(attempts=1, base=0.0, cap=0.0, total=0.0))

    def handler(cmdlet, parameters):
        if cmdlet == "New-InboundConnector":
            raise ExchangeError("An inbound connector with the name 'Relay' already exists.", cmdlet=cmdlet)
        return []

    fake(handler)
    result = _ic(capsys, connector_type="OnPremises", sender_domains=["*"], sender_ip_addresses=["203.0.113.10"],
                 backup=True, backup_options=dict(dir_path=str(tmp_path)))
    assert result["failed"] is True and result["changed"] is False
    assert "backup_path" not in result and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("relay_right", [["ms-Exch-SMTP-Accept-Any-Recipient"], "ms-Exch-SMTP-Accept-Any-Recipient"])
def test_receive_connector_refuses_to_widen_an_anonymous_relay_whatever_shape_the_right_comes_in(
        fake, connector, capsys, relay_right):
    # A single right may come as its text instead of a list of one; either way Anonymous Logon holds relay here.
    relay = copy.deepcopy(connector)
    relay["properties"].update(RemoteIPRanges=["10.1.2.3"], PermissionGroups="AnonymousUsers")
    ace = {"types": ["Microsoft.Exchange.Management.RecipientTasks.ADAcePresentationObject"], "text": None,
           "properties": dict(Identity=psobject.property_value(relay, "Identity"), User="S-1-5-7",
                              ExtendedRights=relay_right, AccessRights="ExtendedRight", Deny=False,
                              IsInherited=False)}

    def handler(cmdlet, parameters):
        return [ace] if cmdlet == "Get-ADPermission" else _receive_handler(relay)(cmdlet, parameters)

    client = fake(handler)
    result = _rc(capsys, remote_ip_ranges=["0.0.0.0/0"])
    assert result["failed"] is True and "Nothing was changed" in result["msg"]
    assert client.writes == []


def _lost_creation_handler(state, reads_show_it=True):
    """Exchange Online where New-InboundConnector applies and its answer is lost; a second New- says the connector
    exists; the first ``state["lagging_reads"]`` reads after it miss the connector (all of them unless
    ``reads_show_it``)."""
    def handler(cmdlet, parameters):
        if cmdlet == "New-InboundConnector":
            if state["connector"] is not None:
                raise ExchangeError("An inbound connector with the name 'Relay' already exists.", cmdlet=cmdlet)
            state["connector"] = dict(INBOUND)
            raise ExchangeOutcomeUnknown("the connection failed while New-InboundConnector was under way",
                                         cmdlet=cmdlet)
        if not reads_show_it:
            return []
        if cmdlet == "Get-InboundConnector" and state["connector"] is not None and state.get("lagging_reads"):
            state["lagging_reads"] -= 1
            return []
        return _inbound_handler(state)(cmdlet, parameters)

    return handler


def test_inbound_connector_read_again_after_an_unknown_creation_waits_for_it_never_sends_new_again(
        fake, capsys, tmp_path, monkeypatch):
    # New-InboundConnector applied, its answer lost (a reset, a gateway timeout, a session broken off); the reads
    # lag behind the write (replication). Reading again must find the connector made, not send New- a second time,
    # and the backup stays what the first read saw: no connector (applied, it removes the one this task made).
    monkeypatch.setattr(inbound_api, "REPLICATION_BACKOFF", dict(attempts=6, base=0.0, cap=0.0, total=1.0))
    state = dict(connector=None, lagging_reads=2)

    client = fake(_lost_creation_handler(state))
    result = _ic(capsys, connector_type="OnPremises", sender_domains=["*"], sender_ip_addresses=["203.0.113.10"],
                 backup=True, backup_options=dict(dir_path=str(tmp_path)))
    assert result.get("failed") is not True, result
    assert [cmdlet for cmdlet, dummy in client.writes] == ["New-InboundConnector"]
    assert result["changed"] is True and result["reread_after"] == ["New-InboundConnector"]
    assert result["connector"]["sender_ip_addresses"] == ["203.0.113.10"]
    assert "state: absent" in Path(result["backup_path"]).read_text(encoding="utf-8")


def test_inbound_connector_keeps_the_backup_of_no_connector_when_its_own_creation_says_already_exists(
        fake, capsys, tmp_path, monkeypatch):
    # The read again never shows the connector within its bounds and New-InboundConnector, sent again, says it
    # exists: it is the one this task's first New- made, so the backup saying "absent" is right and stays.
    monkeypatch.setattr(inbound_api, "REPLICATION_BACKOFF", dict(attempts=2, base=0.0, cap=0.0, total=1.0))
    state = dict(connector=None, lagging_reads=2)

    fake(_lost_creation_handler(state))
    result = _ic(capsys, connector_type="OnPremises", sender_domains=["*"], sender_ip_addresses=["203.0.113.10"],
                 backup=True, backup_options=dict(dir_path=str(tmp_path)))
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert "state: absent" in Path(result["backup_path"]).read_text(encoding="utf-8")


def test_inbound_connector_that_never_shows_after_its_unknown_creation_fails_naming_it_and_keeps_the_backup(
        fake, capsys, tmp_path, monkeypatch):
    # Exchange says the connector exists, no read shows it: the creation's outcome stays unknown, and the backup
    # (no connector before the task) is the one to restore from, not discarded.
    monkeypatch.setattr(inbound_api, "REPLICATION_BACKOFF", dict(attempts=2, base=0.0, cap=0.0, total=1.0))
    state = dict(connector=None)

    fake(_lost_creation_handler(state, reads_show_it=False))
    result = _ic(capsys, connector_type="OnPremises", sender_domains=["*"], sender_ip_addresses=["203.0.113.10"],
                 backup=True, backup_options=dict(dir_path=str(tmp_path)))
    assert result["failed"] is True and result["outcome_unknown"] == "New-InboundConnector"
    assert "state: absent" in Path(result["backup_path"]).read_text(encoding="utf-8")


def test_the_diff_after_reading_again_shows_the_object_before_the_write(fake, capsys):
    # Set-InboundConnector applied, its answer lost: the read again finds nothing left to do, but the task did
    # change the connector, and its diff shows it as the first read found it.
    state = dict(connector=dict(INBOUND), lost=True)

    def handler(cmdlet, parameters):
        result = _inbound_handler(state)(cmdlet, parameters)
        if cmdlet == "Set-InboundConnector" and state.pop("lost", False):
            raise ExchangeOutcomeUnknown("the connection failed while Set-InboundConnector was under way",
                                         cmdlet=cmdlet)
        return result

    client = fake(handler)
    result = _ic(capsys, require_tls=True, _ansible_diff=True)
    assert result["changed"] is True and result["reread_after"] == ["Set-InboundConnector"]
    assert len(client.writes) == 1
    assert result["diff"]["before"]["require_tls"] is False and result["diff"]["after"]["require_tls"] is True
