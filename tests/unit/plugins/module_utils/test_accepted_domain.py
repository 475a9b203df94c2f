# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accepted domains read from the real E19 Get-AcceptedDomain capture, and which domains they cover."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._server import accepted_domain as accepted_domain_api

from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml, psobject
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    UnexpectedExchangeValue,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import SMTP_DOMAIN, accepted_domain_covers

CAPTURE = Path(__file__).resolve().parents[2] / "data" / "E19-GetAcceptedDomain.xml"


@pytest.fixture(scope="module")
def objects():
    return clixml.plain_objects_from_export_clixml(CAPTURE.read_bytes())


@pytest.fixture(scope="module")
def domains(objects):
    return [accepted_domain_api.accepted_domain_values(obj) for obj in objects]


def test_capture_reads_into_canonical_values(objects, domains):
    assert len(domains) == 3
    for obj, values in zip(objects, domains):
        # The capture's own text, lower-cased: DNS names are case-insensitive.
        assert values["domain_name"] == psobject.property_value(obj, "DomainName").lower()
        assert values["name"] == psobject.property_value(obj, "Name")
        assert values["domain_type"] == psobject.property_value(obj, "DomainType")
    by_name = {values["name"]: values for values in domains}
    assert by_name["Solo.com"] == {
        "name": "Solo.com", "domain_name": "solo.com", "domain_type": "Authoritative", "default": True,
        "match_subdomains": False, "address_book_enabled": True}
    assert by_name["Contoso Wild"]["domain_name"] == "*.contoso.local"
    assert by_name["Wild .com"]["domain_type"] == "InternalRelay"
    assert by_name["Wild .com"]["address_book_enabled"] is False
    assert [values["name"] for values in domains if values["default"]] == ["Solo.com"]


@pytest.mark.parametrize("domain, names", [
    ("solo.com", ["Solo.com", "Wild .com"]),
    ("mail.solo.com", ["Wild .com"]),
    ("contoso.local", ["Contoso Wild"]),
    ("a.b.contoso.local", ["Contoso Wild"]),
    ("*.contoso.local", ["Contoso Wild"]),
    ("fabrikam.net", []),
    ("com", ["Wild .com"]),
])
def test_which_accepted_domains_cover_a_domain(domains, domain, names):
    assert [values["name"] for values in domains if accepted_domain_api.covers(values, domain)] == names


@pytest.mark.parametrize("domain_name, match_subdomains, domain, covered", [
    ("contoso.com", False, "contoso.com", True),
    ("contoso.com", False, "mail.contoso.com", False),
    ("contoso.com", True, "mail.contoso.com", True),
    ("contoso.com", True, "*.contoso.com", True),
    ("contoso.com", False, "*.contoso.com", False),
    ("mail.contoso.com", True, "*.contoso.com", False),
    ("*.contoso.com", False, "*.a.contoso.com", True),
    ("contoso.com", True, "notcontoso.com", False),
    ("*", False, "anything.example", True),
])
def test_accepted_domain_coverage(domain_name, match_subdomains, domain, covered):
    assert accepted_domain_covers(domain_name, match_subdomains, domain) is covered


@pytest.mark.parametrize("typed, canonical", [
    ("Contoso.COM", "contoso.com"),
    (" *.Contoso.com ", "*.contoso.com"),
    ("contoso.com.", "contoso.com"),
    ("*", "*"),
])
def test_domain_input_is_canonical(typed, canonical):
    assert SMTP_DOMAIN.from_input(typed, "domain") == canonical


@pytest.mark.parametrize("typed", ["domain.*.contoso.com", "*contoso.com", "*.", "", "contoso..com", 42])
def test_bad_domains_are_refused_naming_the_option(typed):
    with pytest.raises(InvalidValue, match="^domain: "):
        SMTP_DOMAIN.from_input(typed, "domain")


def test_an_unreadable_domain_from_exchange_is_not_a_user_error():
    with pytest.raises(UnexpectedExchangeValue):
        SMTP_DOMAIN.from_exchange("not a domain!")
