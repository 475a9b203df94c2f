# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of mailflow.exchange.inbound_connector_info: in the worker over online_session."""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.plugin_utils.exchange_action import OnlineAction as ActionModule  # noqa: F401 pylint: disable=unused-import
