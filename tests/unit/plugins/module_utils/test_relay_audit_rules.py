# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit rules, on connector values, ACEs and the real certificates of the captures.

GetExchangeCertificate-MultipleMatches.xml (server WIN-CTD3L0RGEN4) has two CN=localhost
certificates enabled for SMTP (until 2026-08-06 and 2027-03-27), the server's own certificate
(IMAP, POP, IIS only, until 2026-08-06) and others without SMTP.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._common import audit

from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector import audit_rules as exo_rules
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector import audit_rules as rules
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import RELAY_RIGHT, Ace
from ansible_collections.mailflow.exchange.plugins.module_utils._server.certificate import Certificate

DATA = Path(__file__).resolve().parents[2] / "data"
UTC = timezone.utc
SERVER = "WIN-CTD3L0RGEN4"
LOCALHOST_NAME = "<I>CN=localhost<S>CN=localhost"
LOCALHOST_LATER = "03221367D3A3E863698501592A9B9C420D8D3F4E"  # until 2027-03-27T14:12:35Z
SERVER_NAME = "<I>CN=WIN-CTD3L0RGEN4<S>CN=WIN-CTD3L0RGEN4"
SERVER_CERT = "611C687DFC4343A5A03E0005A1EC6E9B6AFF586D"
JANUARY_2026 = datetime(2026, 1, 1, tzinfo=UTC)
OCTOBER_2026 = datetime(2026, 10, 1, tzinfo=UTC)
APRIL_2027 = datetime(2027, 4, 1, tzinfo=UTC)


def certificates(now):
    objects = clixml.plain_objects_from_export_clixml((DATA / "GetExchangeCertificate-MultipleMatches.xml").read_bytes())
    return [Certificate(obj, now) for obj in objects]


def connector(name="Relay", **values):
    base = dict(name=name, server=SERVER, enabled=True, remote_ip_ranges=["10.1.2.3"],
                permission_groups=["AnonymousUsers"], fqdn=None, tls_certificate_name=None)
    base.update(values)
    return base


def ace(user="NT AUTHORITY\\ANONYMOUS LOGON", sid=None, rights=(RELAY_RIGHT,), deny=False, inherited=False):
    return Ace(user=user, sid=sid, extended_rights=list(rights), access_rights=["ExtendedRight"], deny=deny,
               inherited=inherited)


# --- anonymous relay from broad ranges ----------------------------------------------------------

def test_anonymous_relay_from_a_wide_range_is_critical_and_the_fix_keeps_the_device():
    values = connector(remote_ip_ranges=["10.1.2.3", "10.0.0.0/8"])
    found = rules.anonymous_relay_broad_range(values, [ace()], 256)
    assert found["severity"] == "critical"
    assert found["object"] == SERVER + "\\Relay"
    assert "10.0.0.0/8" in found["evidence"] and "explicit" in found["evidence"]
    assert found["fix"] == {"module": "mailflow.exchange.receive_connector",
                            "params": {"name": "Relay", "server": SERVER, "remote_ip_ranges": ["10.1.2.3"]}}


def test_only_wide_ranges_with_an_explicit_right_the_fix_takes_the_right_away():
    values = connector(remote_ip_ranges=["0.0.0.0/0"])
    found = rules.anonymous_relay_broad_range(values, [ace(sid="S-1-5-7")], 256)
    assert found["fix"]["module"] == "mailflow.exchange.ad_permission"
    assert found["fix"]["params"] == {"connector": "Relay", "server": SERVER, "user": "S-1-5-7",
                                      "extended_rights": [RELAY_RIGHT], "state": "absent"}


def test_an_inherited_right_on_wide_ranges_has_no_automatic_fix():
    found = rules.anonymous_relay_broad_range(connector(remote_ip_ranges=["10.0.0.0/8"]), [ace(inherited=True)], 256)
    assert found["fix"] is None
    assert "inherited" in found["evidence"] and "inherited" in found["advice"]


def test_a_disabled_connector_is_medium():
    values = connector(remote_ip_ranges=["10.0.0.0/8"], enabled=False)
    assert rules.anonymous_relay_broad_range(values, [ace()], 256)["severity"] == "medium"


