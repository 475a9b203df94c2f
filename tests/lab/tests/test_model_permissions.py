"""Get-, Add- and Remove-ADPermission on receive connectors, and the ACEs permission groups write."""
import re

import pytest

from exchange_lab.exchange import acl
from exchange_lab.exchange.api import Command
from exchange_lab.exchange.context import LANGUAGE_VARIABLE
from model_lab import SERVER, Lab, assert_binding_error, client_view, texts

FRONTEND = f"{SERVER}\\Default Frontend {SERVER}"
CLIENT = f"{SERVER}\\Client Frontend {SERVER}"
ANONYMOUS = "NT AUTHORITY\\ANONYMOUS LOGON"
AUTHENTICATED = "NT AUTHORITY\\Authenticated Users"
RELAY_RIGHT = "ms-Exch-SMTP-Accept-Any-Recipient"
ANONYMOUS_GROUP_RIGHTS = {"ms-Exch-Accept-Headers-Routing", "ms-Exch-SMTP-Accept-Any-Sender",
                          "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender", "ms-Exch-SMTP-Submit"}
USERS_GROUP_RIGHTS = {"ms-Exch-Accept-Headers-Routing", "ms-Exch-Bypass-Anti-Spam",
                      "ms-Exch-SMTP-Accept-Any-Recipient", "ms-Exch-SMTP-Submit"}
ACE_PROPERTIES = ["AccessRights", "ExtendedRights", "ChildObjectTypes", "InheritedObjectType", "Properties", "Deny",
                  "InheritanceType", "User", "Identity", "IsInherited", "IsValid", "ObjectState"]
RECIPIENT_TASK_ERROR = re.compile(
    r"^\[Server=WIN-CTD3L0RGEN4,RequestId=[0-9a-f-]{36},TimeStamp=[^\]]+\] \[FailureCategory=Cmdlet-(?P<exception>\w+)\] "
    r"[0-9A-F]{8},Microsoft\.Exchange\.Management\.RecipientTasks\.(?P<task>\w+)$")
RELAY = dict(Name="Relay", TransportRole="FrontendTransport", Custom=True, Bindings="0.0.0.0:25",
             RemoteIPRanges="10.1.2.3")


@pytest.fixture
def lab(tmp_path):
    return Lab(tmp_path)


def assert_recipient_task_error(error, exception: str, task: str, category: str) -> None:
    assert error.exception_type.endswith("." + exception), error.exception_type
    assert error.category == category
    match = RECIPIENT_TASK_ERROR.match(error.error_id)
    assert match and (match["exception"], match["task"]) == (exception, task), error.error_id


def rights_of(aces, user: str, inherited: bool = False, deny: bool = False) -> set[str]:
    return {str(right) for ace in aces if str(ace.User) == user and ace.IsInherited is inherited
            and str(ace.Deny) == str(deny) for right in (ace.ExtendedRights or [])}


def grant_relay(lab: Lab, identity: str = FRONTEND):
    return lab.pipeline(Command("Get-ReceiveConnector", {"Identity": identity}),
                        Command("Add-ADPermission", {"User": "NT AUTHORITY\\Anonymous Logon",
                                                     "ExtendedRights": "MS-Exch-SMTP-Accept-Any-Recipient"}))


# ------------------------------------------------------------------ seeded ACLs and the object shape
def test_seeded_connectors_carry_the_aces_of_their_permission_groups(lab):
    frontend = lab.ok("Get-ADPermission", FRONTEND)
    assert rights_of(frontend, ANONYMOUS) == ANONYMOUS_GROUP_RIGHTS  # AnonymousUsers is in its groups
    assert not rights_of(frontend, AUTHENTICATED)
    client = lab.ok("Get-ADPermission", Identity=CLIENT)
    assert rights_of(client, AUTHENTICATED) == USERS_GROUP_RIGHTS  # ExchangeUsers only
    assert not rights_of(client, ANONYMOUS)
    # ExchangeLegacyServers: ExchangeLegacyInterop is denied the forest headers (deployment reference).
    assert rights_of(frontend, "EXLAB\\ExchangeLegacyInterop", deny=True) == {
        "ms-Exch-Accept-Headers-Forest", "ms-Exch-Accept-Headers-Organization"}
    # Canonical order: explicit deny, explicit allow, inherited.
    flags = [(ace.IsInherited, str(ace.Deny)) for ace in frontend]
    assert flags == sorted(flags, key=lambda f: (f[0], f[1] == "False"))
    assert any(ace.IsInherited for ace in frontend) and not any(ace.IsInherited for ace in frontend[:-5])


