# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the on-premises modules (see _common/exchange_module.py)."""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._common.exchange_module import ExchangeModule
from ansible_collections.mailflow.exchange.plugins.module_utils._common.session import ONPREM
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.client import (
    ONPREM_CONNECTION_SPEC,
    ONPREM_TARGET_OPTIONS,
    check_connection_options,
    onprem_client,
)


class OnPremModule(ExchangeModule):
    """A module talking to on-premises Exchange over PowerShell remoting, directly or over onprem_session."""

    kind, service, session_connection = ONPREM, "Exchange", "mailflow.exchange.onprem_session"
    connection_spec = ONPREM_CONNECTION_SPEC
    target_options = ONPREM_TARGET_OPTIONS
    # The module is their first argument: as methods they check and connect this module.
    check_connection = check_connection_options
    direct_client = onprem_client
