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


def check_name(name):
    if not name or not name.strip() or _BAD_NAME_CHARACTERS.search(name):
        raise InvalidValue("name", name, "1 to 64 characters without backslash or control characters "
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
