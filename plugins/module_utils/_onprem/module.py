# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the on-premises modules (see _common/exchange_module.py)."""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._common.exchange_module import ExchangeModule
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONPREM
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.client import (
    ONPREM_CONNECTION_SPEC,
    check_connection_options,
    onprem_client,
)


class OnPremModule(ExchangeModule):
    """A module talking to on-premises Exchange over PowerShell remoting, directly or over onprem_session."""

    kind = ONPREM
    service = "Exchange"
    connection_spec = ONPREM_CONNECTION_SPEC
    session_connection = "mailflow.exchange.onprem_session"

    def check_connection(self):
        check_connection_options(self)

    def direct_client(self):
        return onprem_client(self)
