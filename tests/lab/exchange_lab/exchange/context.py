"""What a cmdlet runs against: the store, the servers it knows, the clock, the error reporter.

Servers are the ones the seeded receive connectors live on (their Server
ADObjectId); the first one is the "local" server the remote session runs on.
"""
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from psrpcore.types import PSObject

from exchange_lab.exchange import shapes
from exchange_lab.exchange.errors import Reporter
from exchange_lab.exchange.store import Store

CERTIFICATE_TYPE = "Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate"
# The organisation's display language for localised principal names ("en" or "de").
LANGUAGE_VARIABLE = "EXCHANGE_LAB_LANGUAGE"
LANGUAGES = ("en", "de")
ACCEPTED_DOMAIN_TYPE = "Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain"


@dataclass
class Outcome:
    """What one cmdlet of a pipeline produced; ``changed`` tells that the store changed."""

    output: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    changed: bool = False


@dataclass(frozen=True)
class Server:
    name: str
    fqdn: str
    distinguished_name: str
    domain_id: str
    identity: PSObject  # the Server ADObjectId exactly as the connectors carry it

    def matches(self, text: str) -> bool:
        """ServerIdParameter: name, FQDN or distinguished name."""
        wanted = text.strip().lower()
        return wanted in (self.name.lower(), self.fqdn.lower(), self.distinguished_name.lower())


@dataclass(frozen=True)
class Certificate:
    server: Optional[str]
    issuer: str
    subject: str
    thumbprint: str = ""
    obj: Optional[PSObject] = field(default=None, compare=False, repr=False)


class Context:
    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.store = store
        self.clock = clock
        self.servers = _servers(store)
        local = self.servers[0].name if self.servers else "localhost"
        self.reporter = Reporter(local, _domain_controller(store) or local)
        self.language = _language()

    @property
    def pki_dir(self) -> Path:
        """DIR/pki: the lab's key material (shared with the transport's HTTPS CA)."""
        return self.store.directory / "pki"

    @property
    def local_server(self) -> Optional[Server]:
        return self.servers[0] if self.servers else None

    def find_server(self, text: str) -> Optional[Server]:
        return next((server for server in self.servers if server.matches(text)), None)

    def certificates(self, server: Server) -> list[Certificate]:
        """Certificates of ``server`` (a capture's PSComputerName tells where it was taken)."""
        # GUESS: TlsCertificateName must name a certificate installed on the connector's own server.
        found = []
        for obj in self.store.of_type(CERTIFICATE_TYPE):
            cert = _certificate(obj)
            # GUESS: a certificate without a known server belongs to the local server.
            owner = cert.server or (self.local_server.name if self.local_server else None)
            if owner is not None and owner.lower() == server.name.lower():
                found.append(cert)
        return found

    def accepted_domains(self) -> list[PSObject]:
        return self.store.of_type(ACCEPTED_DOMAIN_TYPE)


def _servers(store: Store) -> list[Server]:
    servers: list[Server] = []
    for connector in store.of_type(shapes.RECEIVE_CONNECTOR_TYPE):
        identity = shapes.property_value(connector, "Server")
        name = str(shapes.property_value(identity, "Name"))
        if any(s.name.lower() == name.lower() for s in servers):
            continue
        domain = str(shapes.property_value(identity, "DomainId"))
        servers.append(Server(name, f"{name}.{domain}", str(shapes.property_value(identity, "DistinguishedName")),
                              domain, identity))
    return servers


def _domain_controller(store: Store) -> Optional[str]:
    for connector in store.of_type(shapes.RECEIVE_CONNECTOR_TYPE):
        return str(shapes.property_value(connector, "OriginatingServer"))
    return None


def _certificate(obj: PSObject) -> Certificate:
    issuer, subject = _named(obj, "Issuer"), _named(obj, "Subject")
    if issuer is None or subject is None:
        # The captures carry only RawData; X509Certificate2.ToString() lists both names.
        text = shapes.plain_text(obj)
        subject = subject or _section(text, "Subject")
        issuer = issuer or _section(text, "Issuer")
    computer = _named(obj, "PSComputerName")
    server = computer.split(".")[0] if computer else None
    thumbprint = _section(shapes.plain_text(obj), "Thumbprint") or ""
    return Certificate(server, issuer or "", subject or "", thumbprint.upper(), obj)


def _language() -> str:
    language = os.environ.get(LANGUAGE_VARIABLE, "en").strip().lower()[:2]
    if language not in LANGUAGES:
        raise ValueError(f"{LANGUAGE_VARIABLE}={language!r}: the lab speaks {', '.join(LANGUAGES)}")
    return language


def _named(obj: PSObject, name: str) -> Optional[str]:
    try:
        value: Any = shapes.property_value(obj, name)
    except KeyError:
        return None
    return None if value is None else str(value)


def _section(text: str, header: str) -> Optional[str]:
    match = re.search(rf"\[{header}\]\r?\n\s+(.*?)\r?\n", text)
    return match.group(1).strip() if match else None
