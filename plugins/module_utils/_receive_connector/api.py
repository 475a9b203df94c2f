# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Receive connector calls shared by receive_connector and receive_connector_info."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.mailflow.exchange.plugins.module_utils._values import psobject
from ansible_collections.mailflow.exchange.plugins.module_utils._common import engine
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    UnexpectedExchangeValue,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.names import (
    SERVER,
    identity_problem,
    join_identity,
    same_name,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.scalars import STRING
from ansible_collections.mailflow.exchange.plugins.module_utils._values.sizes_and_times import TIMESPAN
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.table import READ_TABLE, ROWS

__all__ = ["ROWS", "check_name", "connector_values", "distinguished_name_of", "get_connector", "guid_of",
           "identity_of", "is_connector", "list_connectors", "same_name"]

NAME_ACCEPTED = ("1 to 64 characters without backslash, control characters (newline, tab) or the wildcard "
                 "characters * ? [ ], without leading or trailing spaces, and neither a GUID nor a name "
                 "starting with CN=")


def name_problem(name: str | None) -> str | None:
    """Why ``name`` cannot name a connector exactly, or None."""
    problem = identity_problem(name)
    if problem is None and "\\" in name:
        problem = "it holds a backslash, which splits SERVER\\Name"
    return problem


def check_name(name: str | None, option: str = "name") -> None:
    problem = name_problem(name)
    if problem:
        raise InvalidValue(option, name, NAME_ACCEPTED, noun="a connector name", reason=problem)


def identity_of(server: str, name: str) -> str:
    """``SERVER\\Name``: how messages name a connector (never how a write addresses it)."""
    return join_identity(server, name)


def connector_values(obj: Any) -> dict[str, Any]:
    """A connector object as the module's options, in canonical form."""
    return engine.readable_values(psobject.object_to_values(obj, READ_TABLE), ROWS)


def is_connector(obj: Any, server: str, name: str | None = None) -> bool:
    """Whether ``obj`` is the connector ``name`` of ``server`` (any connector of it without ``name``)."""
    found = psobject.object_to_values(obj, {"server": ("Server", SERVER), "name": ("Name", STRING)})
    return same_name(found.get("server"), server) and (name is None or same_name(found.get("name"), name))


def get_connector(client: Any, server: str, name: str) -> Any:
    """The connector called ``name`` on ``server``, or None.

    Get-ReceiveConnector.md (Caution): "a non-existent value for the Identity parameter returns *all*
    objects". So every object the read returns is checked, and only the one whose server and name are
    the ones asked for counts; names are compared case-insensitively, as Exchange compares them.
    """
    try:
        found = client.invoke("Get-ReceiveConnector", {"Identity": identity_of(server, name)})
    except ExchangeError as err:
        if err.not_found:
            return None
        raise
    matches = [obj for obj in found if is_connector(obj, server, name)]
    if len(matches) > 1:
        raise UnexpectedExchangeValue("Get-ReceiveConnector returned %d connectors named %s"
                                      % (len(matches), identity_of(server, name)))
    return matches[0] if matches else None


def list_connectors(client: Any, server: str | None = None) -> list:
    """All connectors, or those of one server (each object checked to be of that server)."""
    if not server:
        return client.invoke("Get-ReceiveConnector", {})
    return [obj for obj in client.invoke("Get-ReceiveConnector", {"Server": server}) if is_connector(obj, server)]


def guid_of(obj: Any) -> str:
    """The connector's GUID: the identity a write uses, which can match no other object
    (Set-ReceiveConnector.md and Remove-ReceiveConnector.md accept it)."""
    return _address(obj, "Guid")


def distinguished_name_of(obj: Any) -> str:
    """The connector's DN, how Get-/Add-/Remove-ADPermission address it (Add-ADPermission.md, -Identity:
    "the distinguished name (DN) of the object or the object's name if it's unique")."""
    return _address(obj, "DistinguishedName")


def _address(obj, property_name):
    value = psobject.property_value(obj, property_name)
    if not value or not str(value).strip():
        raise UnexpectedExchangeValue("the receive connector %s has no %s"
                                      % (psobject.property_value(obj, "Identity"), property_name))
    return str(value)


_BANNER = re.compile(r"220(?: |$)")
# New-/Set-ReceiveConnector.md, -MaxHeaderSize: "Unqualified values are typically treated as bytes, but small
# values might be rounded up to the nearest kilobyte."
# GUESS: "small" means under 1 KB, and such a value is stored as 1024 bytes (the lab plays it by default; variant
# max-header-size-exact keeps the bytes). The module accepts either as the value asked for.
_KILOBYTE = 1024


def as_exchange_stores(desired: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """``desired`` with each value Exchange may store rounded replaced by what ``current`` holds, when that is
    the rounded value; so a rerun after the rounding reports no change."""
    asked, held = desired.get("max_header_size"), (current or {}).get("max_header_size")
    if isinstance(asked, int) and asked < _KILOBYTE and held == _KILOBYTE:
        return dict(desired, max_header_size=held)
    return desired


def combination_problems(values: dict[str, Any]) -> list[str]:
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
    if timeout and idle and TIMESPAN.seconds(idle) >= TIMESPAN.seconds(timeout):
        problems.append("connection_inactivity_timeout (%s) must be shorter than connection_timeout (%s)"
                        % (idle, timeout))
    return problems