def test_ace_objects_have_the_exchange_property_set_and_carry_the_sid(lab):
    (ace,) = [a for a in lab.ok("Get-ADPermission", FRONTEND, User=ANONYMOUS)
              if str(a.ExtendedRights[0]) == "ms-Exch-SMTP-Submit"]
    assert ace.PSObject.type_names[0] == "Deserialized.Microsoft.Exchange.Management.RecipientTasks.ADAcePresentationObject"
    assert [p.name for p in ace.PSObject.adapted_properties] == ACE_PROPERTIES
    assert (str(ace.AccessRights[0]), int(ace.AccessRights[0])) == ("ExtendedRight", 256)
    assert (str(ace.Deny), str(ace.InheritanceType), ace.IsInherited) == ("False", "All", False)
    assert str(ace.User) == ANONYMOUS and str(ace.User.SecurityIdentifier) == "S-1-5-7"
    assert str(ace.Identity) == FRONTEND and str(ace) == FRONTEND
    assert ace.ChildObjectTypes is None and ace.Properties is None


def test_inherited_entries_have_no_extended_right_names(lab):
    inherited = [a for a in lab.ok("Get-ADPermission", CLIENT) if a.IsInherited]
    assert {str(a.User) for a in inherited} >= {"EXLAB\\Exchange Trusted Subsystem", "NT AUTHORITY\\SYSTEM"}
    full = next(a for a in inherited if str(a.User) == "EXLAB\\Organization Management")
    assert str(full.AccessRights[0]) == "GenericAll" and full.ExtendedRights is None


def test_user_filter_and_unknown_identity(lab):
    assert {str(a.User) for a in lab.ok("Get-ADPermission", FRONTEND, User="S-1-5-7")} == {ANONYMOUS}
    error = lab.error("Get-ADPermission", "Nope")
    assert_recipient_task_error(error, "ManagementObjectNotFoundException", "GetADPermission", "NotSpecified")


# ------------------------------------------------------------------ Add-ADPermission
def test_seed_002_pipeline_grants_the_relay_right(lab):
    result = grant_relay(lab)
    assert not result.errors and not result.warnings
    (written,) = client_view(result.output)
    assert (str(written.User), texts(written.ExtendedRights)) == (ANONYMOUS, [RELAY_RIGHT])  # AD's own spelling
    assert lab.counters() == {"write_calls": 1, "writes": 1}
    assert RELAY_RIGHT in rights_of(lab.ok("Get-ADPermission", FRONTEND), ANONYMOUS)


def test_adding_an_existing_ace_warns_writes_the_object_and_changes_nothing(lab):
    grant_relay(lab)
    store = (lab.directory / "state" / "store.xml").read_bytes()
    again = grant_relay(lab)
    assert not again.errors and len(again.output) == 1
    (warning,) = again.warnings
    assert warning.startswith('The appropriate access control entry is already present on object "CN=Default Frontend')
    assert warning.endswith(f'for account "{ANONYMOUS}".')
    assert lab.counters() == {"write_calls": 2, "writes": 1}
    assert (lab.directory / "state" / "store.xml").read_bytes() == store
    # A right the permission group already gave is "present" too.
    assert lab.run("Add-ADPermission", FRONTEND, User="S-1-5-7", ExtendedRights="ms-exch-smtp-submit").warnings


def test_one_ace_per_right_and_user_forms(lab):
    result = lab.run("Add-ADPermission", CLIENT, User="everyone",
                     ExtendedRights=["ms-Exch-SMTP-Submit", "ms-exch-bypass-anti-spam"])
    assert [texts(a.ExtendedRights) for a in client_view(result.output)] == [
        ["ms-Exch-SMTP-Submit"], ["ms-Exch-Bypass-Anti-Spam"]]
    hub = lab.run("Add-ADPermission", CLIENT, User="MS Exchange\\Hub Transport Servers", ExtendedRights=RELAY_RIGHT)
    (ace,) = client_view(hub.output)
    assert str(ace.User.SecurityIdentifier) == "S-1-9-1419165041-1139599005-3936102811-1022490595-21"
    assert not lab.run("Add-ADPermission", CLIENT, User="S-1-5-21-1-2-3-4242", ExtendedRights=RELAY_RIGHT).errors


