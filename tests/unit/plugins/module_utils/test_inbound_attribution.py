# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which inbound connector a sending server is attributed to."""

from __future__ import annotations

import ipaddress

from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.attribution import (
    attribute,
    certificate_name_matches,
)


def connector(name, **values):
    base = dict(name=name, connector_type="OnPremises", enabled=True, sender_ip_addresses=[],
                tls_sender_certificate_name=None, require_tls=False)
    base.update(values)
    return base


BY_IP = connector("by ip", sender_ip_addresses=["203.0.113.0/24"])
BY_ONE_IP = connector("by one ip", sender_ip_addresses=["203.0.113.10"])
BY_CERT = connector("by cert", tls_sender_certificate_name="*.contoso.com", require_tls=True)
PARTNER = connector("partner", connector_type="Partner", sender_ip_addresses=["203.0.113.0/24"])
OFF = connector("off", enabled=False, sender_ip_addresses=["203.0.113.0/24"])


def run(connectors, source=None, names=(), tls=None):
    found, candidates = attribute(connectors, ipaddress.ip_address(source) if source else None, names, tls)
    return (found["name"] if found else None), {c["name"]: c["reason"] for c in candidates}


def test_certificate_names():
    assert certificate_name_matches("*.contoso.com", "relay.contoso.com")
    assert certificate_name_matches("*.contoso.com", "RELAY.Contoso.com.")
    # New-InboundConnector.md: *.contoso.com is "a domain and all subdomains".
    assert certificate_name_matches("*.contoso.com", "contoso.com")
    assert certificate_name_matches("*.contoso.com", "a.b.contoso.com")
    assert not certificate_name_matches("*.contoso.com", "notcontoso.com")
    assert not certificate_name_matches("*.contoso.com", "contoso.com.evil.example")
    assert certificate_name_matches("contoso.com", "contoso.com")
    assert not certificate_name_matches("contoso.com", "relay.contoso.com")


def test_by_ip_and_why_the_others_lost():
    found, reasons = run([BY_IP, BY_CERT, PARTNER, OFF], "203.0.113.10")
    assert found == "by ip"
    assert reasons["off"] == "disabled"
    assert "Partner" in reasons["partner"]
    # RequireTls "applies only to Partner type connectors" (New-InboundConnector.md): no STARTTLS, no
    # certificate, so the certificate connector simply does not match.
    assert "needs STARTTLS" in reasons["by cert"]


def test_the_narrowest_ip_block_wins():
    found, reasons = run([BY_IP, BY_ONE_IP], "203.0.113.10")
    assert found == "by one ip"
    assert reasons["by ip"].startswith("also matches (by ip 203.0.113.0/24)")


def test_certificate_beats_ip():
    found, reasons = run([BY_IP, BY_CERT], "203.0.113.10", ["relay.contoso.com"])
    assert found == "by cert"
    assert "a certificate match is preferred" in reasons["by ip"]


def test_nobody_recognises_the_sender():
    found, reasons = run([BY_IP, connector("cert", tls_sender_certificate_name="*.contoso.com")], "198.51.100.1")
    assert found is None
    assert reasons["by ip"] == "198.51.100.1 is not in its sender IP addresses"
    assert "needs STARTTLS" in reasons["cert"]
