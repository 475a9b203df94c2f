"""relay_view: what the SMTP listeners read from the organisation (issue 4's contract)."""
import ipaddress
import threading

import pytest

from exchange_lab.exchange import relay_view
from exchange_lab.exchange.api import Command
from exchange_lab.exchange.context import LANGUAGE_VARIABLE
from model_lab import SERVER, Lab

FRONTEND = f"{SERVER}\\Default Frontend {SERVER}"
CLIENT = f"{SERVER}\\Client Frontend {SERVER}"
ANONYMOUS_RIGHTS = {"ms-exch-smtp-submit", "ms-exch-smtp-accept-any-sender",
                    "ms-exch-smtp-accept-authoritative-domain-sender", "ms-exch-accept-headers-routing"}
USER_RIGHTS = {"ms-exch-smtp-submit", "ms-exch-smtp-accept-any-recipient", "ms-exch-bypass-anti-spam",
               "ms-exch-accept-headers-routing"}
RELAY = dict(Name="Anonymous Relay", TransportRole="FrontendTransport", Custom=True, Bindings="0.0.0.0:25",
             RemoteIPRanges=["10.1.2.3", "192.168.5.0/24"], PermissionGroups="AnonymousUsers",
             MaxMessageSize="10MB", Banner="220 relay ready", AuthMechanism="None")


@pytest.fixture
def lab(tmp_path):
    return Lab(tmp_path)


def view_of(lab: Lab, name: str) -> relay_view.ConnectorView:
    return next(v for v in relay_view.connectors(lab.endpoint) if v.name == name)


def test_connector_views_of_the_seeded_connectors(lab):
    views = relay_view.connectors(lab.endpoint)
    assert [v.identity for v in views] == [f"{SERVER}\\{n} {SERVER}" for n in (
        "Default", "Client Proxy", "Default Frontend", "Outbound Proxy Frontend", "Client Frontend")]
    frontend = views[2]
    assert (frontend.server, frontend.name, frontend.transport_role, frontend.enabled) == (
        SERVER, f"Default Frontend {SERVER}", "FrontendTransport", True)
    assert set(frontend.bindings) == {(ipaddress.ip_address("0.0.0.0"), 25), (ipaddress.ip_address("::"), 25)}
    assert (ipaddress.ip_address("0.0.0.0"), ipaddress.ip_address("255.255.255.255")) in frontend.remote_ranges
    assert frontend.permission_groups == {"AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers"}
    assert frontend.auth_mechanism == {"Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer"}
    assert frontend.fqdn == f"{SERVER}.exlab.dom"
    assert frontend.tls_certificate == (f"CN={SERVER}", f"CN={SERVER}")
    assert (frontend.max_message_size, frontend.require_tls, frontend.banner) == (36 * 1024 * 1024, False, None)
    assert views[0].transport_role == "HubTransport" and views[4].tls_certificate is None


def test_a_new_relay_connector_shows_and_the_generation_moves_on_writes_only(lab):
    org = lab.endpoint
    start = relay_view.generation(org)
    lab.ok("Get-ReceiveConnector")
    relay_view.session_rights(org, FRONTEND, None)
    assert relay_view.generation(org) == start
    lab.ok("New-ReceiveConnector", **RELAY)
    relay = view_of(lab, "Anonymous Relay")
    assert relay.remote_ranges == (
        (ipaddress.ip_address("10.1.2.3"), ipaddress.ip_address("10.1.2.3")),
        (ipaddress.ip_address("192.168.5.0"), ipaddress.ip_address("192.168.5.255")))
    assert (relay.permission_groups, relay.auth_mechanism) == ({"AnonymousUsers"}, frozenset())
    assert (relay.max_message_size, relay.banner) == (10 * 1024 * 1024, "220 relay ready")
    assert relay_view.generation(org) == start + 1
    assert lab.run("Set-ReceiveConnector", "Anonymous Relay", Banner="220 relay ready").warnings  # no change
    assert relay_view.generation(org) == start + 1


