"""Set-ReceiveConnector: replace semantics, @{Add=...;Remove=...}, rules, no-op warning."""
from datetime import datetime, timezone

import pytest
from psrpcore.types import PSDict, PSList

from exchange_lab.exchange.api import Command
from model_lab import SERVER, Lab, assert_binding_error, assert_task_error, texts

CLIENT = f"{SERVER}\\Client Frontend {SERVER}"
FRONTEND = f"{SERVER}\\Default Frontend {SERVER}"
NO_CHANGE = "The command completed successfully but no settings of '{}' have been modified."


@pytest.fixture
def lab(tmp_path):
    lab = Lab(tmp_path)
    lab.ok("New-ReceiveConnector", Name="Relay", TransportRole="FrontendTransport", Custom=True,
           Bindings="0.0.0.0:25", RemoteIPRanges=["10.1.2.3", "10.0.0.0/24"])
    return lab


def ranges(lab, identity="Relay"):
    return texts(lab.connector(identity).RemoteIPRanges)


def test_guide_option_two_anonymous_relay(lab):
    """EXCHANGE.md 1.B option 2: restrict the ranges, then grant AnonymousUsers."""
    assert lab.ok("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges=["10.1.2.3", "10.1.2.4"]) == []
    assert lab.ok("Set-ReceiveConnector", Identity="Relay", PermissionGroups="AnonymousUsers") == []
    relay = lab.connector("Relay")
    assert texts(relay.RemoteIPRanges) == ["10.1.2.3", "10.1.2.4"]
    assert str(relay.PermissionGroups) == "AnonymousUsers"


def test_multi_valued_parameters_replace(lab):
    lab.ok("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges="192.0.2.7")
    assert ranges(lab) == ["192.0.2.7"]
    lab.ok("Set-ReceiveConnector", Identity="Relay", Bindings=PSList(["192.0.2.1:25", "[2001:db8::1]:25"]))
    assert texts(lab.connector("Relay").Bindings) == ["192.0.2.1:25", "[2001:db8::1]:25"]
    lab.ok("Set-ReceiveConnector", Identity="Relay", AuthMechanism=["Tls", "BasicAuth"])
    assert str(lab.connector("Relay").AuthMechanism) == "Tls, BasicAuth"
    lab.ok("Set-ReceiveConnector", Identity="Relay", AuthMechanism="Tls,BasicAuth,BasicAuthRequireTLS")
    assert int(lab.connector("Relay").AuthMechanism) == 13
    lab.ok("Set-ReceiveConnector", Identity="Relay", PermissionGroups="ExchangeUsers, ExchangeServers")
    assert str(lab.connector("Relay").PermissionGroups) == "ExchangeUsers, ExchangeServers"


def test_add_and_remove(lab):
    lab.ok("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges=PSDict({"Add": ["10.9.9.9", "10.9.9.10"],
                                                                            "Remove": "10.1.2.3"}))
    assert ranges(lab) == ["10.0.0.0/24", "10.9.9.9", "10.9.9.10"]
    lab.ok("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges={"remove": "10.0.0.0-10.0.0.255"})
    assert ranges(lab) == ["10.9.9.9", "10.9.9.10"]


def test_adding_a_present_or_removing_an_absent_value_changes_nothing(lab):
    for change in ({"Add": "10.1.2.3"}, {"Add": "10.1.2.3/32"}, {"Remove": "172.16.0.1"}):
        result = lab.run("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges=PSDict(change))
        assert not result.errors and result.warnings == [NO_CHANGE.format(f"{SERVER}\\Relay")]
    assert lab.counters() == {"write_calls": 4, "writes": 1}


def test_values_read_back_from_the_server_can_be_sent_again(lab):
    """A client may pass the IPRange/IPBinding objects it got from Get-ReceiveConnector."""
    relay = lab.connector("Relay")
    lab.ok("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges=PSList([*relay.RemoteIPRanges, "10.5.5.5"]),
           Bindings=relay.Bindings, AuthMechanism=relay.AuthMechanism)
    assert ranges(lab) == ["10.1.2.3", "10.0.0.0/24", "10.5.5.5"]
    assert texts(lab.connector("Relay").Bindings) == ["0.0.0.0:25"]


def test_unknown_hashtable_operation(lab):
    error = lab.error("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges={"Replace": "10.0.0.1"})
    assert_binding_error(error, "ParameterArgumentTransformationError", "Set-ReceiveConnector", "InvalidData")
    assert 'Cannot convert value "System.Collections.Hashtable"' in error.message


def test_duplicates_in_a_replacement_are_refused(lab):
    error = lab.error("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges=["10.0.0.1", "10.0.0.1/32"])
    assert_binding_error(error, "ParameterArgumentTransformationError", "Set-ReceiveConnector", "InvalidData")
    assert "already present" in error.message
    assert ranges(lab) == ["10.1.2.3", "10.0.0.0/24"]


def test_no_op_set_warns_and_does_not_write(lab):
    before = lab.connector("Relay")
    result = lab.run("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges=["10.0.0.0/24", "10.1.2.3"],
                     PermissionGroups="None", AuthMechanism="Tls", Enabled=True, MaxMessageSize="36MB")
    assert not result.errors and result.warnings == [NO_CHANGE.format(f"{SERVER}\\Relay")]
    assert lab.connector("Relay").WhenChanged == before.WhenChanged
    assert ranges(lab) == ["10.1.2.3", "10.0.0.0/24"]
    assert lab.counters() == {"write_calls": 2, "writes": 1}


def test_change_updates_when_changed_and_drops_the_binary_blob(lab):
    frontend = lab.connector(FRONTEND)
    assert "SerializationData" in {p.name for p in frontend.PSObject.extended_properties}
    lab.ok("Set-ReceiveConnector", Identity=FRONTEND, ProtocolLoggingLevel="None")
    changed = lab.connector(FRONTEND)
    assert str(changed.ProtocolLoggingLevel) == "None"
    assert changed.WhenChangedUTC > datetime(2024, 1, 1, tzinfo=timezone.utc) > frontend.WhenChangedUTC
    assert changed.WhenCreatedUTC == frontend.WhenCreatedUTC
    assert "SerializationData" not in {p.name for p in changed.PSObject.extended_properties}
    assert "SerializationData" in {p.name for p in changed.Fqdn.PSObject.extended_properties}  # unchanged value


@pytest.mark.parametrize("name, value, printed", [
    ("Banner", "220 Relay ready", "220 Relay ready"), ("Comment", "for the copier", "for the copier"),
    ("Enabled", False, "False"), ("RequireTLS", True, "True"), ("RequireEHLODomain", True, "True"),
    ("DomainSecureEnabled", True, "True"), ("EnableAuthGSSAPI", True, "True"),
    ("MaxMessageSize", "50MB", "50 MB (52,428,800 bytes)"), ("MaxMessageSize", 10485760, "10 MB (10,485,760 bytes)"),
    ("MaxRecipientsPerMessage", "5000", "5000"), ("MessageRateLimit", "unlimited", "Unlimited"),
    ("MessageRateLimit", 100, "100"), ("MaxInboundConnection", "Unlimited", "Unlimited"),
    ("MaxInboundConnectionPerSource", 50, "50"), ("ConnectionTimeout", "00:15:00", "00:15:00"),
    ("ConnectionInactivityTimeout", "00:01:00", "00:01:00"), ("ProtocolLoggingLevel", "Verbose", "Verbose"),
    ("DefaultDomain", "Solo.com", "Solo.com"), ("MaxHopCount", 30, "30"), ("MaxLogonFailures", 0, "0"),
    ("TarpitInterval", "00:00:00", "00:00:00"), ("Fqdn", "relay.contoso.com", "relay.contoso.com"),
    ("SizeEnabled", "Disabled", "Disabled"), ("MessageRateSource", "All", "All"),
    ("TlsCertificateName", f"<I>CN={SERVER}<S>CN={SERVER}", f"<I>CN={SERVER}<S>CN={SERVER}"),
    ("TlsDomainCapabilities", "contoso.com:AcceptCloudServicesMail", "['contoso.com:AcceptCloudServicesMail']"),
    ("Name", "Copier relay", "Copier relay"),
])
def test_settings_print_back(lab, name, value, printed):
    lab.ok("Set-ReceiveConnector", Identity="Relay", **{name: value})
    identity = "Copier relay" if name == "Name" else "Relay"
    got = getattr(lab.connector(identity), name)
    assert (str(texts(got)) if isinstance(got, list) else str(got)) == printed


def test_rename_keeps_the_guid(lab):
    before = lab.connector("Relay")
    lab.ok("Set-ReceiveConnector", Identity="Relay", Name="Copier relay")
    after = lab.connector(str(before.Guid))
    assert str(after) == str(after.Identity) == f"{SERVER}\\Copier relay"
    assert str(after.DistinguishedName).startswith("CN=Copier relay,CN=SMTP Receive Connectors,")
    assert_task_error(lab.error("Get-ReceiveConnector", Identity="Relay"), "ManagementObjectNotFoundException",
                      "GetReceiveConnector")
    error = lab.error("Set-ReceiveConnector", Identity="Copier relay", Name=f"Client Frontend {SERVER}")
    assert_task_error(error, "ADObjectAlreadyExistsException", "SetReceiveConnector")


def test_authenticated_relay_option_one(lab):
    """EXCHANGE.md 1.B option 1: Fqdn and TlsCertificateName on Client Frontend."""
    lab.ok("Set-ReceiveConnector", Identity=f"Client Frontend {SERVER}", Fqdn="mail.contoso.com",
           TlsCertificateName=f"<I>CN={SERVER}<S>CN={SERVER}")
    client = lab.connector(CLIENT)
    assert (str(client.Fqdn), str(client.TlsCertificateName.SubjectCommonName)) == ("mail.contoso.com", SERVER)


def test_default_frontend_fqdn_is_pinned_by_exchange_server_auth(lab):
    error = lab.error("Set-ReceiveConnector", Identity=FRONTEND, Fqdn="mail.contoso.com")
    assert_task_error(error, "InvalidFqdnUnderExchangeServerAuthException", "SetReceiveConnector", "InvalidOperation")
    lab.ok("Set-ReceiveConnector", Identity=FRONTEND, AuthMechanism="Tls", Fqdn="mail.contoso.com")


def test_stale_or_foreign_certificate_names(lab):
    for name in ("<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com", "<I>CN=Solo-E19A<S>CN=Solo-E19A"):
        error = lab.error("Set-ReceiveConnector", Identity="Relay", TlsCertificateName=name)
        assert_task_error(error, "TlsCertificateNameNotFoundException", "SetReceiveConnector", "ObjectNotFound")
    lab.ok("Set-ReceiveConnector", Identity=FRONTEND, TlsCertificateName=None)
    assert lab.connector(FRONTEND).TlsCertificateName is None


def test_set_keeps_the_mapping_rule(lab):
    lab.ok("New-ReceiveConnector", Name="Other", TransportRole="FrontendTransport", Custom=True,
           Bindings="0.0.0.0:25", RemoteIPRanges="192.0.2.0/24")
    error = lab.error("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges="192.0.2.128-192.0.3.5")
    assert_task_error(error, "ConnectorMappingConflictException", "SetReceiveConnector", "InvalidOperation")
    error = lab.error("Set-ReceiveConnector", Identity="Relay", TransportRole="HubTransport")
    assert_task_error(error, "ReceiveConnectorRoleConflictException", "SetReceiveConnector", "InvalidOperation")
    lab.ok("Set-ReceiveConnector", Identity="Relay", RemoteIPRanges=["10.1.2.3", "10.0.0.0/25"])  # not with itself
    assert ranges(lab) == ["10.1.2.3", "10.0.0.0/25"]


@pytest.mark.parametrize("parameters, exception, category", [
    (dict(AuthMechanism="BasicAuthRequireTLS"), "DataValidationException", "NotSpecified"),
    (dict(RequireTLS=True, AuthMechanism="None"), "DataValidationException", "NotSpecified"),
    (dict(RemoteIPRanges=[]), "DataValidationException", "NotSpecified"),
    (dict(Bindings=None), "DataValidationException", "NotSpecified"),
    (dict(MaxHopCount=0), "DataValidationException", "NotSpecified"),
    (dict(ConnectionInactivityTimeout="1.00:00:01"), "DataValidationException", "NotSpecified"),
    (dict(ConnectionInactivityTimeout="00:10:00"), "DataValidationException", "NotSpecified"),  # equal: not less
    (dict(AdvertiseClientSettings=True), "AdvertiseClientSettingsWithoutExchangeUsersPermissionGroupsException",
     "InvalidOperation"),
    (dict(DefaultDomain="nosuch.example"), "ManagementObjectNotFoundException", "NotSpecified"),
])
def test_failed_set_changes_nothing(lab, parameters, exception, category):
    before = lab.connector("Relay")
    error = lab.error("Set-ReceiveConnector", Identity="Relay", **parameters)
    assert_task_error(error, exception, "SetReceiveConnector", category)
    after = lab.connector("Relay")
    assert (after.WhenChanged, texts(after.RemoteIPRanges), int(after.AuthMechanism)) == (
        before.WhenChanged, texts(before.RemoteIPRanges), int(before.AuthMechanism))
    assert lab.counters() == {"write_calls": 2, "writes": 1}


@pytest.mark.parametrize("parameters, error_id", [
    (dict(Enabled="yes"), "ParameterArgumentTransformationError"),
    (dict(MaxHopCount="many"), "ParameterArgumentTransformationError"),
    (dict(RemoteIPRanges="10.0.0.1/40"), "ParameterArgumentTransformationError"),
    (dict(TlsCertificateName="<I><S>"), "ParameterArgumentTransformationError"),
    (dict(Fqdn="not a domain"), "ParameterArgumentTransformationError"),
    (dict(Colour="red"), "NamedParameterNotFound"),
])
def test_binding_errors(lab, parameters, error_id):
    error = lab.error("Set-ReceiveConnector", Identity="Relay", **parameters)
    category = "InvalidArgument" if error_id == "NamedParameterNotFound" else "InvalidData"
    assert_binding_error(error, error_id, "Set-ReceiveConnector", category)


def test_boolean_parameters_take_only_booleans_and_numbers(lab):
    error = lab.error("Set-ReceiveConnector", Identity="Relay", Enabled="false")
    assert error.message == ("Cannot process argument transformation on parameter 'Enabled'. Cannot convert value "
                             "\"System.String\" to type \"System.Boolean\". Boolean parameters accept only Boolean "
                             "values and numbers, such as $True, $False, 1 or 0.")
    lab.ok("Set-ReceiveConnector", Identity="Relay", Enabled=0)
    assert str(lab.connector("Relay").Enabled) == "False"


def test_set_from_the_pipeline_and_missing_identity(lab):
    result = lab.pipeline(Command("Get-ReceiveConnector", {"Identity": "*Frontend*"}),
                          Command("Set-ReceiveConnector", {"MaxMessageSize": "40MB"}))
    assert not result.errors and not result.output
    assert {str(c.MaxMessageSize) for c in lab.ok("Get-ReceiveConnector", Identity="*Frontend*")} == {
        "40 MB (41,943,040 bytes)"}
    assert lab.counters() == {"write_calls": 2, "writes": 2}
    error = lab.error("Set-ReceiveConnector", Enabled=True)
    assert_binding_error(error, "MissingMandatoryParameter", "Set-ReceiveConnector")


def test_set_unknown_identity(lab):
    error = lab.error("Set-ReceiveConnector", Identity="Nope", Enabled=False)
    assert_task_error(error, "ManagementObjectNotFoundException", "SetReceiveConnector")
