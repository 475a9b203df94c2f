# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Receive connector calls shared by receive_connector and receive_connector_info."""

from __future__ import annotations

import re

from ansible_collections.mailflow.exchange.plugins.module_utils import clixml, engine
from ansible_collections.mailflow.exchange.plugins.module_utils.canonical import InvalidValue, join_identity
from ansible_collections.mailflow.exchange.plugins.module_utils.errors import ExchangeError
from ansible_collections.mailflow.exchange.plugins.module_utils.receive_connector_table import READ_TABLE, ROWS

__all__ = ["ROWS", "check_name", "connector_values", "get_connector", "identity_of", "list_connectors"]

# A backslash would split the SERVER\Name identity; control characters have no place in an AD name.
_BAD_NAME_CHARACTERS = re.compile(r"[\\\x00-\x1f\x7f]")


def check_name(name, option="name"):
    if not name or not name.strip() or _BAD_NAME_CHARACTERS.search(name):
        raise InvalidValue(option, name, "1 to 64 characters without backslash or control characters "
                                         "(newline, tab)", noun="a connector name")


def identity_of(server, name):
    return join_identity(server, name)


def connector_values(obj):
    """A connector object as the module's options, in canonical form."""
    return engine.readable_values(clixml.object_to_values(obj, READ_TABLE), ROWS)


def get_connector(client, identity):
    """The connector object, or None when Exchange says it couldn't be found."""
    try:
        found = client.invoke("Get-ReceiveConnector", {"Identity": identity})
    except ExchangeError as err:
        if err.not_found:
            return None
        raise
    return found[0] if found else None


def list_connectors(client, server=None):
    """All connectors, or those of one server."""
    return client.invoke("Get-ReceiveConnector", {"Server": server} if server else {})


def _timespan_seconds(text):
    days, _dot, clock = text.rpartition(".")
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return int(days or 0) * 86400 + hours * 3600 + minutes * 60 + seconds


_BANNER = re.compile(r"220(?: |$)")
# New-/Set-ReceiveConnector.md, -MaxHeaderSize: "Unqualified values are typically treated as bytes, but small
# values might be rounded up to the nearest kilobyte."
# GUESS: "small" means under 1 KB, and such a value is stored as 1024 bytes (the lab plays it by default; variant
# max-header-size-exact keeps the bytes). The module accepts either as the value asked for.
_KILOBYTE = 1024


def as_exchange_stores(desired, current):
    """``desired`` with each value Exchange may store rounded replaced by what ``current`` holds, when that is
    the rounded value; so a rerun after the rounding reports no change."""
    asked, held = desired.get("max_header_size"), (current or {}).get("max_header_size")
    if isinstance(asked, int) and asked < _KILOBYTE and held == _KILOBYTE:
        return dict(desired, max_header_size=held)
    return desired


def combination_problems(values):
    """Rules between options that Set-ReceiveConnector.md states, checked on the
    connector as it would be after the change, so they fail before any write."""
    mechanisms = set(values.get("auth_mechanism") or ())
    problems = []
    if "BasicAuthRequireTLS" in mechanisms and not {"BasicAuth", "Tls"} <= mechanisms:
        problems.append("auth_mechanism BasicAuthRequireTLS needs BasicAuth and Tls too")
    if "ExternalAuthoritative" in mechanisms:
        if mechanisms - {"ExternalAuthoritative", "Tls"}:
            problems.append("auth_mechanism ExternalAuthoritative can only be combined with Tls")
        if list(values.get("permission_groups") or ()) != ["ExchangeServers"]:
            problems.append("auth_mechanism ExternalAuthoritative needs permission_groups [ExchangeServers]")
    if values.get("require_tls") and "Tls" not in mechanisms:
        problems.append("require_tls=true needs Tls in auth_mechanism")
    if values.get("domain_secure_enabled") and ("Tls" not in mechanisms or "ExternalAuthoritative" in mechanisms):
        problems.append("domain_secure_enabled=true needs Tls and no ExternalAuthoritative in auth_mechanism")
    banner = values.get("banner")
    if banner and not _BANNER.match(banner):
        # New-/Set-ReceiveConnector.md, -Banner: "start the value with 220 (the default "Service ready" SMTP
        # response code)".
        problems.append("banner %r must start with the SMTP code 220 (for example '220 Relay ready'), or be empty "
                        "for Exchange's default banner" % banner)
    if values.get("binary_mime_enabled") and values.get("chunking_enabled") is False:
        problems.append("binary_mime_enabled=true needs chunking_enabled=true")
    timeout, idle = values.get("connection_timeout"), values.get("connection_inactivity_timeout")
    if timeout and idle and _timespan_seconds(idle) >= _timespan_seconds(timeout):
        problems.append("connection_inactivity_timeout (%s) must be shorter than connection_timeout (%s)"
                        % (idle, timeout))
    return problems
