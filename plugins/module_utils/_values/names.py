# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names of things in Exchange: DNS names, servers, SERVER\\Name identities, and when two names are the
same name to Exchange or a name could address another object than the one meant.
"""
from __future__ import annotations

import re

from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import Rejected, TextKind


_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class Fqdn(TextKind):
    """A DNS name, lower-cased (DNS names are case-insensitive; Exchange keeps the case typed)."""

    noun = "a DNS name"
    accepted = "a host name such as mail.contoso.com (letters, digits and hyphens)"

    def parse_text(self, text):
        name = text.strip().lower()
        if name.endswith("."):
            name = name[:-1]
        # GUESS: Exchange's Fqdn type follows the DNS host-name rules (labels of letters, digits and
        # inner hyphens, at most 63 characters each, 253 in all); single-label names are allowed.
        if not name or len(name) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in name.split(".")):
            raise Rejected()
        return name


_SERVER_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class Server(TextKind):
    """An Exchange server, canonical as its upper-cased short name.

    Server names are NetBIOS/AD computer names: case-insensitive, and Exchange prints them the
    way Windows stores them, in capitals (WIN-CTD3L0RGEN4 in the E19 capture). Upper case is
    therefore both a faithful display and a safe compare key.
    """

    noun = "a server name"
    accepted = "a server name such as MAIL1 (or its FQDN; only the host name counts)"

    def parse_text(self, text):
        name = text.strip()
        if "." in name:
            # GUESS: an Exchange server's AD name is the first label of its FQDN.
            if FQDN.parse(name) is None:
                raise Rejected()
            name = name.split(".", 1)[0]
        if not _SERVER_NAME.fullmatch(name):
            raise Rejected()
        return name.upper()


def split_identity(text: str) -> tuple[str, str]:
    """``SERVER\\Name`` -> (server, name). Server names cannot hold a backslash, so the first one
    splits. Raises ValueError if there is none."""
    server, sep, name = text.partition("\\")
    if not sep or not server or not name:
        raise ValueError("%r is not SERVER\\Name" % (text,))
    return server, name


def join_identity(server: str, name: str) -> str:
    return "%s\\%s" % (server, name)


def _simple_upper(text):
    """Each character's upper case where it is one character (ß stays ß), as Windows maps them."""
    return "".join(char.upper() if len(char.upper()) == 1 else char for char in text)


def same_name(left: object, right: object) -> bool:
    """Whether two object names (connectors, servers) are the same name to Exchange.

    GUESS: Exchange compares names like Windows' ordinal ignore-case, one character's upper case for
    another's. Python's lower() alone equates more than that (the Kelvin sign with k, the Ohm sign with ω)
    and upper() alone other pairs (ſ with s), so two names are the same only when both agree: a name
    Exchange may tell apart is never taken for another object's (at worst Exchange refuses a duplicate).
    """
    if left is None or right is None:
        return False
    left, right = str(left), str(right)
    return left.lower() == right.lower() and _simple_upper(left) == _simple_upper(right)


class Identity(TextKind):
    """A server-scoped identity ``SERVER\\Name`` (Get-ReceiveConnector's Identity), canonical with
    the server part as SERVER canonicalises it and the name as given."""

    noun = "an identity"
    accepted = "SERVER\\Name (for example MAIL1\\Anonymous Relay)"

    def parse_text(self, text):
        try:
            server, name = split_identity(text.strip())
        except ValueError:
            raise Rejected() from None
        return join_identity(SERVER.parse(server), name)


# What makes a name unable to name exactly one connector, for every cmdlet that takes it as -Identity.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# GUESS: Exchange may read "*" in an identity as a wildcard (the Get-ReceiveConnector.md and
# Get-InboundConnector.md -Identity entries say "Accept wildcard characters: False", which the lab plays as a
# variant); "?" and "[ ]" are PowerShell's other wildcard characters. A name holding one could match other
# connectors wherever a tool passes it as an identity.
_WILDCARD_CHARACTERS = re.compile(r"[*?\[\]]")
# Get-ReceiveConnector.md (-Identity): "Name, Distinguished name (DN), GUID, ServerName\Name";
# Get-InboundConnector.md (-Identity): "the name or GUID": a name shaped like a GUID or a DN is read as one.
_GUID_SHAPED = re.compile(r"\{?[0-9a-f]{8}-?(?:[0-9a-f]{4}-?){3}[0-9a-f]{12}\}?", re.IGNORECASE)
_DN_SHAPED = re.compile(r"cn=", re.IGNORECASE)


def looks_like_guid(text: str) -> bool:
    """Whether Exchange would read ``text`` as a GUID (with or without braces and hyphens)."""
    return bool(_GUID_SHAPED.fullmatch(text))


def identity_problem(name: str | None) -> str | None:
    """Why ``name`` could make an -Identity match another connector than the one named, or None."""
    if not name or not name.strip():
        return "it is empty"
    if _CONTROL_CHARACTERS.search(name):
        return "it holds control characters"
    if name != name.strip():
        return "Exchange trims surrounding spaces, so it would act on the connector named without them"
    if _WILDCARD_CHARACTERS.search(name):
        return "Exchange may read * ? [ ] as wildcards matching other connectors"
    if looks_like_guid(name):
        return "Exchange reads a GUID as the identity of whichever connector has that GUID"
    if _DN_SHAPED.match(name):
        return "Exchange reads a value starting with CN= as a distinguished name"
    return None


FQDN = Fqdn()
SERVER = Server()
IDENTITY = Identity()
