"""Get-, New- and Remove-ReceiveConnector against the default (E19) organisation."""
from datetime import datetime, timedelta, timezone

import pytest

from exchange_lab import variants
from exchange_lab.exchange.store import DATA_DIR
from model_lab import DC, SERVER, Lab, assert_binding_error, assert_task_error, second_server_seed, texts

FRONTEND = f"{SERVER}\\Default Frontend {SERVER}"
RELAY = dict(Name="Relay", TransportRole="FrontendTransport", Custom=True, Bindings="0.0.0.0:25",
             RemoteIPRanges=["10.1.2.3"])


@pytest.fixture
def lab(tmp_path):
    return Lab(tmp_path)


@pytest.fixture
def two_servers(tmp_path):
    return Lab(tmp_path, [DATA_DIR / "E19-GetReceiveConnector.xml", second_server_seed(tmp_path)])


# ------------------------------------------------------------------ Get
def test_default_seed_has_the_five_e19_connectors_printed_as_captured(lab):
    connectors = lab.ok("Get-ReceiveConnector")
    assert texts(connectors) == [f"{SERVER}\\{name} {SERVER}" for name in (
        "Default", "Client Proxy", "Default Frontend", "Outbound Proxy Frontend", "Client Frontend")]
    frontend = connectors[2]
    assert str(frontend.AuthMechanism) == "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer"
    assert int(frontend.AuthMechanism) == 31
    assert str(frontend.PermissionGroups) == "AnonymousUsers, ExchangeServers, ExchangeLegacyServers"
    assert texts(frontend.Bindings) == ["[::]:25", "0.0.0.0:25"]
    assert texts(frontend.RemoteIPRanges) == ["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0.0.0.0-255.255.255.255"]
    assert str(frontend.MaxMessageSize) == "36 MB (37,748,736 bytes)"
    assert str(frontend.TlsCertificateName) == f"<I>CN={SERVER}<S>CN={SERVER}"
    assert str(frontend.TransportRole) == "FrontendTransport"
    assert frontend.PSObject.type_names[0] == (
        "Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector")


def test_objects_carry_no_client_side_remoting_notes(lab):
    for connector in lab.ok("Get-ReceiveConnector"):
        names = {p.name for p in connector.PSObject.extended_properties}
        assert not names & {"PSComputerName", "RunspaceId", "PSShowComputerName"}
        assert "SerializationData" in names  # the captured blob is what a server sends


@pytest.mark.parametrize("identity", [
    FRONTEND, f"Default Frontend {SERVER}", f"default frontend {SERVER.lower()}", "7849c4d3-e168-483e-8ea8-836875117e4e",
    f"CN=Default Frontend {SERVER},CN=SMTP Receive Connectors,CN=Protocols,CN={SERVER},CN=Servers,"
    "CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,"
    "CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=exlab,DC=dom",
    f"{SERVER}.exlab.dom\\Default Frontend {SERVER}",
])
def test_identity_forms(lab, identity):
    assert str(lab.connector(identity)) == FRONTEND


def test_identity_as_positional_argument_and_wildcard(lab):
    assert texts(lab.ok("Get-ReceiveConnector", FRONTEND)) == [FRONTEND]
    assert len(lab.ok("Get-ReceiveConnector", Identity="*Frontend*")) == 3
    assert lab.ok("Get-ReceiveConnector", Identity="Nothing*") == []


def test_server_filter(lab):
    assert len(lab.ok("Get-ReceiveConnector", Server=SERVER)) == 5
    assert len(lab.ok("Get-ReceiveConnector", Server=f"{SERVER}.exlab.dom")) == 5
    error = lab.error("Get-ReceiveConnector", Server="NOSUCH")
    assert_task_error(error, "ManagementObjectNotFoundException", "GetReceiveConnector")


def test_not_found_is_an_error_record(lab):
    error = lab.error("Get-ReceiveConnector", Identity="Relay")
    assert_task_error(error, "ManagementObjectNotFoundException", "GetReceiveConnector")
    assert error.exception_type == "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    assert error.message == f"The operation couldn't be performed because object 'Relay' couldn't be found on '{DC}'."