def test_access_rights_and_deny(lab):
    result = lab.run("Add-ADPermission", CLIENT, User="Everyone", AccessRights=["ReadProperty, WriteProperty", "Delete"],
                     Deny=True)
    assert [str(a.AccessRights[0]) for a in client_view(result.output)] == ["ReadProperty, WriteProperty", "Delete"]
    first = lab.ok("Get-ADPermission", CLIENT)[0]  # explicit deny entries come first
    assert (str(first.User), str(first.Deny)) == ("Everyone", "True")
    error = lab.error("Add-ADPermission", CLIENT, User="Everyone", AccessRights="Nope")
    assert_binding_error(error, "ParameterArgumentTransformationError", "Add-ADPermission", "InvalidData")


@pytest.mark.parametrize("parameters, exception, category", [
    (dict(User="nobody", ExtendedRights=RELAY_RIGHT), "ManagementObjectNotFoundException", "InvalidData"),
    (dict(User="Everyone"), "MustSpecifyEitherAccessOrExtendedRightsException", "InvalidData"),
    (dict(User="Everyone", ExtendedRights="ms-Exch-No-Such-Right"), "ManagementObjectNotFoundException",
     "NotSpecified"),
    (dict(User="Everyone", AccessRights=["GenericAll", "Delete"]), "ArgumentException", "InvalidArgument"),
])
def test_add_refusals(lab, parameters, exception, category):
    assert_recipient_task_error(lab.error("Add-ADPermission", CLIENT, **parameters), exception, "AddADPermission",
                                category)
    assert lab.counters()["writes"] == 0


def test_user_is_mandatory_without_an_instance(lab):
    error = lab.error("Add-ADPermission", CLIENT, ExtendedRights=RELAY_RIGHT)
    assert_binding_error(error, "MissingMandatoryParameter", "Add-ADPermission")


# ------------------------------------------------------------------ Remove-ADPermission
def test_remove_then_remove_again_warns(lab):
    grant_relay(lab)
    gone = lab.run("Remove-ADPermission", FRONTEND, User=ANONYMOUS, ExtendedRights=RELAY_RIGHT, Confirm=False)
    assert not gone.errors and not gone.output and not gone.warnings
    assert RELAY_RIGHT not in rights_of(lab.ok("Get-ADPermission", FRONTEND), ANONYMOUS)
    again = lab.run("Remove-ADPermission", FRONTEND, User=ANONYMOUS, ExtendedRights=RELAY_RIGHT, Confirm=False)
    (warning,) = again.warnings
    assert warning.startswith("Can't remove the access control entry on the object \"CN=Default Frontend")
    assert lab.counters() == {"write_calls": 3, "writes": 2}


def test_remove_needs_confirm_false(lab):
    error = lab.error("Remove-ADPermission", FRONTEND, User=ANONYMOUS, ExtendedRights="ms-Exch-SMTP-Submit")
    assert error.exception_type == "System.Management.Automation.Host.HostException"
    assert "ms-Exch-SMTP-Submit" in rights_of(lab.ok("Get-ADPermission", FRONTEND), ANONYMOUS)


def test_an_inherited_ace_cannot_be_removed(lab):
    error = lab.error("Remove-ADPermission", CLIENT, User="EXLAB\\Exchange Trusted Subsystem",
                      AccessRights="GenericAll", Confirm=False)
    assert_recipient_task_error(error, "TaskInvalidOperationException", "RemoveADPermission", "InvalidOperation")
    assert "inherited" in error.message
    piped = lab.pipeline(Command("Get-ADPermission", {"Identity": CLIENT, "User": "NT AUTHORITY\\SYSTEM"}),
                         Command("Remove-ADPermission", {"Confirm": False}))
    assert not piped.errors and len(piped.warnings) == 1 and "inherited" in piped.warnings[0]
    assert lab.counters()["writes"] == 0


