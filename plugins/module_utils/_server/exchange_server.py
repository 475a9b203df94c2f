# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the organisation has an Exchange server (Get-ExchangeServer).

Get-ExchangeServer.md: -Identity "specifies the Exchange server that you want to view. You can use any
value that uniquely identifies the Exchange server" (Name, GUID, DN, ExchangeLegacyDN); it returns that
one server, unlike Get-ReceiveConnector -Server, which returns every connector of the server. Its Caution
("a non-existent value for the Identity parameter returns *all* objects") is why the answer is checked:
only a server whose Name or Fqdn is the one asked for counts.
"""
from __future__ import annotations

from typing import Any

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError
from ansible_collections.mailflow.exchange.plugins.module_utils._values import psobject
from ansible_collections.mailflow.exchange.plugins.module_utils._values.names import same_name


def is_server(obj: Any, server: str) -> bool:
    """Whether ``obj`` is the Exchange server ``server`` (its name or FQDN, case-insensitive)."""
    return any(same_name(psobject.property_value(obj, name), server) for name in ("Name", "Fqdn"))


def find_server(client: Any, server: str) -> Any:
    """The Exchange server ``server`` of the organisation, or None when Exchange knows none of that name.

    Raises the ExchangeError of any other failure (no right to read servers, a broken connection).
    """
    try:
        found = client.invoke("Get-ExchangeServer", {"Identity": server})
    except ExchangeError as err:
        if err.not_found:
            return None
        raise
    return next((obj for obj in found if is_server(obj, server)), None)