def test_identity_and_server_are_different_parameter_sets(lab):
    error = lab.error("Get-ReceiveConnector", Identity=FRONTEND, Server=SERVER)
    assert_binding_error(error, "AmbiguousParameterSet", "Get-ReceiveConnector")


def test_name_on_two_servers(two_servers):
    for server in ("WIN-SECOND", SERVER):
        two_servers.ok("New-ReceiveConnector", **dict(RELAY, Server=server))
    assert texts(two_servers.ok("Get-ReceiveConnector", Identity="Relay")) == ["WIN-SECOND\\Relay", f"{SERVER}\\Relay"]
    assert str(two_servers.connector("WIN-SECOND\\Relay")) == "WIN-SECOND\\Relay"
    error = two_servers.error("Set-ReceiveConnector", Identity="Relay", Comment="x")
    assert_task_error(error, "ManagementObjectAmbiguousException", "SetReceiveConnector")
    assert error.message == "The operation couldn't be performed because 'Relay' matches multiple entries."


# ------------------------------------------------------------------ New
def test_new_custom_connector(lab):
    before = datetime.now(timezone.utc) - timedelta(seconds=2)
    (relay,) = lab.ok("New-ReceiveConnector", **dict(RELAY, RemoteIPRanges=["10.1.2.3", "10.0.0.5/24", "::1"]))
    assert str(relay) == f"{SERVER}\\Relay" and str(relay.Identity) == f"{SERVER}\\Relay"
    assert str(relay.Name) == "Relay"
    assert str(relay.DistinguishedName).startswith("CN=Relay,CN=SMTP Receive Connectors,CN=Protocols,CN=WIN-CTD3L0RGEN4,")
    assert str(relay.AuthMechanism) == "Tls" and str(relay.PermissionGroups) == "None"
    assert texts(relay.RemoteIPRanges) == ["10.1.2.3", "10.0.0.0/24", "::1"]
    assert [str(r.RangeFormat) for r in relay.RemoteIPRanges] == ["SingleAddress", "CIDR", "SingleAddress"]
    assert str(relay.Fqdn) == f"{SERVER}.exlab.dom" and str(relay.Server) == SERVER
    assert str(relay.TransportRole) == "FrontendTransport"
    assert str(relay.MaxMessageSize) == "36 MB (37,748,736 bytes)" and str(relay.MaxHeaderSize) == "256 KB (262,144 bytes)"
    assert (int(relay.MaxHopCount), int(relay.MaxRecipientsPerMessage), str(relay.MaxInboundConnection)) == (
        60, 200, "5000")
    assert str(relay.MessageRateLimit) == "Unlimited" and str(relay.ConnectionTimeout) == "00:10:00"
    assert relay.WhenCreatedUTC >= before and relay.WhenChanged == relay.WhenCreated
    assert str(relay.Guid) not in {str(c.Guid) for c in lab.ok("Get-ReceiveConnector") if str(c.Name) != "Relay"}
    assert relay.Id.PSObject.to_string == relay.Identity.PSObject.to_string
    assert lab.counters() == {"write_calls": 1, "writes": 1}