def test_session_rights_follow_permission_groups_and_explicit_aces(lab):
    org = lab.endpoint
    assert relay_view.session_rights(org, FRONTEND, None) == ANONYMOUS_RIGHTS
    assert relay_view.session_rights(org, CLIENT, "EXLAB\\relay") == USER_RIGHTS
    assert relay_view.session_rights(org, CLIENT, None) == frozenset()
    assert relay_view.session_rights(org, "NO\\Such Connector", None) == frozenset()
    # Seed 002: the anonymous relay right.
    lab.pipeline(Command("Get-ReceiveConnector", {"Identity": FRONTEND}),
                 Command("Add-ADPermission", {"User": "NT AUTHORITY\\Anonymous Logon",
                                              "ExtendedRights": "ms-Exch-SMTP-Accept-Any-Recipient"}))
    assert relay_view.session_rights(org, FRONTEND, None) == ANONYMOUS_RIGHTS | {"ms-exch-smtp-accept-any-recipient"}
    assert "ms-exch-smtp-accept-any-recipient" not in relay_view.session_rights(org, FRONTEND, "relay")


def test_everyone_deny_and_per_user_entries(lab):
    org = lab.endpoint
    lab.ok("Add-ADPermission", CLIENT, User="EXLAB\\relay", ExtendedRights="ms-Exch-Bypass-Message-Size-Limit")
    assert "ms-exch-bypass-message-size-limit" in relay_view.session_rights(org, CLIENT, "relay@exlab.dom")
    assert "ms-exch-bypass-message-size-limit" not in relay_view.session_rights(org, CLIENT, "EXLAB\\exadmin")
    lab.ok("Add-ADPermission", CLIENT, User="Everyone", ExtendedRights="ms-Exch-SMTP-Submit", Deny=True)
    assert "ms-exch-smtp-submit" not in relay_view.session_rights(org, CLIENT, "relay")
    lab.ok("Add-ADPermission", FRONTEND, User="Everyone", ExtendedRights="ms-Exch-SMTP-Accept-Any-Recipient")
    assert "ms-exch-smtp-accept-any-recipient" in relay_view.session_rights(org, FRONTEND, None)


def test_rights_match_by_sid_in_a_german_organisation(tmp_path, monkeypatch):
    monkeypatch.setenv(LANGUAGE_VARIABLE, "de")
    lab = Lab(tmp_path)
    assert relay_view.session_rights(lab.endpoint, FRONTEND, None) == ANONYMOUS_RIGHTS
    lab.ok("Add-ADPermission", FRONTEND, User="NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG",
           ExtendedRights="ms-Exch-SMTP-Accept-Any-Recipient")
    assert "ms-exch-smtp-accept-any-recipient" in relay_view.session_rights(lab.endpoint, FRONTEND, None)


def test_accepted_domains(lab):
    assert relay_view.accepted_domains(lab.endpoint) == [
        ("solo.com", "Authoritative"), ("*.contoso.local", "Authoritative"), ("*.com", "InternalRelay")]
    assert [str(d.DomainName) for d in lab.ok("Get-AcceptedDomain", "Contoso Wild")] == ["*.contoso.local"]
    assert lab.error("Get-AcceptedDomain", "nope").exception_type.endswith("ManagementObjectNotFoundException")


def test_the_trust_bundle_covers_what_connectors_name(lab):
    bundle = relay_view.trust_bundle(lab.endpoint)
    chain, _key = relay_view.tls_material(lab.endpoint, SERVER, f"CN={SERVER}", f"CN={SERVER}")
    assert chain.read_text() in bundle.read_text()
    assert relay_view.trust_bundle(lab.endpoint) == bundle


def test_views_are_consistent_while_cmdlets_run_on_other_threads(lab):
    failures = []

    def write() -> None:
        for index in range(15):
            result = lab.run("Set-ReceiveConnector", "Anonymous Relay", Comment=f"change {index}")
            failures.extend(result.errors)

    lab.ok("New-ReceiveConnector", **RELAY)
    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive():
        try:
            assert len(relay_view.connectors(lab.endpoint)) == 6
            relay_view.session_rights(lab.endpoint, "Anonymous Relay", None)
        except Exception as failure:  # noqa: BLE001 - collected and reported below
            failures.append(failure)
    writer.join(timeout=30)
    assert not failures
    assert relay_view.generation(lab.endpoint) == 16
