# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the Exchange Online modules (see _common/exchange_module.py)."""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._common.exchange_module import ExchangeModule
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONLINE
from ansible_collections.mailflow.exchange.plugins.module_utils._online.client import (
    ONLINE_CONNECTION_SPEC,
    ONLINE_TARGET_OPTIONS,
    check_online_options,
    online_client,
)


class OnlineModule(ExchangeModule):
    """A module talking to Exchange Online over its REST endpoint, directly or over online_session."""

    kind, service, session_connection = ONLINE, "Exchange Online", "mailflow.exchange.online_session"
    connection_spec = ONLINE_CONNECTION_SPEC
    target_options = ONLINE_TARGET_OPTIONS
    # The module is their first argument: as methods they check and connect this module.
    check_connection = check_online_options
    direct_client = online_client