@pytest.mark.parametrize("usage, extra, auth, groups, checks", [
    ({"Internet": True}, dict(Bindings="0.0.0.0:2526"), "Tls", "AnonymousUsers",
     {"RemoteIPRanges": ["0.0.0.0-255.255.255.255"]}),
    ({"Internal": True}, dict(RemoteIPRanges="10.0.0.0/8", TransportRole="FrontendTransport"),
     "Tls, ExchangeServer", "ExchangeServers, ExchangeLegacyServers",
     {"Bindings": ["0.0.0.0:25"], "SizeEnabled": "EnabledWithoutValue", "MaxInboundConnectionPercentagePerSource": "100"}),
    ({"Client": True}, dict(RemoteIPRanges="10.0.0.0/8", TransportRole="FrontendTransport"),
     "Tls, Integrated, BasicAuth, BasicAuthRequireTLS", "ExchangeUsers", {"Bindings": ["0.0.0.0:587"]}),
    ({"Usage": "Client"}, dict(RemoteIPRanges="10.0.0.0/8", TransportRole="FrontendTransport"),
     "Tls, Integrated, BasicAuth, BasicAuthRequireTLS", "ExchangeUsers", {"Bindings": ["0.0.0.0:587"]}),
    ({"Partner": True}, dict(Bindings="0.0.0.0:2600", RemoteIPRanges="192.0.2.0/24"), "Tls", "Partners",
     {"DomainSecureEnabled": "True"}),
    ({"Custom": True}, dict(Bindings="0.0.0.0:2601", RemoteIPRanges="192.0.2.0/24"), "Tls", "None", {}),
    ({}, dict(Bindings="0.0.0.0:2602", RemoteIPRanges="192.0.2.0/24"),
     "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
     "ExchangeUsers, ExchangeServers, ExchangeLegacyServers", {"TransportRole": "HubTransport"}),
])
def test_usage_types_set_their_defaults(lab, usage, extra, auth, groups, checks):
    (connector,) = lab.ok("New-ReceiveConnector", Name="New one", **usage, **extra)
    assert (str(connector.AuthMechanism), str(connector.PermissionGroups)) == (auth, groups)
    for name, expected in checks.items():
        value = getattr(connector, name)
        assert (texts(value) if isinstance(expected, list) else str(value)) == expected, name


@pytest.mark.parametrize("parameters, missing", [
    (dict(Custom=True, Bindings="0.0.0.0:2525"), "RemoteIPRanges"),
    (dict(Bindings="0.0.0.0:2525"), "RemoteIPRanges"),
    (dict(Internet=True), "Bindings"),
    (dict(Partner=True, RemoteIPRanges="10.0.0.1"), "Bindings"),
    (dict(Internal=True), "RemoteIPRanges"),
])
def test_usage_makes_bindings_or_ranges_mandatory(lab, parameters, missing):
    error = lab.error("New-ReceiveConnector", Name="X", **parameters)
    assert_binding_error(error, "MissingMandatoryParameter", "New-ReceiveConnector")
    assert error.message == f"Cannot process command because of one or more missing mandatory parameters: {missing}."


def test_name_is_mandatory(lab):
    error = lab.error("New-ReceiveConnector", Custom=True, Bindings="0.0.0.0:2525", RemoteIPRanges="10.0.0.1")
    assert error.message.endswith("missing mandatory parameters: Name.")


def test_usage_parameter_checks_what_the_switches_make_mandatory(lab):
    error = lab.error("New-ReceiveConnector", Name="X", Usage="Internet")
    assert_task_error(error, "ParameterErrorForInternetUsageException", "NewReceiveConnector", "InvalidOperation")
    error = lab.error("New-ReceiveConnector", Name="X", Usage="Custom", Bindings="0.0.0.0:2525")
    assert_task_error(error, "ParameterErrorForDefaultUsageException", "NewReceiveConnector", "InvalidOperation")


def test_one_usage_type_only(lab):
    error = lab.error("New-ReceiveConnector", Name="X", Custom=True, Internet=True, Bindings="0.0.0.0:2525",
                      RemoteIPRanges="10.0.0.1")
    assert_binding_error(error, "AmbiguousParameterSet", "New-ReceiveConnector")
    error = lab.error("New-ReceiveConnector", Name="X", Custom=True, Usage="Custom", Bindings="0.0.0.0:2525",
                      RemoteIPRanges="10.0.0.1")
    assert_binding_error(error, "AmbiguousParameterSet", "New-ReceiveConnector")


def test_empty_mandatory_collection(lab):
    error = lab.error("New-ReceiveConnector", Name="X", Custom=True, Bindings=[], RemoteIPRanges="10.0.0.1")
    assert_binding_error(error, "ParameterArgumentValidationErrorEmptyCollectionNotAllowed", "New-ReceiveConnector",
                         "InvalidData")
    assert error.message == "Cannot bind argument to parameter 'Bindings' because it is an empty collection."