def test_get_piped_into_remove_removes_explicit_entries(lab):
    result = lab.pipeline(Command("Get-ADPermission", {"Identity": CLIENT, "User": AUTHENTICATED}),
                          Command("Remove-ADPermission", {"Confirm": False}))
    assert not result.errors and not result.warnings
    assert not rights_of(lab.ok("Get-ADPermission", CLIENT), AUTHENTICATED)


# ------------------------------------------------------------------ permission groups write ACEs
def test_setting_permission_groups_rewrites_their_aces_and_keeps_explicit_ones(lab):
    lab.ok("Add-ADPermission", CLIENT, User="Everyone", ExtendedRights="ms-Exch-SMTP-Submit")
    assert not lab.run("Set-ReceiveConnector", CLIENT, PermissionGroups="AnonymousUsers").errors
    aces = lab.ok("Get-ADPermission", CLIENT)
    assert rights_of(aces, ANONYMOUS) == ANONYMOUS_GROUP_RIGHTS
    assert not rights_of(aces, AUTHENTICATED)
    assert rights_of(aces, "Everyone") == {"ms-Exch-SMTP-Submit"}


def test_new_connectors_get_their_usage_types_aces(lab):
    lab.ok("New-ReceiveConnector", **RELAY)
    assert not [a for a in lab.ok("Get-ADPermission", "Relay") if not a.IsInherited]  # Custom: no groups
    lab.ok("New-ReceiveConnector", Name="Internet", Internet=True, Bindings="10.0.0.1:25", TransportRole="FrontendTransport")
    assert rights_of(lab.ok("Get-ADPermission", "Internet"), ANONYMOUS) == ANONYMOUS_GROUP_RIGHTS


def test_a_removed_connector_takes_its_acl_along(lab):
    lab.ok("New-ReceiveConnector", **RELAY)
    grant_relay(lab, "Relay")
    lab.ok("Remove-ReceiveConnector", "Relay", Confirm=False)
    lab.ok("New-ReceiveConnector", **RELAY)
    assert not rights_of(lab.ok("Get-ADPermission", "Relay"), ANONYMOUS)


def test_acls_survive_a_restart(tmp_path):
    grant_relay(Lab(tmp_path))
    assert RELAY_RIGHT in rights_of(Lab(tmp_path).ok("Get-ADPermission", FRONTEND), ANONYMOUS)


# ------------------------------------------------------------------ localised principals
def test_a_german_organisation_prints_german_names_for_the_same_sids(tmp_path, monkeypatch):
    monkeypatch.setenv(LANGUAGE_VARIABLE, "de")
    lab = Lab(tmp_path)
    german = "NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG"
    anonymous = [a for a in lab.ok("Get-ADPermission", FRONTEND) if str(a.User.SecurityIdentifier) == "S-1-5-7"]
    assert {str(a.User) for a in anonymous} == {german}
    assert {str(a.User) for a in lab.ok("Get-ADPermission", CLIENT) if not a.IsInherited} == {
        "NT-AUTORITÄT\\Authentifizierte Benutzer"}
    # Windows resolves account names in its own language only; the SID works everywhere.
    error = lab.error("Add-ADPermission", FRONTEND, User=ANONYMOUS, ExtendedRights=RELAY_RIGHT)
    assert_recipient_task_error(error, "ManagementObjectNotFoundException", "AddADPermission", "InvalidData")
    (by_sid,) = lab.ok("Add-ADPermission", FRONTEND, User="S-1-5-7", ExtendedRights=RELAY_RIGHT)
    assert str(by_sid.User) == german
    assert lab.run("Add-ADPermission", FRONTEND, User=german, ExtendedRights=RELAY_RIGHT).warnings


# ------------------------------------------------------------------ .NET formatting
@pytest.mark.parametrize("value, text", [
    (0x100, "ExtendedRight"), (0xF01FF, "GenericAll"), (0x30, "ReadProperty, WriteProperty"),
    (0x20014, "ReadProperty, GenericExecute"), (0x20094, "GenericRead"), (0x2000000, "33554432"),
])
def test_active_directory_rights_print_like_dotnet(value, text):
    assert acl.format_rights(value) == text
