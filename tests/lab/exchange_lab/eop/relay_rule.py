"""Exchange Online Protection's relay rule: which inbound connector a connection is attributed to.

A message to an accepted domain of the tenant is taken without a connector ("direct send").
Mail to any other domain is relayed only for a source attributed to an enabled OnPremises
inbound connector, by source IP (SenderIPAddresses) or by the client certificate's name
(TlsSenderCertificateName); otherwise EOP answers ``550 5.7.64 TenantAttribution; Relay Access
Denied`` (EXCHANGE.md section 4; New-InboundConnector.md for the parameters).
"""
import ipaddress
from dataclasses import dataclass
from typing import Any, Iterable, Optional

RELAY_DENIED = "550 5.7.64 TenantAttribution; Relay Access Denied"


@dataclass(frozen=True)
class Client:
    """What EOP knows of the sending side when it decides."""

    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    tls: bool
    certificate_names: tuple[str, ...] = ()


def is_accepted(domain: str, accepted_domains: Iterable[dict[str, Any]]) -> bool:
    domain = domain.lower()
    for accepted in accepted_domains:
        name = accepted["DomainName"].lower()
        if domain == name or (accepted.get("MatchSubDomains") and domain.endswith("." + name)):
            return True
    return False


def attributed_connector(connectors: Iterable[dict[str, Any]], client: Client) -> Optional[dict[str, Any]]:
    """The first enabled OnPremises connector the client matches, by IP or by certificate name."""
    for connector in connectors:
        if not connector.get("Enabled") or connector.get("ConnectorType") != "OnPremises":
            continue
        # RequireTls is not applied: New-InboundConnector.md (RequireTls): "This parameter applies only to
        # Partner type connectors".
        if _ip_matches(connector.get("SenderIPAddresses") or [], client.address):
            return connector
        pattern = connector.get("TlsSenderCertificateName")
        if client.tls and pattern and any(name_matches(pattern, name) for name in client.certificate_names):
            return connector
    return None


def _ip_matches(ranges: Iterable[str], address) -> bool:
    # SenderIPAddresses: IPv4 address or CIDR /24../32 (New-InboundConnector.md).
    for entry in ranges:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def name_matches(pattern: str, name: str) -> bool:
    """TlsSenderCertificateName ``contoso.com``, or ``*.contoso.com`` for the domain and all subdomains.

    New-InboundConnector.md (TlsSenderCertificateName): "Wildcards are supported to indicate a domain and
    all subdomains (for example, *.contoso.com)". GUESS: EOP compares case-insensitively and a bare domain
    matches only itself.
    """
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        domain = pattern[2:]
        return name == domain or (name.endswith("." + domain) and "*" not in name)
    return name == pattern
