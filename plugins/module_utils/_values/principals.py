# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security principals as Exchange prints them, matched by SID.

Windows localises the names of well-known principals: a German server prints
``NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG`` for what an English one calls
``NT AUTHORITY\\ANONYMOUS LOGON``. Both are S-1-5-7, so principals are compared
by SID whenever one is known, and by case-insensitive name otherwise.
"""

from __future__ import annotations

import re

# Well-known SIDs (Microsoft "Well-known security identifiers"), with the names
# localised Windows builds print for them. The localised spellings are the ones
# seen in Exchange admin how-tos (German, French, Spanish); extend as needed.
WELL_KNOWN = {
    "S-1-5-7": ("NT AUTHORITY\\ANONYMOUS LOGON", "NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG",
                "AUTORITE NT\\ANONYMOUS LOGON", "NT AUTHORITY\\INICIO DE SESIÓN ANÓNIMO"),
    "S-1-5-11": ("NT AUTHORITY\\Authenticated Users", "NT-AUTORITÄT\\Authentifizierte Benutzer",
                 "AUTORITE NT\\Utilisateurs authentifiés", "NT AUTHORITY\\Usuarios autentificados"),
    "S-1-1-0": ("Everyone", "Jeder", "Tout le monde", "Todos"),
    "S-1-5-18": ("NT AUTHORITY\\SYSTEM", "NT-AUTORITÄT\\SYSTEM", "AUTORITE NT\\Système"),
}

# MS-DTYP 2.4.2.1 "SID String Format Syntax": SID = "S-1-" IdentifierAuthority 1*SubAuthority, the
# authority decimal (1*10DIGIT) or hexadecimal ("0x" 12HEXDIG), each SubAuthority "-" 1*10DIGIT.
# Windows reads the numbers, so S-1-5-07 and s-1-0x5-7 are S-1-5-7 (Anonymous Logon): a SID is compared
# in its canonical form only. MS-DTYP 2.4.2: at most 15 sub-authorities, each a 32-bit number; the
# authority is 48 bits, printed in decimal below 2**32 and as 0x plus 12 hex digits above.
# GUESS: fewer than 12 hex digits after 0x are read as the same number (the grammar asks for 12).
# Digits are ASCII only (re.ASCII): Python's \d and int() would read "S-1-5-\uff17" (a full-width 7) as S-1-5-7,
# which Windows does not parse as a SID at all.
_SID_SHAPE = re.compile(r"S-\d+-(0x|\d)", re.IGNORECASE | re.ASCII)
_SID = re.compile(r"S-(?P<revision>\d+)-(?P<authority>0[xX][0-9a-fA-F]{1,12}|\d{1,15})(?P<subs>(?:-\d{1,10}){1,15})",
                  re.IGNORECASE | re.ASCII)
_MAX_SUB_AUTHORITY = 2 ** 32 - 1
_MAX_AUTHORITY = 2 ** 48 - 1


def canonical_sid(text):
    """``text`` as Windows prints the SID it parses to, or None when it is not a SID."""
    match = _SID.fullmatch(text.strip())
    if not match or int(match.group("revision")) != 1:
        return None
    authority_text = match.group("authority")
    authority = int(authority_text, 16 if authority_text[:2].lower() == "0x" else 10)
    subs = [int(part) for part in match.group("subs").split("-")[1:]]
    if authority > _MAX_AUTHORITY or any(sub > _MAX_SUB_AUTHORITY for sub in subs):
        return None
    authority_text = str(authority) if authority < 2 ** 32 else "0x%012X" % authority
    return "S-1-%s-%s" % (authority_text, "-".join(str(sub) for sub in subs))


def looks_like_sid(text):
    """Whether ``text`` is meant as a SID (S-<number>-<number>...), valid or not."""
    return bool(_SID_SHAPE.match(text.strip()))


# Anonymous relay: the principals that stand for "anyone who connects" (Anonymous Logon, Everyone).
ANONYMOUS_LOGON_SID = "S-1-5-7"
ANYONE_SIDS = (ANONYMOUS_LOGON_SID, "S-1-1-0")

# Short forms an admin types for the relay principal.
_ALIASES = {"anonymous": "S-1-5-7", "anonymous logon": "S-1-5-7", "authenticated users": "S-1-5-11"}


def _folded(name):
    # GUESS: Windows compares account names ignoring case only; casefold() would also make "ß" and "ss"
    # one name, and so another account.
    return name.strip().lower()


_BY_NAME = {_folded(name): sid for sid, names in WELL_KNOWN.items() for name in names}


class Principal:
    """A principal as the user named it: ``sid`` when known, and the name."""

    def __init__(self, name, sid=None):
        self.name = name
        self.sid = sid

    @classmethod
    def from_input(cls, text):
        """The principal a user named; ValueError for a SID-shaped text that is no SID."""
        text = text.strip()
        if looks_like_sid(text):
            sid = canonical_sid(text)
            if sid is None:
                raise ValueError("%r is not a SID; use S-1-<authority>-<sub-authority>..., for example S-1-5-7"
                                 % text)
            return cls(WELL_KNOWN.get(sid, (sid,))[0], sid)
        sid = _ALIASES.get(_folded(text)) or _BY_NAME.get(_folded(text))
        if sid and _folded(text) in _ALIASES:
            return cls(WELL_KNOWN[sid][0], sid)
        return cls(text, sid)

    @classmethod
    def from_ace(cls, name, sid=None):
        """The principal of an entry Exchange printed: its SID when given, else the SID its (localised) name has."""
        known = (canonical_sid(sid) if sid else None) or _BY_NAME.get(_folded(name or ""))
        return cls(name, known)

    def matches(self, name, sid=None):
        """Whether an entry Exchange printed (its name, and SID when given) is this principal."""
        other_sid = Principal.from_ace(name, sid).sid
        if self.sid and other_sid:
            return self.sid == other_sid
        return _folded(self.name) == _folded(name or "")

    def __repr__(self):
        return "Principal(%r, %r)" % (self.name, self.sid)


def sid_in(values):
    """The first SID among ``values``, in canonical form (None if there is none)."""
    for value in values:
        sid = canonical_sid(value) if isinstance(value, str) else None
        if sid:
            return sid
    return None
