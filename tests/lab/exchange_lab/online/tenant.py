"""The Exchange Online organisation of the lab tenant, persisted in ``DIR/online/tenant.json``.

Holds the inbound connectors (as the JSON objects Get-InboundConnector returns) and the
accepted domains. One lock serialises cmdlets; every change is saved atomically.
"""
import copy
import datetime
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from ..files import write_atomic
from .registration import Registration

TENANT_FILE = "tenant.json"
# Accepted domains of a fresh lab tenant besides its onmicrosoft.com domain.
EXTRA_ACCEPTED_DOMAINS = ("contoso.com",)
# GUESS: the forest part of EXO distinguished names.
FOREST_DN = "OU=Microsoft Exchange Hosted Organizations,DC=EURPR04A011,DC=PROD,DC=OUTLOOK,DC=COM"


def utc_now() -> str:
    # GUESS: REST JSON renders DateTime as ISO 8601 with offset.
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class Tenant:
    def __init__(self, path: Path, registration: Registration, reset: bool = False,
                 restrict_inbound_connectors: bool = False):
        self._path = Path(path)
        self.registration = registration
        self.restrict_inbound_connectors = restrict_inbound_connectors
        self.lock = threading.RLock()
        if reset or not self._path.exists():
            self._state = {"inbound_connectors": [], "accepted_domains": self._initial_domains()}
            self.save()
        else:
            self._state = json.loads(self._path.read_text())
        # The variant exo-replication-lag: writes not yet visible to reads, [(when, connectors after)],
        # and the connectors as reads see them until the oldest of those replicates.
        self._unreplicated: list[tuple[float, list[dict[str, Any]]]] = []
        self._replicated: list[dict[str, Any]] = []

    @property
    def inbound_connectors(self) -> list[dict[str, Any]]:
        return self._state["inbound_connectors"]

    def wrote_inbound_connectors(self, before: list[dict[str, Any]], lag: float) -> None:
        """A write changed the connectors (``before`` is how they were); reads see it ``lag`` seconds later."""
        now = time.monotonic()
        self._replicate(now, lag)
        if not self._unreplicated:
            self._replicated = before
        self._unreplicated.append((now, copy.deepcopy(self.inbound_connectors)))

    def readable_inbound_connectors(self, lag: float | None) -> list[dict[str, Any]]:
        """The connectors a read sees: with a replication lag, as they were ``lag`` seconds ago."""
        if not lag:
            return self.inbound_connectors
        self._replicate(time.monotonic(), lag)
        return self._replicated if self._unreplicated else self.inbound_connectors

    def _replicate(self, now: float, lag: float) -> None:
        while self._unreplicated and self._unreplicated[0][0] + lag <= now:
            self._replicated = self._unreplicated.pop(0)[1]

    @property
    def accepted_domains(self) -> list[dict[str, Any]]:
        return self._state["accepted_domains"]

    def save(self) -> None:
        write_atomic(self._path, json.dumps(self._state, indent=1), private=False)

    def organization_dn(self) -> str:
        return f"CN=Configuration,CN={self.registration.tenant_domain},{FOREST_DN}"

    def _initial_domains(self) -> list[dict[str, Any]]:
        initial = self.registration.tenant_domain
        return [self._accepted_domain(name, initial=name == initial)
                for name in (initial, *EXTRA_ACCEPTED_DOMAINS)]

    def _accepted_domain(self, name: str, initial: bool) -> dict[str, Any]:
        # Property names of Get-AcceptedDomain output; values for EXO are GUESSes where the
        # on-premises captures (exchange_lab/data/E19-GetAcceptedDomain.xml) don't carry over.
        guid, now = str(uuid.uuid4()), utc_now()
        dn = f"CN={name},CN=Accepted Domains,CN=Transport Settings,{self.organization_dn()}"
        return {
            "DomainName": name, "CatchAllRecipientID": None, "DomainType": "Authoritative",
            "MatchSubDomains": False, "AddressBookEnabled": True, "Default": initial, "EmailOnly": False,
            "ExternallyManaged": False, "AuthenticationType": "Managed", "LiveIdInstanceType": "Business",
            "PendingRemoval": False, "PendingCompletion": False, "FederatedOrganizationLink": None,
            "MailFlowPartner": None, "OutboundOnly": False, "PendingFederatedAccountNamespace": False,
            "PendingFederatedDomain": False, "IsCoexistenceDomain": False, "PerimeterDuplicateDetected": False,
            "IsDefaultFederatedDomain": False, "EnableNego2Authentication": False, "InitialDomain": initial,
            "AdminDisplayName": "", "ExchangeVersion": "0.10 (14.0.100.0)", "Name": name,
            "DistinguishedName": dn, "Identity": name, "ObjectCategory": "EURPR04A011.PROD.OUTLOOK.COM/"
            "Configuration/Schema/ms-Exch-Accepted-Domain", "ObjectClass": ["top", "msExchAcceptedDomain"],
            "WhenChanged": now, "WhenCreated": now, "WhenChangedUTC": now, "WhenCreatedUTC": now,
            "ExchangeObjectId": guid, "OrganizationalUnitRoot": self.registration.tenant_domain,
            "OrganizationId": f"{FOREST_DN} - {self.registration.tenant_domain}", "Id": name, "Guid": guid,
            "OriginatingServer": "AM7PR04A011DC01.EURPR04A011.PROD.OUTLOOK.COM", "IsValid": True,
            "ObjectState": "Unchanged",
        }
