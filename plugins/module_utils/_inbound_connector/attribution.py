# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Exchange Online inbound connector a sending server is attributed to, and why not the others.

Pure functions over connectors in canonical form (inbound_connector_info's values).
EXCHANGE.md sections 1, 4 and 5: mail from the organisation's own servers is recognised by an
OnPremises connector, by source IP (SenderIPAddresses) or by the name on the client certificate
presented with STARTTLS (TlsSenderCertificateName, ``contoso.com``, or ``*.contoso.com`` for the domain
and all its subdomains); a source
that matches none is refused relay (``550 5.7.64 TenantAttribution``). Only OnPremises connectors
"grant special rights" such as relaying to the internet (New-InboundConnector.md, ConnectorType).
"""

from __future__ import annotations

import ipaddress


def certificate_name_matches(pattern, name):
    """TlsSenderCertificateName against one certificate name.

    New-/Set-InboundConnector.md (TlsSenderCertificateName): "Wildcards are supported to indicate a domain
    and all subdomains (for example, *.contoso.com)": ``*.contoso.com`` matches contoso.com and any name
    under it, at any depth. GUESS: the comparison ignores case and a trailing dot, and a bare domain
    matches only itself.
    """
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        domain = pattern[2:]
        return name == domain or (name.endswith("." + domain) and "*" not in name)
    return name == pattern


def _ip_match(addresses, source):
    """The narrowest SenderIPAddresses entry containing ``source``, with its prefix length."""
    best = None
    for text in addresses or ():
        network = ipaddress.ip_network(text, strict=False)
        if source is not None and source.version == network.version and source in network:
            if best is None or network.prefixlen > best[1]:
                best = (text, network.prefixlen)
    return best


def attribute(connectors, source=None, certificate_names=(), tls=None):
    """The winning connector entry (or None) and every connector with the reason it won or lost.

    ``source`` an ip_address or None; ``certificate_names`` the names on the client certificate;
    ``tls`` whether the session uses STARTTLS (default: when a certificate is presented).
    """
    tls = bool(certificate_names) if tls is None else tls
    candidates, matched = [], []
    for connector in connectors:
        entry = dict(name=connector.get("name"), selected=False, matched_by=None, matched_value=None)
        candidates.append(entry)
        ip = _ip_match(connector.get("sender_ip_addresses"), source)
        pattern = connector.get("tls_sender_certificate_name")
        certificate = next((name for name in certificate_names
                            if tls and pattern and certificate_name_matches(pattern, name)), None)
        if connector.get("enabled") is False:
            entry["reason"] = "disabled"
        elif connector.get("connector_type") != "OnPremises":
            entry["reason"] = "a %s connector: only OnPremises connectors attribute mail of the organisation's " \
                              "own servers (and may relay)" % connector.get("connector_type")
        # RequireTls is not checked: New-InboundConnector.md (RequireTls): "This parameter applies only to
        # Partner type connectors", and only OnPremises connectors get this far.
        elif certificate is not None:
            entry.update(matched_by="certificate", matched_value=certificate)
            # GUESS: a certificate match is preferred to an IP match (a stronger proof of identity);
            # Microsoft does not document the order when several connectors match.
            matched.append(((0, 0, entry["name"].lower()), entry))
        elif ip is not None:
            entry.update(matched_by="ip", matched_value=ip[0])
            # GUESS: among IP matches the narrowest block wins, as for on-premises remote ranges.
            matched.append(((1, -ip[1], entry["name"].lower()), entry))
        else:
            reasons = []
            reasons.append("%s is not in its sender IP addresses" % source if source is not None
                           else "no source IP given")
            if pattern:
                reasons.append("no certificate name matches %s" % pattern if tls else
                               "its certificate name %s needs STARTTLS with a client certificate" % pattern)
            entry["reason"] = "; ".join(reasons)
    if not matched:
        return None, candidates
    matched.sort(key=lambda item: item[0])
    winner = matched[0][1]
    winner["selected"] = True
    winner["reason"] = "attributed by %s" % (
        "certificate name %s" % winner["matched_value"] if winner["matched_by"] == "certificate"
        else "source IP, in %s" % winner["matched_value"])
    for _key, entry in matched[1:]:
        entry["reason"] = "also matches (by %s %s), but %s wins: %s" % (
            entry["matched_by"], entry["matched_value"], winner["name"],
            "a certificate match is preferred" if winner["matched_by"] != entry["matched_by"]
            else "narrower or first by name")
    return winner, candidates