@pytest.mark.parametrize("ranges, limit, expected", [
    (["10.1.2.0/24"], 256, False),            # exactly the limit: the module's default accepts a /24
    (["10.1.2.0-10.1.3.0"], 256, True),        # 257 addresses
    (["10.0.0.0/16"], 65536, False),
    (["::/0"], 256, True),
])
def test_the_threshold_has_relay_guard_semantics(ranges, limit, expected):
    found = rules.anonymous_relay_broad_range(connector(remote_ip_ranges=ranges), [ace()], limit)
    assert (found is not None) == expected


@pytest.mark.parametrize("aces", [
    [],
    [ace(rights=["ms-Exch-SMTP-Submit"])],
    [ace(user="CONTOSO\\Printers")],
    [ace(), ace(deny=True)],                                  # an explicit deny wins
    [ace(inherited=True), ace(deny=True, inherited=True)],    # so does an inherited one over inherited allows
])
def test_no_anonymous_relay_no_finding(aces):
    assert rules.anonymous_relay_broad_range(connector(remote_ip_ranges=["0.0.0.0/0"]), aces, 256) is None


def test_an_explicit_allow_beats_an_inherited_deny_and_any_language_or_everyone_counts():
    wide = connector(remote_ip_ranges=["0.0.0.0/0"])
    assert rules.anonymous_relay_broad_range(wide, [ace(), ace(deny=True, inherited=True)], 256)
    assert rules.anonymous_relay_broad_range(wide, [ace(user="NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG")], 256)
    assert rules.anonymous_relay_broad_range(wide, [ace(user="Jeder")], 256)


# --- the full range on custom connectors --------------------------------------------------------

def test_a_custom_anonymous_connector_with_the_full_range_is_high():
    values = connector(remote_ip_ranges=["0.0.0.0/0", "10.1.2.3"])
    found = rules.full_range_on_custom_connector(values)
    assert found["severity"] == "high"
    assert found["fix"]["params"] == {"name": "Relay", "server": SERVER, "remote_ip_ranges": ["10.1.2.3"]}


def test_without_anonymous_users_it_is_low_and_without_other_ranges_there_is_no_fix():
    found = rules.full_range_on_custom_connector(connector(remote_ip_ranges=["0.0.0.0/0", "::/0"],
                                                           permission_groups=["ExchangeUsers"]))
    assert found["severity"] == "low"
    assert found["fix"] is None


@pytest.mark.parametrize("name", ["Default Frontend " + SERVER, "default " + SERVER.lower(), "Client Proxy " + SERVER,
                                  "Client Frontend " + SERVER, "Outbound Proxy Frontend " + SERVER])
def test_the_setup_default_connectors_keep_the_full_range(name):
    assert rules.full_range_on_custom_connector(connector(name=name, remote_ip_ranges=["0.0.0.0/0"])) is None


def test_a_default_name_of_another_server_is_custom():
    assert rules.full_range_on_custom_connector(connector(name="Default Frontend MAIL2", remote_ip_ranges=["::/0"]))


# --- the connector's certificate ----------------------------------------------------------------

def _ids(values, now, expiry_days=30):
    found = [rule(values, certificates(now), expiry_days, now) for rule in rules.CERTIFICATE_RULES]
    return {item["id"]: item for item in found if item}


def test_a_name_no_certificate_has_is_missing_and_the_fix_names_a_fitting_certificate():
    values = connector(tls_certificate_name="<I>CN=Old CA<S>CN=localhost", fqdn="localhost")
    found = _ids(values, JANUARY_2026)
    assert list(found) == ["tls_certificate_missing"]
    assert found["tls_certificate_missing"]["severity"] == "high"
    # Both localhost certificates fit; the one valid longest is offered.
    assert found["tls_certificate_missing"]["fix"]["params"]["tls_certificate_thumbprint"] == LOCALHOST_LATER


def test_twins_count_as_one_certificate_the_one_valid_longest():
    values = connector(tls_certificate_name=LOCALHOST_NAME, fqdn="localhost")
    assert _ids(values, JANUARY_2026) == {}
    # In October 2026 one twin has expired; the other still serves.
    assert _ids(values, OCTOBER_2026) == {}
    found = _ids(values, APRIL_2027)
    assert list(found) == ["tls_certificate_expired"]
    assert found["tls_certificate_expired"]["fix"] is None
    assert LOCALHOST_LATER in found["tls_certificate_expired"]["evidence"]


