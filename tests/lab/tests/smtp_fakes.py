"""A stand-in for exchange_lab.exchange.relay_view, for the SMTP tests.

It implements the read API the SMTP layer consumes (connectors, session_rights,
accepted_domains, tls_material, generation) over plain Python data that a test
sets up and changes; the real relay_view reads the Exchange model instead.
"""
import ipaddress
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from cryptography import x509

from exchange_lab.pki import LabPKI

SERVER = "MAIL1"
ALL_IPV4 = "0.0.0.0-255.255.255.255"
ALL_IPV6 = "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

# The rights the permission groups give (Microsoft's "Receive connector permission groups" table,
# as far as these tests need it), by who holds them: None = ANONYMOUS LOGON, "user" = authenticated.
GROUP_RIGHTS = {
    "AnonymousUsers": {None: {"ms-exch-smtp-submit", "ms-exch-smtp-accept-any-sender",
                              "ms-exch-smtp-accept-authoritative-domain-sender", "ms-exch-accept-headers-routing"}},
    "ExchangeUsers": {"user": {"ms-exch-smtp-submit", "ms-exch-smtp-accept-any-recipient",
                               "ms-exch-bypass-anti-spam", "ms-exch-accept-headers-routing"}},
}


@dataclass(frozen=True)
class FakeConnector:
    server: str
    name: str
    identity: str
    transport_role: str
    enabled: bool
    bindings: tuple
    remote_ranges: tuple
    permission_groups: frozenset
    auth_mechanism: frozenset
    fqdn: str
    tls_certificate: Optional[tuple]
    max_message_size: Optional[int]
    require_tls: bool
    banner: Optional[str]


def parse_binding(text: str) -> tuple:
    host, _, port = text.rpartition(":")
    return ipaddress.ip_address(host.strip("[]")), int(port)


def parse_range(text: str) -> tuple:
    if "-" in text:
        low, high = text.split("-")
        return ipaddress.ip_address(low), ipaddress.ip_address(high)
    network = ipaddress.ip_network(text, strict=False)
    return network.network_address, network.broadcast_address


def connector(name: str, bindings=("0.0.0.0:25", "[::]:25"), ranges=(ALL_IPV4, ALL_IPV6), *, server=SERVER,
              groups=("AnonymousUsers",), auth=("Tls",), fqdn="mail1.lab.test", tls_certificate=None,
              max_message_size=36 * 1024 * 1024, require_tls=False, banner=None, enabled=True,
              role="FrontendTransport") -> FakeConnector:
    return FakeConnector(server, name, f"{server}\\{name}", role, enabled,
                         tuple(parse_binding(b) for b in bindings), tuple(parse_range(r) for r in ranges),
                         frozenset(groups), frozenset(auth), fqdn, tls_certificate, max_message_size,
                         require_tls, banner)


@dataclass
class FakeRelayView:
    """Same names and signatures as relay_view; ``org`` is ignored."""
    items: list = field(default_factory=list)
    domains: list = field(default_factory=lambda: [("lab.test", "Authoritative")])
    extra_rights: dict = field(default_factory=dict)   # (identity, None|"user") -> {rights}
    certificates: dict = field(default_factory=dict)   # (server, issuer, subject) -> (chain, key)
    bundle: str = "/nonexistent/trust.pem"            # what trust_bundle reports
    _generation: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the relay_view API --
    def connectors(self, org):
        with self._lock:
            return list(self.items)

    def session_rights(self, org, connector_identity, authenticated_user):
        who = None if authenticated_user is None else "user"
        with self._lock:
            found = next(c for c in self.items if c.identity == connector_identity)
            rights = set(self.extra_rights.get((connector_identity, who), ()))
            for group in found.permission_groups:
                rights |= GROUP_RIGHTS.get(group, {}).get(who, set())
        return frozenset(rights)

    def accepted_domains(self, org):
        return list(self.domains)

    def tls_material(self, org, server, issuer, subject):
        return self.certificates.get((server.lower(), issuer, subject))

    def generation(self, org):
        return self._generation

    def trust_bundle(self, org):
        return self.bundle

    # -- test controls --
    def add(self, *new: FakeConnector) -> None:
        with self._lock:
            self.items.extend(new)
            self._generation += 1

    def remove(self, name: str) -> None:
        with self._lock:
            self.items = [c for c in self.items if c.name != name]
            self._generation += 1

    def change(self, name: str, **changes) -> None:
        with self._lock:
            self.items = [replace(c, **changes) if c.name == name else c for c in self.items]
            self._generation += 1

    def grant(self, identity: str, who: Optional[str], *rights: str) -> None:
        self.extra_rights.setdefault((identity, who), set()).update(rights)

    def mint_certificate(self, pki_dir: Path, dns_name: str, server: str = SERVER) -> tuple:
        """A certificate for ``dns_name`` from a lab CA; returns (issuer, subject) as TlsCertificateName has them."""
        files = LabPKI(pki_dir).issue_server_certificate(dns_name.replace(".", "-"), [dns_name])
        cert = x509.load_pem_x509_certificate(files.cert_path.read_bytes())
        names = (cert.issuer.rfc4514_string(), cert.subject.rfc4514_string())
        self.certificates[(server.lower(), *names)] = (files.cert_path, files.key_path)
        return names
