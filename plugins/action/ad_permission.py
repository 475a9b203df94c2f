# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of mailflow.exchange.ad_permission: in the worker over onprem_session, the backup directory resolved on the controller."""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.plugin_utils.exchange_action import OnPremWritingAction as ActionModule  # noqa: F401 pylint: disable=unused-import
