# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which connectors a renewal moves, and when it is refused (real certificates of the captures)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml
from ansible_collections.mailflow.exchange.plugins.module_utils._server.certificate import Certificate
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.certificate_renewal import (
    certificate_problems,
    connectors_to_move,
    fqdn_problems,
)

DATA = Path(__file__).resolve().parents[2] / "data"
UTC = timezone.utc
JANUARY_2026 = datetime(2026, 1, 1, tzinfo=UTC)
NEW = "<I>CN=R10, O=Let's Encrypt, C=US<S>CN=mail.contoso.com"
OLD = "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com"
OTHER = "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=smtp.contoso.com"


def by_thumbprint(now=JANUARY_2026):
    objects = clixml.plain_objects_from_export_clixml((DATA / "GetExchangeCertificate-MultipleMatches.xml").read_bytes())
    return {c.thumbprint[:8]: c for c in (Certificate(obj, now) for obj in objects)}


def connector(name, tls_name, fqdn="mail.contoso.com"):
    return dict(name=name, server="MAIL1", fqdn=fqdn, tls_certificate_name=tls_name)


CONNECTORS = [connector("A", OLD), connector("B", "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=MAIL.contoso.com"),
              connector("C", NEW), connector("D", OTHER), connector("E", None)]


def _names(values):
    return [v["name"] for v in values]


def test_by_default_the_connectors_with_the_new_subject_and_another_issuer_move():
    move, already = connectors_to_move(CONNECTORS, NEW)
    assert _names(move) == ["A", "B"]  # the subject compares case-insensitively
    assert _names(already) == ["C"]


def test_an_old_certificate_picks_its_connectors_whatever_the_subject():
    move, already = connectors_to_move(CONNECTORS, NEW, old_name=OTHER)
    assert _names(move) == ["D"]
    assert already == []
    assert connectors_to_move(CONNECTORS, NEW, old_name=NEW) == ([], [CONNECTORS[2]])


def test_only_limits_by_name():
    move, already = connectors_to_move(CONNECTORS, NEW, only=["b", "c"])
    assert _names(move) == ["B"] and _names(already) == ["C"]


def test_only_names_a_connector_as_exchange_compares_names():
    # Windows compares names ignoring case only: "Straße" and "Strasse" are two connectors.
    connectors = [connector("Relay Strasse", OLD), connector("Relay Straße", OLD)]
    move, _already = connectors_to_move(connectors, NEW, only=["RELAY STRASSE"])
    assert _names(move) == ["Relay Strasse"]


def test_a_current_smtp_certificate_with_a_key_has_no_problem():
    assert certificate_problems(by_thumbprint()["03221367"], JANUARY_2026) == []


def test_expired_not_yet_valid_and_not_smtp_are_problems():
    certificates = by_thumbprint()
    later = datetime(2027, 4, 1, tzinfo=UTC)
    assert certificate_problems(certificates["03221367"], later) == ["it expired on 2027-03-27T14:12:35Z"]
    earlier = datetime(2000, 1, 1, tzinfo=UTC)
    assert certificate_problems(certificates["03221367"], earlier)[0].startswith("it is valid only from ")
    problems = certificate_problems(certificates["611C687D"], JANUARY_2026)
    assert len(problems) == 1 and problems[0].startswith("it is not enabled for SMTP (services: IMAP, POP, IIS)")


def test_the_fqdn_must_be_among_the_certificate_names():
    server = by_thumbprint()["611C687D"]
    ok = connector("A", OLD, fqdn="win-ctd3l0rgen4.exlab.dom")
    bad = connector("B", OLD, fqdn="mail.contoso.com")
    unset = connector("C", OLD, fqdn=None)
    problems = fqdn_problems(server, [ok, bad, unset])
    assert problems == ["MAIL1\\B announces Fqdn mail.contoso.com, which is not among the certificate's names "
                        "(win-ctd3l0rgen4, win-ctd3l0rgen4.exlab.dom)"]
