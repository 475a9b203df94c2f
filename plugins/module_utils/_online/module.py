# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the Exchange Online modules (see _common/exchange_module.py)."""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._common.exchange_module import ExchangeModule
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONLINE
from ansible_collections.mailflow.exchange.plugins.module_utils._online.client import (
    ONLINE_CONNECTION_SPEC,
    check_online_options,
    online_client,
)


class OnlineModule(ExchangeModule):
    """A module talking to Exchange Online over its REST endpoint, directly or over online_session."""

    kind = ONLINE
    service = "Exchange Online"
    connection_spec = ONLINE_CONNECTION_SPEC
    session_connection = "mailflow.exchange.online_session"

    def check_connection(self):
        check_online_options(self)

    def direct_client(self):
        return online_client(self)