def test_name_rules(lab, tmp_path):
    assert lab.ok("New-ReceiveConnector", **dict(RELAY, Name="x" * 64))
    error = lab.error("New-ReceiveConnector", **dict(RELAY, Name="y" * 65, RemoteIPRanges="10.9.9.9"))
    assert_task_error(error, "DataValidationException", "NewReceiveConnector")
    assert "The maximum length is 64 and the length of the value provided is 65" in error.message
    error = lab.error("New-ReceiveConnector", **dict(RELAY, Name="a\\b", RemoteIPRanges="10.9.9.9"))
    assert_task_error(error, "ArgumentException", "NewReceiveConnector", "InvalidArgument")


def test_name_is_unique_per_server(two_servers):
    two_servers.ok("New-ReceiveConnector", **RELAY)
    error = two_servers.error("New-ReceiveConnector", **dict(RELAY, Name="RELAY", RemoteIPRanges="10.9.9.9"))
    assert_task_error(error, "ADObjectAlreadyExistsException", "NewReceiveConnector")
    assert error.message.startswith(f"Active Directory operation failed on {DC}. The object 'CN=RELAY,CN=SMTP Receive")
    two_servers.ok("New-ReceiveConnector", **dict(RELAY, Server="WIN-SECOND"))


def test_unknown_server(lab):
    error = lab.error("New-ReceiveConnector", **dict(RELAY, Server="NOSUCH"))
    assert_task_error(error, "ManagementObjectNotFoundException", "NewReceiveConnector")


def test_relay_for_one_device_takes_it_away_from_default_frontend(lab):
    """EXCHANGE.md section 3: a more specific remote range on the same binding is allowed."""
    lab.ok("New-ReceiveConnector", **RELAY)
    lab.ok("New-ReceiveConnector", **dict(RELAY, Name="Subnet", RemoteIPRanges="10.1.2.0/24"))


@pytest.mark.parametrize("ranges", ["10.1.2.3", "10.1.2.3/32", "10.1.2.0-10.1.2.5"])
def test_same_binding_needs_other_remote_ranges(lab, ranges):
    lab.ok("New-ReceiveConnector", **dict(RELAY, RemoteIPRanges=["10.1.2.3", "10.1.2.4-10.1.2.9"]))
    error = lab.error("New-ReceiveConnector", **dict(RELAY, Name="Second", RemoteIPRanges=ranges))
    assert_task_error(error, "ConnectorMappingConflictException", "NewReceiveConnector", "InvalidOperation")
    assert error.message.startswith("The values that you specified for the Bindings and RemoteIPRanges parameters "
                                    f"conflict with the settings on Receive connector \"{SERVER}\\Relay\".")


def test_wildcard_binding_on_the_same_port_counts_as_shared(lab):
    lab.ok("New-ReceiveConnector", **dict(RELAY, RemoteIPRanges="10.0.0.0/24"))
    error = lab.error("New-ReceiveConnector", **dict(RELAY, Name="Specific", Bindings="192.0.2.10:25",
                                                     RemoteIPRanges="10.0.0.128-10.0.1.4"))
    assert_task_error(error, "ConnectorMappingConflictException", "NewReceiveConnector", "InvalidOperation")
    lab.ok("New-ReceiveConnector", **dict(RELAY, Name="Specific", Bindings="192.0.2.10:25", RemoteIPRanges="10.0.0.0/24"))


@pytest.mark.parametrize("bindings", ["0.0.0.0:25", "192.0.2.10:25"])
def test_transport_roles_cannot_share_a_binding(lab, bindings):
    error = lab.error("New-ReceiveConnector", **dict(RELAY, TransportRole="HubTransport", Bindings=bindings))
    assert_task_error(error, "ReceiveConnectorRoleConflictException", "NewReceiveConnector", "InvalidOperation")
    assert error.message == (
        "The values that you specified for the Bindings and RemoteIPRanges parameters conflict with the settings on "
        f"Receive connector \"{FRONTEND}\". Receive connectors assigned to different Transport roles on a single "
        "server must listen on unique local IP address & port bindings.")


