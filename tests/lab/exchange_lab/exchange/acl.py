"""Access control entries on Exchange objects, matched the way Exchange's permission tasks match them.

Facts from Exchange's DirectoryCommon (decompiled Exchange 2013): adding an
entry first looks for one that already grants a superset (explicit or
inherited); removing looks for one that shares rights (subset match), and an
inherited match can't be removed. Inheritance flags and object types must
agree in both directions. Extended rights are object ACEs (ExtendedRight with
the right as object type); ExtendedRight without an object type grants every
extended right.
"""
import uuid
from dataclasses import dataclass, replace
from typing import Iterable, Optional

from exchange_lab.exchange.values import EnumSpec

# System.DirectoryServices.ActiveDirectoryRights, ascending (Add-ADPermission.md lists the names).
RIGHTS = EnumSpec("System.DirectoryServices.ActiveDirectoryRights", (
    ("CreateChild", 0x1), ("DeleteChild", 0x2), ("ListChildren", 0x4), ("Self", 0x8), ("ReadProperty", 0x10),
    ("WriteProperty", 0x20), ("DeleteTree", 0x40), ("ListObject", 0x80), ("ExtendedRight", 0x100),
    ("Delete", 0x10000), ("ReadControl", 0x20000), ("GenericExecute", 0x20004), ("GenericWrite", 0x20028),
    ("GenericRead", 0x20094), ("WriteDacl", 0x40000), ("WriteOwner", 0x80000), ("GenericAll", 0xF01FF),
    ("Synchronize", 0x100000), ("AccessSystemSecurity", 0x1000000)), flags=True)
EXTENDED_RIGHT = 0x100
GENERIC_ALL = 0xF01FF
CHILD_RIGHTS = 0x1 | 0x2                 # CreateChild, DeleteChild
PROPERTY_RIGHTS = 0x8 | 0x10 | 0x20      # Self, ReadProperty, WriteProperty
# System.DirectoryServices.ActiveDirectorySecurityInheritance (Add-ADPermission.md: All is the default).
INHERITANCE = EnumSpec("System.DirectoryServices.ActiveDirectorySecurityInheritance", (
    ("None", 0), ("All", 1), ("Descendents", 2), ("SelfAndChildren", 3), ("Children", 4)))
ALL = 1

# Extended rights by their AD name (controlAccessRight CN): the receive/send connector rights of
# Microsoft's "Receive connectors" article (with the internal ones it lists) and the mailbox rights.
EXTENDED_RIGHTS = [
    "ms-Exch-Accept-Headers-Forest", "ms-Exch-Accept-Headers-Organization", "ms-Exch-Accept-Headers-Routing",
    "ms-Exch-Bypass-Anti-Spam", "ms-Exch-Bypass-Message-Size-Limit", "ms-Exch-SMTP-Accept-Any-Recipient",
    "ms-Exch-SMTP-Accept-Any-Sender", "ms-Exch-SMTP-Accept-Authentication-Flag",
    "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender", "ms-Exch-SMTP-Accept-Exch50", "ms-Exch-SMTP-Submit",
    "ms-Exch-SMTP-Accept-Xattr", "ms-Exch-SMTP-Accept-XProxyFrom", "ms-Exch-SMTP-Accept-XSessionParams",
    "ms-Exch-SMTP-Accept-XShadow", "ms-Exch-SMTP-Accept-XSysProbe",
    "ms-Exch-SMTP-Send-XMessageContext-ADRecipientCache", "ms-Exch-SMTP-Send-XMessageContext-ExtendedProperties",
    "ms-Exch-SMTP-Send-XMessageContext-FastIndex", "ms-Exch-Send-Headers-Forest",
    "ms-Exch-Send-Headers-Organization", "ms-Exch-Send-Headers-Routing", "ms-Exch-SMTP-Send-Exch50",
    "Send-As", "Receive-As",
]
_BY_LOWER = {name.lower(): name for name in EXTENDED_RIGHTS}


def extended_right(name: str) -> Optional[str]:
    """The canonical name of an extended right (names compare case-insensitively), None if unknown."""
    return _BY_LOWER.get(str(name).strip().lower())


def rights_guid(name: str) -> uuid.UUID:
    # GUESS: the lab does not know AD's rightsGuid values; a stable stand-in per right.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:exchange-lab:extended-right:{name.lower()}")


