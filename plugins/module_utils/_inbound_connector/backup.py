# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a backup of an inbound connector holds (module_utils/_common/backup.py saves it): the variable
of inbound_connector_info's export, one connector, or ``state: absent`` for one that did not exist."""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._common.export_file import task_arguments
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.api import unrestricted_connector_problem

CONNECTORS_VAR = "inbound_connectors"
_APPLY = "Apply it with mailflow.exchange.inbound_connector (loop over %s) to restore it." % CONNECTORS_VAR


def export_arguments(connector):
    """inbound_connector's arguments for a connector as read: what the server holds, said openly where the
    open-relay guard would refuse it (allow_unrestricted)."""
    arguments = task_arguments(connector)
    if unrestricted_connector_problem(connector):
        arguments["allow_unrestricted"] = True
    return arguments


def connector_backup(name, values):
    """(label, document, header) of the connector ``name`` as read; ``values`` None: it did not exist."""
    if values is None:
        return name, {CONNECTORS_VAR: [dict(name=name, state="absent")]}, \
            "Inbound connector %s did not exist.\n%s" % (name, _APPLY)
    return values["name"], {CONNECTORS_VAR: [export_arguments(values)]}, \
        "Inbound connector %s as it was.\n%s" % (values["name"], _APPLY)