def test_ipv6_binding_does_not_share_an_ipv4_port(lab):
    lab.ok("New-ReceiveConnector", **dict(RELAY, TransportRole="HubTransport", Bindings="[2001:db8::1]:2525",
                                          RemoteIPRanges="2001:db8::/64"))
    error = lab.error("New-ReceiveConnector", **dict(RELAY, Name="Hub", TransportRole="FrontendTransport",
                                                     Bindings="[2001:db8::2]:2525", RemoteIPRanges="2001:db8::5"))
    assert_task_error(error, "ReceiveConnectorRoleConflictException", "NewReceiveConnector", "InvalidOperation")


@pytest.mark.parametrize("parameter, value, type_name, reason", [
    ("RemoteIPRanges", "10.0.0.300", "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]",
     "'10.0.0.300' isn't a valid IP address."),
    ("Bindings", "0.0.0.0", "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPBinding]", None),
    ("AuthMechanism", "Kerberos", "Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms",
     "Unable to match the identifier name Kerberos to a valid enumerator name."),
    ("MaxMessageSize", "big", "Microsoft.Exchange.Data.ByteQuantifiedSize", None),
    ("ConnectionTimeout", "forever", "Microsoft.Exchange.Data.EnhancedTimeSpan", None),
    ("TransportRole", "Mailbox", "Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole", None),
])
def test_unconvertible_values_are_binding_errors(lab, parameter, value, type_name, reason):
    error = lab.error("New-ReceiveConnector", **dict(RELAY, **{parameter: value}))
    assert_binding_error(error, "ParameterArgumentTransformationError", "New-ReceiveConnector", "InvalidData")
    assert error.exception_type == "System.Management.Automation.ParameterBindingArgumentTransformationException"
    assert error.message.startswith(f"Cannot process argument transformation on parameter '{parameter}'. Cannot "
                                    f"convert value \"{value}\" to type \"{type_name}\". Error: \"")
    if reason:
        assert reason in error.message
    assert lab.ok("Get-ReceiveConnector", Identity="Relay*") == []


@pytest.mark.parametrize("parameters, fragment", [
    (dict(AuthMechanism="BasicAuthRequireTLS, Tls"), "requires BasicAuth"),
    (dict(AuthMechanism="BasicAuth, BasicAuthRequireTLS"), "requires Tls"),
    (dict(AuthMechanism="None", RequireTLS=True), "RequireTLS"),
    (dict(AuthMechanism="Tls, ExternalAuthoritative"), "ExchangeServers permission group"),
    (dict(AuthMechanism="ExternalAuthoritative, BasicAuth", PermissionGroups="ExchangeServers"), "only be combined"),
    (dict(ConnectionTimeout="00:01:00", ConnectionInactivityTimeout="00:02:00"), "ConnectionTimeout"),
    (dict(Banner="Hello there"), "220"),
    (dict(MaxHopCount=501), "between 1 and 500"),
    (dict(MaxMessageSize="32KB"), "MaxMessageSize"),
    (dict(MaxInboundConnectionPerSource=10001), "between 1 and 10000"),
    (dict(TarpitInterval="00:00:01.5"), "whole number of seconds"),
    (dict(DomainSecureEnabled=True, AuthMechanism="None"), "DomainSecureEnabled"),
    (dict(Bindings="224.0.0.1:25"), "multicast"),
])
def test_property_rules(lab, parameters, fragment):
    error = lab.error("New-ReceiveConnector", **dict(RELAY, **parameters))
    assert_task_error(error, "DataValidationException", "NewReceiveConnector")
    assert fragment in error.message