def format_rights(value: int) -> str:
    """ActiveDirectoryRights.ToString() as .NET formats a [Flags] value.

    .NET takes the largest named values first and lists what it took in
    ascending order, so composite names win (0x20014 is "ReadProperty, GenericExecute").
    """
    for name, member in RIGHTS.members:
        if member == value:
            return name
    remaining, taken = value, []
    for name, member in sorted(RIGHTS.members, key=lambda m: m[1], reverse=True):
        if member and remaining & member == member:
            taken.append(name)
            remaining -= member
    if remaining or not taken:
        return str(value)
    return ", ".join(reversed(taken))


@dataclass(frozen=True)
class Ace:
    sid: str
    rights: int
    extended_right: Optional[str] = None  # the object type: an extended right's canonical name
    deny: bool = False
    inheritance: int = ALL
    inherited: bool = False

    @property
    def container_inherit(self) -> bool:
        return self.inheritance != 0  # every ActiveDirectorySecurityInheritance but None sets ContainerInherit

    def grants(self) -> set[str]:
        """The extended right names this entry allows or denies."""
        if not self.rights & EXTENDED_RIGHT:
            return set()
        return {self.extended_right} if self.extended_right else set(EXTENDED_RIGHTS)

    def to_text(self) -> str:
        """One line of the lab's stored form: "Allow|SID|0x100|right|All"."""
        return "|".join(("Deny" if self.deny else "Allow", self.sid, hex(self.rights), self.extended_right or "",
                         INHERITANCE.format(self.inheritance)))

    @classmethod
    def from_text(cls, text: str) -> "Ace":
        kind, sid, rights, right, inheritance = str(text).split("|")
        return cls(sid, int(rights, 16), right or None, kind == "Deny", INHERITANCE.parse(inheritance))


def _inherits_to_at_least_as_many(first: int, second: int) -> bool:
    """DirectoryCommon.InheritsToAtLeastAsMany over ActiveDirectorySecurityInheritance values."""
    none, all_, descendents, self_and_children, children = range(5)
    if first == second:
        return True
    if second == all_:
        return True
    if second == descendents:
        return first == children
    if second == self_and_children:
        return first in (none, children)
    return False


def covers(existing: Ace, wanted: Ace) -> bool:
    """``existing`` already grants everything ``wanted`` would (AceMatches, superset form)."""
    return (existing.sid == wanted.sid and existing.deny == wanted.deny
            and wanted.rights & existing.rights == wanted.rights
            and (not wanted.container_inherit or existing.container_inherit)
            and existing.extended_right == wanted.extended_right
            and _inherits_to_at_least_as_many(wanted.inheritance, existing.inheritance))


def overlaps(existing: Ace, wanted: Ace) -> bool:
    """``existing`` shares rights with ``wanted`` (AceMatches, subset form used for removal)."""
    return (existing.sid == wanted.sid and existing.deny == wanted.deny
            and bool(wanted.rights & existing.rights)
            and (not existing.container_inherit or wanted.container_inherit)
            and existing.extended_right == wanted.extended_right
            and _inherits_to_at_least_as_many(existing.inheritance, wanted.inheritance))


def canonical(aces: Iterable[Ace]) -> list[Ace]:
    """Windows' canonical DACL order: explicit deny, explicit allow, then inherited entries."""
    aces = list(aces)
    explicit = [a for a in aces if not a.inherited]
    return ([a for a in explicit if a.deny] + [a for a in explicit if not a.deny]
            + [a for a in aces if a.inherited])


def merge(aces: list[Ace], new: Ace) -> list[Ace]:
    """AddAccessRule: an entry of the same principal, type, object type and inheritance absorbs the rights."""
    for index, ace in enumerate(aces):
        if (ace.sid, ace.deny, ace.extended_right, ace.inheritance) == (
                new.sid, new.deny, new.extended_right, new.inheritance):
            aces[index] = replace(ace, rights=ace.rights | new.rights)
            return aces
    aces.append(new)
    return aces


def subtract(aces: list[Ace], gone: Ace) -> list[Ace]:
    """RemoveAccessRule: matching explicit entries lose ``gone``'s rights; empty entries disappear."""
    result = []
    for ace in aces:
        if overlaps(ace, gone):
            ace = replace(ace, rights=ace.rights & ~gone.rights)
            if not ace.rights:
                continue
        result.append(ace)
    return result


def effective_rights(aces: Iterable[Ace], sids: set[str]) -> frozenset[str]:
    """Extended rights a token with ``sids`` holds: the first entry (canonical order) deciding a right wins."""
    decided: dict[str, bool] = {}
    for ace in canonical(aces):
        if ace.sid not in sids:
            continue
        for right in ace.grants():
            decided.setdefault(right, not ace.deny)
    return frozenset(right.lower() for right, allowed in decided.items() if allowed)
