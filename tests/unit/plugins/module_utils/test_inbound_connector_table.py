# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange Online inbound connectors: value kinds, reading the REST JSON, rules and the open-relay guard."""

from __future__ import annotations

import re

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._common import engine
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    UnexpectedExchangeValue,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.api import (
    check_name,
    combination_problems,
    connector_values,
    creation_restricted,
    get_connector,
    list_connectors,
    unrestricted_connector_problem,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.table import (
    NEW_CONNECTOR_DEFAULTS,
    READ_TABLE,
    ROWS,
)


def kind(option):
    return READ_TABLE[option][1]


def relay_json(**changes):
    """A connector as Get-InboundConnector returns it over REST (plain JSON, EXCHANGE.md 5),
    written out here with the documented property names and the address space form of SenderDomains."""
    obj = {
        "Name": "SMTP Relay", "Identity": "SMTP Relay", "Enabled": True, "ConnectorType": "OnPremises",
        "ConnectorSource": "Default", "Comment": None, "SenderIPAddresses": ["203.0.113.10", "198.51.100.0/24"],
        "SenderDomains": ["smtp:*;1"], "TrustedOrganizations": [], "AssociatedAcceptedDomains": [],
        "RequireTls": True, "RestrictDomainsToIPAddresses": True, "RestrictDomainsToCertificate": False,
        "CloudServicesMailEnabled": False, "TreatMessagesAsInternal": False, "TlsSenderCertificateName": None,
        "Guid": "2b1e3d4c-0000-4000-8000-000000000001",
    }
    obj.update(changes)
    return obj


# --- kinds ---------------------------------------------------------------------------------------

def test_argument_spec_types_follow_the_kinds():
    spec = engine.argument_spec(ROWS)
    assert spec["sender_domains"] == {"type": "raw"}  # a list, or an add/remove/set dict (list_edit)
    assert spec["sender_ip_addresses"] == {"type": "raw"}
    assert spec["require_tls"] == {"type": "bool"}
    assert spec["tls_sender_certificate_name"] == {"type": "str"}


@pytest.mark.parametrize("printed, typed", [
    (["smtp:*;1"], ["*"]),
    (["smtp:contoso.com;1", "SMTP:*.Fabrikam.com;1"], ["*.fabrikam.com", "Contoso.COM"]),
    (["smtp:contoso.com"], "contoso.com"),
])
def test_sender_domains_printed_and_typed_forms_are_equal(printed, typed):
    assert kind("sender_domains").from_exchange(printed) == kind("sender_domains").from_input(typed, "sender_domains")


def test_sender_domains_are_plain_lower_case_domains():
    assert kind("sender_domains").from_exchange(["smtp:Contoso.com;1", "smtp:*;1"]) == ["*", "contoso.com"]
    assert kind("sender_domains").to_parameter(["*", "contoso.com"]) == ["*", "contoso.com"]


@pytest.mark.parametrize("value, reason", [
    ("domain.*.contoso.com", "embedded"),
    ("*contoso.com", "embedded"),
    ("contoso", "two labels"),
    ("x400:c=us;1", "smtp"),
    ("conto so.com", ""),
])
def test_bad_sender_domains_are_refused_with_the_option_named(value, reason):
    with pytest.raises(InvalidValue, match=re.escape("sender_domains: %r" % value)) as err:
        kind("sender_domains").from_input(["contoso.com", value], "sender_domains")
    assert reason in str(err.value)


@pytest.mark.parametrize("typed, canonical", [
    (["203.0.113.10"], ["203.0.113.10"]),
    (["203.0.113.10/32"], ["203.0.113.10"]),
    (["192.168.0.1/25"], ["192.168.0.0/25"]),  # New-InboundConnector.md's own example, host bits set
    (["198.51.100.0/24", "203.0.113.10"], ["198.51.100.0/24", "203.0.113.10"]),
])
def test_sender_ip_addresses_accept_ipv4_and_cidr_24_to_32(typed, canonical):
    assert kind("sender_ip_addresses").from_input(typed, "sender_ip_addresses") == canonical


@pytest.mark.parametrize("value, reason", [
    ("198.51.100.0/23", "/24 to /32"),
    ("10.0.0.0/8", "/24 to /32"),
    ("0.0.0.0/0", "/24 to /32"),
    ("2001:db8::1", "IPv6"),
    ("2001:db8::/120", "IPv6"),
    ("203.0.113.1-203.0.113.9", "ranges"),
    ("203.0.113.300", "not an IP address"),
])
def test_sender_ip_addresses_refuse_what_exchange_online_does_not_take(value, reason):
    with pytest.raises(InvalidValue) as err:
        kind("sender_ip_addresses").from_input(["203.0.113.10", value], "sender_ip_addresses")
    message = str(err.value)
    assert message.startswith("sender_ip_addresses: %r" % value)
    assert reason in message and "/24 to /32" in message


def test_sender_ip_addresses_as_exchange_prints_them():
    # A spelling of a valid block other than CIDR still compares equal.
    assert kind("sender_ip_addresses").from_exchange(["203.0.113.0-203.0.113.255", "203.0.113.10/32"]) == \
        ["203.0.113.0/24", "203.0.113.10"]


@pytest.mark.parametrize("typed, canonical", [
    ("*.Contoso.com", "*.contoso.com"),
    ("mail.contoso.com", "mail.contoso.com"),
    ("", None),
])
def test_tls_sender_certificate_name(typed, canonical):
    assert kind("tls_sender_certificate_name").from_input(typed, "tls_sender_certificate_name") == canonical


@pytest.mark.parametrize("value", ["*", "mail.*.contoso.com", "*.*.contoso.com", "<I>CN=CA<S>CN=mail"])
def test_tls_sender_certificate_name_refuses_embedded_wildcards(value):
    with pytest.raises(InvalidValue, match="tls_sender_certificate_name"):
        kind("tls_sender_certificate_name").from_input(value, "tls_sender_certificate_name")


def test_associated_accepted_domains_take_no_star_alone():
    assert kind("associated_accepted_domains").from_input("Contoso.com, *.fabrikam.com", "x") == \
        ["*.fabrikam.com", "contoso.com"]
    with pytest.raises(InvalidValue, match="associated_accepted_domains: '\\*'"):
        kind("associated_accepted_domains").from_input(["*"], "associated_accepted_domains")


# --- reading the REST JSON and feeding it back ----------------------------------------------------

def test_connector_values_are_canonical_with_option_names():
    values = connector_values(relay_json())
    assert values == {
        "name": "SMTP Relay", "connector_type": "OnPremises", "enabled": True, "comment": None,
        "sender_domains": ["*"], "sender_ip_addresses": ["198.51.100.0/24", "203.0.113.10"],
        "tls_sender_certificate_name": None, "require_tls": True, "restrict_domains_to_ip_addresses": True,
        "restrict_domains_to_certificate": False, "associated_accepted_domains": [],
        "cloud_services_mail_enabled": False, "treat_messages_as_internal": False,
    }


def test_info_output_fed_back_has_no_differences():
    current = connector_values(relay_json())
    assert engine.differences(current, engine.desired_values(current, ROWS)) == {}


def test_one_change_is_planned_alone():
    current = connector_values(relay_json())
    desired = engine.desired_values({"sender_ip_addresses": ["203.0.113.10", "203.0.113.11"],
                                     "sender_domains": "*", "comment": "relay"}, ROWS)
    changes = engine.differences(current, desired)
    assert sorted(changes) == ["comment", "sender_ip_addresses"]
    parameters = engine.parameters(desired, ROWS, list(changes), on_new=False)[0]
    assert parameters == {"SenderIPAddresses": ["203.0.113.10", "203.0.113.11"], "Comment": "relay"}


def test_a_property_exchange_does_not_report_is_left_out():
    obj = relay_json()
    del obj["TreatMessagesAsInternal"]
    assert "treat_messages_as_internal" not in connector_values(obj)


def test_an_unreadable_value_names_the_property():
    with pytest.raises(UnexpectedExchangeValue, match="SenderDomains"):
        connector_values(relay_json(SenderDomains=["x400:c=us;1"]))


class ListingClient:
    """Answers Get-InboundConnector like the docs warn: a non-existent Identity returns every connector."""

    def __init__(self, connectors, not_found=False):
        self.connectors = connectors
        self.not_found = not_found

    def invoke(self, cmdlet, parameters):
        if self.not_found:
            raise ExchangeError("couldn't be found", cmdlet=cmdlet,
                                exception_type="Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
        return list(self.connectors)


def test_get_connector_picks_the_named_connector_whatever_exchange_returns():
    everything = ListingClient([relay_json(), relay_json(Name="Partner in")])
    assert get_connector(everything, "partner IN")["Name"] == "Partner in"
    assert get_connector(everything, "missing") is None
    assert get_connector(ListingClient([], not_found=True), "missing") is None
    assert list_connectors(everything, "missing") == []
    assert len(list_connectors(everything)) == 2


def test_other_errors_are_not_taken_for_absence():
    class Failing:
        def invoke(self, cmdlet, parameters):
            raise ExchangeError("denied", cmdlet=cmdlet)

    with pytest.raises(ExchangeError):
        get_connector(Failing(), "SMTP Relay")


@pytest.mark.parametrize("name", ["", "  ", "Relay\nInjected", "tab\there"])
def test_bad_names_are_refused(name):
    with pytest.raises(InvalidValue, match="name"):
        check_name(name)


# --- rules between options -------------------------------------------------------------------------

@pytest.mark.parametrize("values, fragment", [
    ({"treat_messages_as_internal": True, "cloud_services_mail_enabled": True}, "cloud_services_mail_enabled"),
    ({"treat_messages_as_internal": True, "connector_type": "Partner"}, "needs connector_type OnPremises"),
    ({"restrict_domains_to_ip_addresses": True, "sender_ip_addresses": []}, "needs sender_ip_addresses"),
    ({"restrict_domains_to_certificate": True, "tls_sender_certificate_name": None},
     "needs tls_sender_certificate_name"),
])
def test_rules_between_options(values, fragment):
    problems = combination_problems(values)
    assert len(problems) == 1 and fragment in problems[0]


@pytest.mark.parametrize("values", [
    {"treat_messages_as_internal": True, "connector_type": "OnPremises", "cloud_services_mail_enabled": False},
    # Partial options (before the connector is read): what is not given is not judged.
    {"treat_messages_as_internal": True},
    {"restrict_domains_to_ip_addresses": True},
    {"restrict_domains_to_certificate": True},
    {"restrict_domains_to_ip_addresses": True, "sender_ip_addresses": ["203.0.113.10"]},
])
def test_rules_pass_valid_or_unknown_combinations(values):
    assert combination_problems(values) == []


def test_a_new_connector_is_judged_with_the_documented_defaults():
    after = engine.merged(NEW_CONNECTOR_DEFAULTS, {"restrict_domains_to_certificate": True})
    assert "needs tls_sender_certificate_name" in combination_problems(after)[0]


def test_an_existing_connector_is_judged_as_it_would_be():
    current = connector_values(relay_json())
    after = engine.merged(current, {"sender_ip_addresses": []})
    assert "needs sender_ip_addresses" in combination_problems(after)[0]


# --- the open-relay guard ---------------------------------------------------------------------------

UNRESTRICTED = {"connector_type": "OnPremises", "sender_domains": ["*"], "sender_ip_addresses": [],
                "tls_sender_certificate_name": None}


def test_an_onpremises_connector_for_any_domain_from_anywhere_is_refused():
    problem = unrestricted_connector_problem(UNRESTRICTED)
    assert "open relay" in problem and "allow_unrestricted" in problem


def test_the_guard_reads_the_address_space_exchange_prints():
    current = connector_values(relay_json(SenderIPAddresses=[], RestrictDomainsToIPAddresses=False))
    assert unrestricted_connector_problem(current) is not None


@pytest.mark.parametrize("changes", [
    {"sender_ip_addresses": ["203.0.113.10"]},
    {"tls_sender_certificate_name": "*.contoso.com"},
    {"connector_type": "Partner"},
    {"sender_domains": ["contoso.com"]},
])
def test_the_guard_lets_restricted_connectors_pass(changes):
    assert unrestricted_connector_problem(dict(UNRESTRICTED, **changes)) is None


def test_the_guard_waits_until_everything_is_known():
    partial = dict(UNRESTRICTED)
    del partial["sender_ip_addresses"]
    assert unrestricted_connector_problem(partial) is None


# --- the E5 developer tenant restriction -------------------------------------------------------------

@pytest.mark.parametrize("error, restricted", [
    (ExchangeError("Creation of inbound connectors is restricted for this subscription.",
                   cmdlet="New-InboundConnector"), True),
    (ExchangeError("refused", cmdlet="New-InboundConnector",
                   exception_type="Microsoft.Exchange.Management.Tasks.ConnectorRestrictedException"), True),
    (ExchangeError("RestrictDomainsToIPAddresses isn't valid.", cmdlet="New-InboundConnector"), False),
    (ExchangeError("Creation is restricted.", cmdlet="Set-InboundConnector"), False),
])
def test_creation_restricted(error, restricted):
    assert creation_restricted(error) is restricted
