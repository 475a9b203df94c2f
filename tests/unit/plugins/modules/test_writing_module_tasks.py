# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of ad_permission and receive_connector_certificate against a fake client: no change, a
grant or a move, a revocation, a refusal before any write, and check mode sending no write."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeOutcomeUnknown
from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml, psobject
from ansible_collections.mailflow.exchange.plugins.modules import ad_permission, receive_connector_certificate
# The fixtures are used by name.
from ansible_collections.mailflow.exchange.tests.unit.plugins.modules.module_harness import (  # noqa: F401 pylint: disable=unused-import
    fake,
    module_process,
    run_module,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SERVER = "WIN-CTD3L0RGEN4"
CONNECTOR = "Client Frontend WIN-CTD3L0RGEN4"
SUBMIT, RELAY = "ms-Exch-SMTP-Submit", "ms-Exch-SMTP-Accept-Any-Recipient"
RELAY_SID = "S-1-5-21-1004336348-1177238915-682003330-1105"


@pytest.fixture(scope="module")
def connectors():
    return clixml.plain_objects_from_export_clixml((DATA / "E19-GetReceiveConnector.xml").read_bytes())


def _ace(connector, sid, rights, inherited=False):
    return {"types": ["Microsoft.Exchange.Management.RecipientTasks.ADAcePresentationObject"], "text": None,
            "properties": dict(Identity=psobject.property_value(connector, "Identity"), User=sid,
                               ExtendedRights=list(rights), AccessRights="ExtendedRight", Deny=False,
                               IsInherited=inherited)}


def _permission_handler(connector, aces):
    def handler(cmdlet, parameters):
        if cmdlet == "Get-ReceiveConnector":
            return [connector]
        if cmdlet == "Get-ADPermission":
            return list(aces)
        return []
    return handler


def _grant(capsys, **args):
    return run_module(capsys, ad_permission, dict(dict(connector=CONNECTOR, server=SERVER, user=RELAY_SID,
                                                       extended_rights=[SUBMIT]), **args))


def test_ad_permission_no_change_when_the_right_is_held(fake, connectors, capsys):
    connector = connectors[4]
    client = fake(_permission_handler(connector, [_ace(connector, RELAY_SID, [SUBMIT])]))
    result = _grant(capsys)
    assert result["changed"] is False and result["extended_rights"] == [SUBMIT]
    assert client.writes == [] and result["commands"] == []


def test_ad_permission_grants_by_the_connector_dn(fake, connectors, capsys):
    connector = connectors[4]
    client = fake(_permission_handler(connector, []))
    result = _grant(capsys)
    assert result["changed"] is True
    assert client.writes == [("Add-ADPermission", {"Identity": psobject.property_value(connector, "DistinguishedName"),
                                                   "User": RELAY_SID, "ExtendedRights": [SUBMIT]})]


def test_ad_permission_check_mode_sends_no_write(fake, connectors, capsys):
    client = fake(_permission_handler(connectors[4], []))
    result = _grant(capsys, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and client.writes == []
    assert result["commands"][0].startswith("Add-ADPermission ")
    assert result["diff"] == dict(before=dict(extended_rights=[]), after=dict(extended_rights=[SUBMIT]))


def test_ad_permission_revokes_only_explicit_rights(fake, connectors, capsys):
    connector = connectors[4]
    client = fake(_permission_handler(connector, [_ace(connector, RELAY_SID, [SUBMIT])]))
    result = _grant(capsys, state="absent")
    assert result["changed"] is True
    assert [cmdlet for cmdlet, _parameters in client.writes] == ["Remove-ADPermission"]


def test_ad_permission_refuses_anonymous_relay_on_all_addresses_before_any_write(fake, connectors, capsys):
    # Client Frontend listens to 0.0.0.0/0 and ::/0: relay for Anonymous Logon there is an open relay.
    client = fake(_permission_handler(connectors[4], []))
    result = _grant(capsys, user="S-1-5-7", extended_rights=[RELAY])
    assert result["failed"] is True and client.writes == []
    assert result["applied"] == [] and result["changed"] is False


# --- receive_connector_certificate -------------------------------------------------------------------
# E19-GetExchangeCertificate.xml holds the certificates of server Solo-E19A; the connector is the capture's
# Client Frontend moved to that server, naming a certificate with WMSvc's subject from another issuer.
CERT_SERVER = "SOLO-E19A"
WMSVC = "38247AD2B76244411748274C508D13446311830B"
WMSVC_NAME = "<I>CN=WMSvc-WIN-K300A9DA9VA<S>CN=WMSvc-WIN-K300A9DA9VA"
MOVED_GUID = "bbe8e8d4-1565-4d52-981c-fa20a02ba55b"


@pytest.fixture(scope="module")
def certificates():
    return clixml.plain_objects_from_export_clixml((DATA / "E19-GetExchangeCertificate.xml").read_bytes())


def _renewal_handler(connectors, certificates, tls_name="<I>CN=Old CA<S>CN=WMSvc-WIN-K300A9DA9VA"):
    connector = copy.deepcopy(connectors[4])
    connector["properties"].update(Server=CERT_SERVER, Name="Relay", Identity="%s\\Relay" % CERT_SERVER,
                                   Fqdn=None, TlsCertificateName=tls_name)

    def handler(cmdlet, parameters):
        if cmdlet == "Get-ExchangeCertificate":
            return list(certificates)
        if cmdlet == "Get-ReceiveConnector":
            return [connector]
        return []
    return handler


def _renew(capsys, **args):
    return run_module(capsys, receive_connector_certificate, dict(dict(server=CERT_SERVER, thumbprint=WMSVC), **args))


def test_receive_connector_certificate_refuses_a_certificate_not_enabled_for_smtp(fake, connectors, certificates,
                                                                                  capsys):
    client = fake(_renewal_handler(connectors, certificates))
    result = _renew(capsys)
    assert result["failed"] is True and result["msg"].startswith("refusing to move 1 connector(s)")
    assert "not enabled for SMTP" in result["msg"] and client.writes == []


def test_receive_connector_certificate_moves_by_guid_and_check_mode_sends_nothing(
        fake, connectors, certificates, capsys, monkeypatch):
    # The certificate's own checks are tested with the renewal rules (test_certificate_renewal.py).
    monkeypatch.setattr(receive_connector_certificate, "certificate_problems", lambda certificate: [])
    client = fake(_renewal_handler(connectors, certificates))
    result = _renew(capsys, _ansible_check_mode=True)
    assert result["changed"] is True and client.writes == []
    assert result["commands"] == ["Set-ReceiveConnector -Identity '%s' -TlsCertificateName '%s'"
                                  % (MOVED_GUID, WMSVC_NAME)]
    result = _renew(capsys)
    assert client.writes == [("Set-ReceiveConnector", {"Identity": MOVED_GUID, "TlsCertificateName": WMSVC_NAME})]


def test_receive_connector_certificate_no_change_when_the_connectors_name_it(fake, connectors, certificates, capsys):
    client = fake(_renewal_handler(connectors, certificates, tls_name=WMSVC_NAME))
    result = _renew(capsys)
    assert result["changed"] is False and result["unchanged"] == ["%s\\Relay" % CERT_SERVER]
    assert client.writes == []


def test_receive_connector_certificate_refuses_a_connector_the_server_lacks(fake, connectors, certificates, capsys):
    client = fake(_renewal_handler(connectors, certificates))
    result = _renew(capsys, connectors=["No Such Connector"])
    assert result["failed"] is True and "No Such Connector is not a receive connector" in result["msg"]
    assert client.writes == []


def test_receive_connector_certificate_moves_connectors_whose_names_lower_alike_each_by_its_guid(
        fake, connectors, certificates, capsys, monkeypatch):
    # "Relay \u212a" (the Kelvin sign) and "Relay k" are two names to Exchange (names.same_name) but one to lower():
    # each connector is moved by its own GUID, neither twice.
    monkeypatch.setattr(receive_connector_certificate, "certificate_problems", lambda certificate: [])
    guids = ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"]
    objects = []
    for name, guid in zip(("Relay \u212a", "Relay k"), guids):
        connector = copy.deepcopy(connectors[4])
        connector["properties"].update(Server=CERT_SERVER, Name=name, Identity="%s\\%s" % (CERT_SERVER, name),
                                       Guid=guid, Fqdn=None, TlsCertificateName="<I>CN=Old CA<S>CN=WMSvc-WIN-K300A9DA9VA")
        objects.append(connector)

    def handler(cmdlet, parameters):
        if cmdlet == "Get-ExchangeCertificate":
            return list(certificates)
        return list(objects) if cmdlet == "Get-ReceiveConnector" else []

    client = fake(handler)
    result = _renew(capsys)
    assert result["changed"] is True
    assert sorted(parameters["Identity"] for _cmdlet, parameters in client.writes) == guids


def test_ad_permission_refuses_entries_of_a_connector_whose_name_only_lowers_alike(fake, connectors, capsys):
    # The entries of "Relay \u212a" (the Kelvin sign) are not those of "Relay k": nothing is decided on them.
    connector, stranger = copy.deepcopy(connectors[4]), copy.deepcopy(connectors[4])
    for obj, name in ((connector, "Relay k"), (stranger, "Relay \u212a")):
        obj["properties"].update(Name=name, Identity="%s\\%s" % (SERVER, name),
                                 DistinguishedName="CN=%s,CN=SMTP Receive Connectors" % name)
    client = fake(_permission_handler(connector, [_ace(stranger, RELAY_SID, [SUBMIT])]))
    result = _grant(capsys, connector="Relay k")
    assert result["failed"] is True and "permissions of another object" in result["msg"]
    assert client.writes == []


def test_ad_permission_diff_after_reading_again_shows_the_rights_before_the_write(fake, connectors, capsys):
    # Add-ADPermission applied, its answer lost: the read again finds the right held (nothing is sent again), and
    # the diff shows what the task changed, from the first read.
    connector = connectors[4]
    aces = []

    def handler(cmdlet, parameters):
        if cmdlet == "Add-ADPermission" and not aces:
            aces.append(_ace(connector, RELAY_SID, parameters["ExtendedRights"]))
            raise ExchangeOutcomeUnknown("the connection failed while Add-ADPermission was under way", cmdlet=cmdlet)
        return _permission_handler(connector, aces)(cmdlet, parameters)

    client = fake(handler)
    result = _grant(capsys, _ansible_diff=True)
    assert result["changed"] is True and result["reread_after"] == ["Add-ADPermission"]
    assert [cmdlet for cmdlet, _parameters in client.writes] == ["Add-ADPermission"]
    assert result["diff"] == dict(before=dict(extended_rights=[]), after=dict(extended_rights=[SUBMIT]))
