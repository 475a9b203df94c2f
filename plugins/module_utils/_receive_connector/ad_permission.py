# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AD permissions (ACEs) on receive connectors: read, match, plan.

Get-ADPermission returns one ADAcePresentationObject per ACE. Adding an ACE
that exists does not fail (EXCHANGE.md section 3), so idempotency comes from
reading first; inherited ACEs cannot be removed on the connector, so they are
reported and left alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ansible_collections.mailflow.exchange.plugins.module_utils._values import psobject
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    UnexpectedExchangeValue,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    distinguished_name_of,
    same_name,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.principals import Principal, sid_in
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.relay_guard import relay_principal_needs_guard

# Receive connector permissions (Microsoft, "Receive connector permissions").
EXTENDED_RIGHTS = (
    "ms-Exch-SMTP-Submit",
    "ms-Exch-SMTP-Accept-Any-Recipient",
    "ms-Exch-SMTP-Accept-Any-Sender",
    "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender",
    "ms-Exch-SMTP-Accept-Authentication-Flag",
    "ms-Exch-SMTP-Accept-Exch50",
    "ms-Exch-SMTP-Accept-XShadow",
    "ms-Exch-Accept-Headers-Routing",
    "ms-Exch-Accept-Headers-Organization",
    "ms-Exch-Accept-Headers-Forest",
    "ms-Exch-Accept-Exch50",
    "ms-Exch-Bypass-Anti-Spam",
    "ms-Exch-Bypass-Message-Size-Limit",
)
RELAY_RIGHT = "ms-Exch-SMTP-Accept-Any-Recipient"
# Needed to open a session and submit at all ("Receive connector permissions"): held by Anonymous Logon, it
# lets anonymous senders in whatever the permission groups say (the groups only write such entries).
SUBMIT_RIGHT = "ms-Exch-SMTP-Submit"
_BY_FOLDED = {right.casefold(): right for right in EXTENDED_RIGHTS}


def canonical_rights(values, option="extended_rights"):
    """Exchange's spelling of each right, in table order; unknown names are refused."""
    rights = set()
    for value in values or ():
        right = _BY_FOLDED.get(str(value).strip().casefold())
        if right is None:
            raise InvalidValue(option, value, "one or more of " + ", ".join(EXTENDED_RIGHTS),
                               noun="a receive connector permission")
        rights.add(right)
    return [right for right in EXTENDED_RIGHTS if right in rights]


@dataclass
class Ace:
    """One ACE as the module reports it."""

    user: str | None
    sid: str | None
    extended_rights: list[str]
    access_rights: list[str]
    deny: bool
    inherited: bool

    @classmethod
    def from_object(cls, obj):
        user = psobject.get_property(obj, "User")
        # One right may come as its text rather than a list of one: read character by character it would hide
        # the relay right from the open-relay guard.
        rights = _names(psobject.property_value(obj, "ExtendedRights"))
        return cls(
            user=psobject.to_string(user),
            sid=_sid_of(user),
            extended_rights=[_BY_FOLDED.get(r.casefold(), r) for r in rights],
            access_rights=_names(psobject.property_value(obj, "AccessRights")),
            deny=_switch(psobject.get_property(obj, "Deny")),
            inherited=_switch(psobject.get_property(obj, "IsInherited")),
        )

    def as_dict(self) -> dict:
        return asdict(self)


def _switch(value):
    """A boolean that may come as a bool or as a SwitchParameter object (IsPresent, printed True/False)."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    present = psobject.get_property(value, "IsPresent")
    if isinstance(present, bool):
        return present
    return str(psobject.to_string(value)).strip().lower() == "true"


def _names(value):
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _sid_of(user):
    """The principal's SID if Exchange's object carries one (property names vary by type)."""
    candidates = []
    for name in ("SecurityIdentifier", "Sid", "SID", "SecurityIdentifierString", "Value"):
        value = psobject.get_property(user, name)
        candidates.append(psobject.to_string(value) if value is not None else None)
    candidates.append(psobject.to_string(user))
    return sid_in(candidates)


def read_aces(client, connector, user=None):
    """The ACEs of ``connector`` (an object Get-ReceiveConnector returned), of ``user`` only if given.

    Addressed by the connector's DN (Add-ADPermission.md, -Identity: "the distinguished name (DN) of the
    object"), never by a name another object could match. Get-ADPermission.md (Caution): "a non-existent
    value for the Identity parameter returns *all* objects", so every ACE must be the connector's.
    """
    parameters = {"Identity": distinguished_name_of(connector)}
    if user is not None:
        parameters["User"] = user
    found = client.invoke("Get-ADPermission", parameters)
    # GUESS: an ACE's Identity prints like the connector's (SERVER\\Name); its DN is accepted too.
    # Compared as names are (same_name): lower() alone takes "Relay \u212a" (Kelvin sign) for "Relay k".
    known = [psobject.property_value(connector, name) for name in ("Identity", "DistinguishedName")]
    strangers = [obj for obj in found
                 if not any(same_name(psobject.property_value(obj, "Identity"), own) for own in known)]
    if strangers:
        raise UnexpectedExchangeValue("Get-ADPermission for %s returned permissions of another object (%s)"
                                      % (parameters["Identity"], psobject.property_value(strangers[0], "Identity")))
    return [Ace.from_object(obj) for obj in found]


def explicit_rights(aces, principal, deny=False):
    """Extended rights granted (or denied) to ``principal`` by non-inherited ACEs."""
    return _rights(aces, principal, inherited=False, deny=deny)


def inherited_rights(aces, principal, deny=False):
    """Extended rights granted (or denied) to ``principal`` by inherited ACEs (left alone on the connector)."""
    return _rights(aces, principal, inherited=True, deny=deny)


def _rights(aces, principal, inherited, deny):
    found = set()
    for ace in aces:
        if ace.inherited == inherited and ace.deny == deny and principal.matches(ace.user, ace.sid):
            found.update(ace.extended_rights)
    return [right for right in EXTENDED_RIGHTS if right in found]


def anyone_may_relay(aces):
    """Whether an ACE (explicit or inherited) may grant anyone who connects the relay right.

    Anonymous Logon and Everyone by SID or a known (localised) name; and a principal the ACE names neither
    by SID nor by a name the well-known table holds, since that may be either in a language the table
    lacks.
    """
    return anyone_may(aces, RELAY_RIGHT)


def anyone_may_submit(aces, except_sids=()):
    """Whether an ACE may let anyone who connects into an SMTP session (ms-Exch-SMTP-Submit), as anyone_may_relay;
    entries of the principals ``except_sids`` are left out."""
    return anyone_may(aces, SUBMIT_RIGHT, except_sids)


def anyone_may(aces, right, except_sids=()):
    """Whether an allow ACE (explicit or inherited) may grant ``right`` to anyone who connects."""
    for ace in aces:
        if ace.deny or right not in ace.extended_rights:
            continue
        sid = Principal.from_ace(ace.user, ace.sid).sid
        if relay_principal_needs_guard(sid) and (sid is None or sid not in except_sids):
            return True
    return False


def server_name_of(aces, principal):
    """How the server spells the principal (localised), learnt from any of its ACEs."""
    for ace in aces:
        if principal.matches(ace.user, ace.sid):
            return ace.user
    return None
