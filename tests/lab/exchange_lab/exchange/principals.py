"""The security principals the lab's directory knows, with Windows' localised names.

Windows prints well-known principals in the system language: a German server
shows ``NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG`` where an English one shows
``NT AUTHORITY\\ANONYMOUS LOGON``; both are S-1-5-7. The organisation's
language is ``Context.language`` (EXCHANGE_LAB_LANGUAGE). Exchange's own
well-known principals (S-1-9-...) have no account name; Exchange prints them
with the descriptions of its WellKnownSids class ("MS Exchange\\Hub Transport
Servers").
"""
import re
from dataclasses import dataclass, field
from typing import Optional

ANONYMOUS = "S-1-5-7"
AUTHENTICATED_USERS = "S-1-5-11"
EVERYONE = "S-1-1-0"
SYSTEM = "S-1-5-18"
NETWORK_SERVICE = "S-1-5-20"
_EXCHANGE = "S-1-9-1419165041-1139599005-3936102811-1022490595"
PARTNER_SERVERS = f"{_EXCHANGE}-10"
HUB_TRANSPORT_SERVERS = f"{_EXCHANGE}-21"
EDGE_TRANSPORT_SERVERS = f"{_EXCHANGE}-22"
EXTERNALLY_SECURED_SERVERS = f"{_EXCHANGE}-23"
# GUESS: the lab domain's SID (any S-1-5-21 domain SID behaves the same).
DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"
_SID = re.compile(r"^S-1-\d+(-\d+)+$", re.IGNORECASE)


@dataclass(frozen=True)
class Principal:
    sid: str
    # Account name per language (NTAccount translation); none for Exchange's S-1-9 principals.
    names: dict = field(default_factory=dict)
    # Exchange's WellKnownSids description, used when the SID has no account name.
    alias: Optional[str] = None


# Microsoft "Well-known security identifiers" with the German names Windows prints.
_WELL_KNOWN = [
    Principal(EVERYONE, {"en": "Everyone", "de": "Jeder"}),
    Principal(ANONYMOUS, {"en": "NT AUTHORITY\\ANONYMOUS LOGON", "de": "NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG"}),
    Principal(AUTHENTICATED_USERS, {"en": "NT AUTHORITY\\Authenticated Users",
                                    "de": "NT-AUTORITÄT\\Authentifizierte Benutzer"}),
    Principal(SYSTEM, {"en": "NT AUTHORITY\\SYSTEM", "de": "NT-AUTORITÄT\\SYSTEM"}),
    Principal(NETWORK_SERVICE, {"en": "NT AUTHORITY\\NETWORK SERVICE", "de": "NT-AUTORITÄT\\NETZWERKDIENST"}),
    # Exchange's WellKnownSids (decompiled Microsoft.Exchange.Data.WellKnownSids: SID and Description).
    Principal(PARTNER_SERVERS, alias="MS Exchange\\Partner Servers"),
    Principal(HUB_TRANSPORT_SERVERS, alias="MS Exchange\\Hub Transport Servers"),
    Principal(EDGE_TRANSPORT_SERVERS, alias="MS Exchange\\Edge Transport Servers"),
    Principal(EXTERNALLY_SECURED_SERVERS, alias="MS Exchange\\Externally Secured Servers"),
]
# Groups Exchange setup creates (not localised) and a few accounts; GUESS: relative ids.
_DOMAIN_ACCOUNTS = [
    ("Administrator", 500), ("Organization Management", 1105), ("Exchange Servers", 1117),
    ("Exchange Trusted Subsystem", 1119), ("ExchangeLegacyInterop", 1121), ("exadmin", 1150), ("relay", 1151),
]


class Directory:
    """Name <-> SID for the organisation's domain, in the organisation's language."""

    def __init__(self, domain_fqdn: str, language: str):
        self.language = language
        # GUESS: the NetBIOS name is the first label of the DNS domain, upper-case (exlab.dom -> EXLAB).
        self.netbios = (domain_fqdn.split(".")[0] if domain_fqdn else "LAB").upper()
        self.domain_fqdn = domain_fqdn
        self._principals = list(_WELL_KNOWN) + [
            Principal(f"{DOMAIN_SID}-{rid}", {"en": f"{self.netbios}\\{name}", "de": f"{self.netbios}\\{name}"})
            for name, rid in _DOMAIN_ACCOUNTS]
        self._by_sid = {p.sid: p for p in self._principals}

    def sid_of(self, name: str) -> str:
        return next(p.sid for p in self._principals if p.names.get("en", "").endswith("\\" + name))

    def resolve(self, text: str) -> Optional[str]:
        """The SID a -User value names (SecurityPrincipalIdParameter), None if nobody."""
        wanted = (text or "").strip()
        if _SID.match(wanted):
            # A syntactically valid SID is accepted even without an account (Exchange builds an ADUser for it).
            return wanted.upper()
        folded = wanted.casefold()
        for principal in self._principals:
            # GUESS: only names in the system language translate (LookupAccountName is localised).
            name = principal.names.get(self.language)
            candidates = [principal.alias] if principal.alias else []
            if name:
                candidates.append(name)
                domain, _, account = name.rpartition("\\")
                candidates.append(account)  # GUESS: a bare account name resolves too
                if domain.upper() == self.netbios:
                    candidates.append(f"{account}@{self.domain_fqdn}")  # UPN
            if folded in (c.casefold() for c in candidates):
                return principal.sid
        return None

    def account_name(self, sid: str) -> Optional[str]:
        """NTAccount translation of ``sid`` (None where Windows can't translate it)."""
        principal = self._by_sid.get(sid.upper())
        return principal.names.get(self.language) if principal else None

    def display_name(self, sid: str) -> str:
        """SecurityPrincipalIdParameter.ToString(): account name, else Exchange's alias, else the SID."""
        principal = self._by_sid.get(sid.upper())
        if principal is None:
            return sid
        return principal.names.get(self.language) or principal.alias or sid