def test_expiring_within_the_days_option_is_medium():
    values = connector(tls_certificate_name=LOCALHOST_NAME, fqdn="localhost")
    assert _ids(values, OCTOBER_2026, expiry_days=177) == {}
    found = _ids(values, OCTOBER_2026, expiry_days=178)
    assert list(found) == ["tls_certificate_expiring"]
    assert found["tls_certificate_expiring"]["severity"] == "medium"
    assert "in 177 days (limit 178)" in found["tls_certificate_expiring"]["evidence"]
    assert found["tls_certificate_expiring"]["fix"] is None  # nothing valid longer is on the server


def test_fqdn_not_in_the_certificate_and_a_certificate_without_smtp():
    values = connector(tls_certificate_name=SERVER_NAME, fqdn="mail.contoso.com")
    found = _ids(values, JANUARY_2026)
    assert sorted(found) == ["fqdn_not_in_certificate", "tls_certificate_not_smtp"]
    assert found["fqdn_not_in_certificate"]["severity"] == "medium"
    assert "win-ctd3l0rgen4.exlab.dom" in found["fqdn_not_in_certificate"]["evidence"]
    assert found["tls_certificate_not_smtp"]["severity"] == "low"
    assert found["tls_certificate_not_smtp"]["advice"].startswith("Enable-ExchangeCertificate -Thumbprint " + SERVER_CERT)


def test_the_server_fqdn_is_covered_and_no_name_means_no_certificate_finding():
    assert "fqdn_not_in_certificate" not in _ids(connector(tls_certificate_name=SERVER_NAME,
                                                           fqdn="win-ctd3l0rgen4.exlab.dom"), JANUARY_2026)
    assert _ids(connector(), JANUARY_2026) == {}


# --- accepted domains, Exchange Online ----------------------------------------------------------

@pytest.mark.parametrize("domain_type, expected", [("InternalRelay", True), ("ExternalRelay", True),
                                                   ("Authoritative", False)])
def test_an_accepted_domain_star_of_a_relay_type_is_critical(domain_type, expected):
    found = rules.accepted_domain_relays_everything(dict(name="All", domain_name="*", domain_type=domain_type))
    assert (found is not None and found["severity"] == "critical") == expected
    assert rules.accepted_domain_relays_everything(dict(name="C", domain_name="contoso.com",
                                                        domain_type=domain_type)) is None


def _inbound(**values):
    base = dict(name="Relay", connector_type="OnPremises", enabled=True, sender_domains=["*"], sender_ip_addresses=[],
                tls_sender_certificate_name=None)
    base.update(values)
    return base


def test_an_unrestricted_onpremises_connector_is_critical_and_the_fix_disables_it():
    found = exo_rules.onpremises_connector_unrestricted(_inbound())
    assert found["severity"] == "critical"
    assert found["fix"] == {"module": "mailflow.exchange.inbound_connector",
                            "params": {"name": "Relay", "enabled": False, "allow_unrestricted": True}}
    disabled = exo_rules.onpremises_connector_unrestricted(_inbound(enabled=False))
    assert disabled["severity"] == "medium" and disabled["fix"] is None


@pytest.mark.parametrize("values", [dict(sender_ip_addresses=["203.0.113.10"]),
                                    dict(tls_sender_certificate_name="*.contoso.com"),
                                    dict(sender_domains=["contoso.com"]), dict(connector_type="Partner")])
def test_a_restricted_inbound_connector_is_no_finding(values):
    assert exo_rules.connector_findings(_inbound(**values)) == []


# --- findings, counts, summary, gate ------------------------------------------------------------

def test_ordering_counts_summary_and_gate():
    findings = audit.ordered([audit.finding("b", "low", "X", "e1", "a"), audit.finding("a", "critical", "Y", "e2", "a"),
                              audit.finding("c", "medium", "X", "e3", "a")])
    assert [f["severity"] for f in findings] == ["critical", "medium", "low"]
    assert audit.counts(findings) == {"critical": 1, "high": 0, "medium": 1, "low": 1, "info": 0}
    assert audit.summary(findings, "audit of MAIL1") == [
        "audit of MAIL1: 1 critical, 1 medium, 1 low", "[CRITICAL] a Y: e2", "[MEDIUM] c X: e3", "[LOW] b X: e1"]
    assert audit.summary([], "audit of MAIL1") == ["audit of MAIL1: no findings"]
    assert [f["id"] for f in audit.gate_failures(findings, "medium")] == ["a", "c"]
    assert audit.gate_failures(findings, "high") == findings[:1]
    assert audit.gate_failures(findings, "none") == []
    with pytest.raises(ValueError):
        audit.finding("x", "severe", "X", "e", "a")