def test_rules_that_hold(lab):
    (connector,) = lab.ok("New-ReceiveConnector", **dict(
        RELAY, AuthMechanism="Tls, ExternalAuthoritative", PermissionGroups="ExchangeServers", Banner="220 Relay ready",
        MaxMessageSize="64 KB", MaxHopCount=500, TarpitInterval="00:00:00"))
    assert str(connector.AuthMechanism) == "Tls, ExternalAuthoritative"
    assert (str(connector.Banner), str(connector.MaxMessageSize)) == ("220 Relay ready", "64 KB (65,536 bytes)")


def test_custom_permission_group_is_a_valid_value(lab):
    # New-/Set-ReceiveConnector.md, -PermissionGroups: "Valid values are: ... Custom".
    (connector,) = lab.ok("New-ReceiveConnector", **dict(RELAY, PermissionGroups="AnonymousUsers, Custom"))
    assert str(connector.PermissionGroups) == "AnonymousUsers, Custom"
    lab.ok("Set-ReceiveConnector", Identity="Relay", PermissionGroups="Custom")
    assert str(lab.connector("Relay").PermissionGroups) == "Custom"


def test_chunking(lab):
    error = lab.error("New-ReceiveConnector", **dict(RELAY, ChunkingEnabled=False))
    assert_task_error(error, "ChunkingEnabledSettingConflictException", "NewReceiveConnector", "InvalidOperation")
    lab.ok("New-ReceiveConnector", **dict(RELAY, ChunkingEnabled=False, BinaryMimeEnabled=False))


def test_inactivity_timeout_must_be_less_than_the_timeout(lab):
    # New-ReceiveConnector.md, -ConnectionInactivityTimeout: "must be less than the value of the ConnectionTimeout".
    error = lab.error("New-ReceiveConnector",
                      **dict(RELAY, ConnectionTimeout="00:05:00", ConnectionInactivityTimeout="00:05:00"))
    assert_task_error(error, "DataValidationException", "NewReceiveConnector")
    lab.ok("New-ReceiveConnector", **dict(RELAY, ConnectionTimeout="00:05:00", ConnectionInactivityTimeout="00:04:59"))


@pytest.mark.parametrize("usage, parameters, exception", [
    ("Client", dict(), "ParameterErrorForClientUsageException"),
    ("Partner", dict(RemoteIPRanges="10.0.0.1"), "ParameterErrorForPartnerUsageException"),
    ("Partner", dict(Bindings="0.0.0.0:2525"), "ParameterErrorForPartnerUsageException"),
])
def test_usage_client_and_partner_need_their_parameters(lab, usage, parameters, exception):
    # New-ReceiveConnector.md, -Usage: Partner "also require[s] the Bindings parameter"; Client and Partner "also
    # require the RemoteIPRanges parameter".
    error = lab.error("New-ReceiveConnector", Name="X", Usage=usage, **parameters)
    assert_task_error(error, exception, "NewReceiveConnector", "InvalidOperation")


@pytest.mark.parametrize("usage, parameters", [
    ("Client", dict(RemoteIPRanges="10.0.0.1", Bindings="0.0.0.0:2587")),
    ("Internal", dict(RemoteIPRanges="10.0.0.1", Bindings="0.0.0.0:2526")),
    ("Internet", dict(Bindings="10.0.0.9:2527", RemoteIPRanges="10.0.0.1")),
])
def test_parameters_the_prose_forbids_follow_the_syntax_blocks(lab, usage, parameters):
    # The syntax blocks list them as optional (accepted); variant usage-forbids-parameters plays the prose.
    lab.ok("New-ReceiveConnector", Name="X", Usage=usage, **parameters)
    with variants.playing({"usage-forbids-parameters": True}):
        error = lab.error("New-ReceiveConnector", Name="Y", Usage=usage, **parameters)
    assert_task_error(error, f"ParameterErrorFor{usage}UsageException", "NewReceiveConnector", "InvalidOperation")


