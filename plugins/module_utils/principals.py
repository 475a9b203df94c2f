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

_SID = re.compile(r"S-1-\d+(-\d+)+", re.IGNORECASE)
# Short forms an admin types for the relay principal.
_ALIASES = {"anonymous": "S-1-5-7", "anonymous logon": "S-1-5-7", "authenticated users": "S-1-5-11"}


def _folded(name):
    return name.strip().casefold()


_BY_NAME = {_folded(name): sid for sid, names in WELL_KNOWN.items() for name in names}


class Principal:
    """A principal as the user named it: ``sid`` when known, and the name."""

    def __init__(self, name, sid=None):
        self.name = name
        self.sid = sid

    @classmethod
    def from_input(cls, text):
        text = text.strip()
        if _SID.fullmatch(text):
            sid = text.upper()
            return cls(WELL_KNOWN.get(sid, (sid,))[0], sid)
        sid = _ALIASES.get(_folded(text)) or _BY_NAME.get(_folded(text))
        if sid and _folded(text) in _ALIASES:
            return cls(WELL_KNOWN[sid][0], sid)
        return cls(text, sid)

    def matches(self, name, sid=None):
        """Whether an entry Exchange printed (its name, and SID when given) is this principal."""
        other_sid = sid or _BY_NAME.get(_folded(name or ""))
        if self.sid and other_sid:
            return self.sid == other_sid.upper()
        return _folded(self.name) == _folded(name or "")

    def __repr__(self):
        return "Principal(%r, %r)" % (self.name, self.sid)


def sid_in(values):
    """The first SID-looking string among ``values`` (None if there is none)."""
    for value in values:
        if isinstance(value, str) and _SID.fullmatch(value.strip()):
            return value.strip().upper()
    return None