@pytest.mark.parametrize("variant, given, stored", [
    (None, "500 B", "1 KB (1,024 bytes)"), (None, "2 KB", "2 KB (2,048 bytes)"),
    ("max-header-size-exact", "500 B", "500 B (500 bytes)"),
])
def test_max_header_size_under_one_kilobyte(lab, variant, given, stored):
    # New-ReceiveConnector.md, -MaxHeaderSize: "small values might be rounded up to the nearest kilobyte".
    with variants.playing({variant: True} if variant else {}):
        (connector,) = lab.ok("New-ReceiveConnector", **dict(RELAY, MaxHeaderSize=given))
    assert str(connector.MaxHeaderSize) == stored


def test_exchange_server_auth_pins_the_fqdn(lab):
    error = lab.error("New-ReceiveConnector", **dict(RELAY, AuthMechanism="Tls, ExchangeServer", Fqdn="mail.contoso.com"))
    assert_task_error(error, "InvalidFqdnUnderExchangeServerAuthException", "NewReceiveConnector", "InvalidOperation")
    lab.ok("New-ReceiveConnector", **dict(RELAY, AuthMechanism="Tls, ExchangeServer", Fqdn=SERVER))


def test_certificate_must_exist_on_the_server(lab):
    (connector,) = lab.ok("New-ReceiveConnector", **dict(
        RELAY, TlsCertificateName=f"<I>cn={SERVER}<S>cn={SERVER}"))
    assert str(connector.TlsCertificateName) == f"<I>cn={SERVER}<S>cn={SERVER}"
    # CN=Solo-E19A is installed on another server (solo-e19a) only.
    error = lab.error("New-ReceiveConnector", **dict(RELAY, Name="Other", RemoteIPRanges="10.9.9.9",
                                                     TlsCertificateName="<I>CN=Solo-E19A<S>CN=Solo-E19A"))
    assert_task_error(error, "TlsCertificateNameNotFoundException", "NewReceiveConnector", "ObjectNotFound")


# ------------------------------------------------------------------ Remove
def test_remove_with_confirm_false(lab):
    lab.ok("New-ReceiveConnector", **RELAY)
    assert lab.ok("Remove-ReceiveConnector", Identity="Relay", Confirm=False) == []
    assert_task_error(lab.error("Get-ReceiveConnector", Identity="Relay"), "ManagementObjectNotFoundException",
                      "GetReceiveConnector")
    assert lab.counters() == {"write_calls": 2, "writes": 2}


def test_remove_without_confirm_false_cannot_prompt(lab):
    lab.ok("New-ReceiveConnector", **RELAY)
    for parameters in ({}, {"Confirm": True}):
        error = lab.error("Remove-ReceiveConnector", Identity="Relay", **parameters)
        assert error.exception_type == "System.Management.Automation.Host.HostException"
    assert lab.ok("Remove-ReceiveConnector", Identity="Relay", WhatIf=True) == []
    assert str(lab.connector("Relay")) == f"{SERVER}\\Relay"
    assert lab.counters() == {"write_calls": 4, "writes": 1}


def test_what_if_changes_nothing(lab):
    assert lab.ok("New-ReceiveConnector", **dict(RELAY, WhatIf=True)) == []
    assert lab.ok("Get-ReceiveConnector", Identity="Relay*") == []
    lab.ok("Set-ReceiveConnector", Identity=FRONTEND, Comment="x", WhatIf=True)
    assert str(lab.connector(FRONTEND).Comment) == ""
    assert lab.counters() == {"write_calls": 2, "writes": 0}


def test_remove_from_the_pipeline(lab):
    from exchange_lab.exchange.api import Command
    lab.ok("New-ReceiveConnector", **RELAY)
    result = lab.pipeline(Command("Get-ReceiveConnector", {"Identity": "Relay"}),
                          Command("Remove-ReceiveConnector", {"Confirm": False}))
    assert not result.errors and not result.output
    assert len(lab.ok("Get-ReceiveConnector")) == 5


def test_remove_unknown(lab):
    error = lab.error("Remove-ReceiveConnector", Identity="Relay", Confirm=False)
    assert_task_error(error, "ManagementObjectNotFoundException", "RemoveReceiveConnector")
    assert lab.counters() == {"write_calls": 1, "writes": 0}
