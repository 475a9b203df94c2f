# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a backup of an on-premises write holds (module_utils/_common/backup.py saves it).

The variables are those of the info modules' export files (receive_connectors, ad_permissions),
so the same loop applies either; a backup differs only where restoring needs more than the export
says: a connector that did not exist is ``state: absent``, and a principal's rights are the whole
explicit list (``set``), so rights the task granted go again.
"""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._common.export_file import task_arguments
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import RELAY_RIGHT
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import identity_of
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.relay_guard import (
    broad_ranges,
    relay_principal_needs_guard,
)

CONNECTORS_VAR = "receive_connectors"
PERMISSIONS_VAR = "ad_permissions"
_APPLY = "Apply it with %s (loop over %s) to restore it."


def connectors_backup(connectors):
    """(label, document, header) of receive connectors as read (their canonical values), one file."""
    label = identity_of(connectors[0]["server"], connectors[0]["name"]) if len(connectors) == 1 else \
        "%s_%d_connectors" % (connectors[0]["server"], len(connectors))
    header = "Receive connectors as they were.\n" + _APPLY % ("mailflow.exchange.receive_connector", CONNECTORS_VAR)
    return label, {CONNECTORS_VAR: [task_arguments(values) for values in connectors]}, header


def connector_backup(server, name, values):
    """(label, document, header) of the receive connector SERVER\\name as read; ``values`` None: it did not
    exist, and the file says so (applying it removes the connector again)."""
    if values is not None:
        return connectors_backup([values])
    header = ("Receive connector %s did not exist.\n%s"
              % (identity_of(server, name), _APPLY % ("mailflow.exchange.receive_connector", CONNECTORS_VAR)))
    return identity_of(server, name), {CONNECTORS_VAR: [dict(name=name, server=server, state="absent")]}, header


def permission_backup(server, connector, principal, rights, ranges, max_addresses):
    """(label, document, header) of a principal's explicit extended rights on a connector, as read.

    The principal by its SID when known (the one identity that needs no translation on restore). Where the
    rights hold anonymous relay on ranges the open-relay guard calls broad, the entry says
    ``allow_broad_relay`` openly, as the export does: it is what the server held.
    """
    entry = dict(connector=connector, server=server, user=principal.sid or principal.name,
                 extended_rights=dict(set=list(rights)))
    if RELAY_RIGHT in rights and relay_principal_needs_guard(principal.sid) and broad_ranges(ranges, max_addresses):
        entry.update(relay_max_addresses=max_addresses, allow_broad_relay=True)
    label = "%s_%s" % (identity_of(server, connector), principal.sid or principal.name)
    header = ("Explicit extended rights of %s on %s as they were.\n%s"
              % (principal.name, identity_of(server, connector),
                 _APPLY % ("mailflow.exchange.ad_permission", PERMISSIONS_VAR)))
    return label, {PERMISSIONS_VAR: [entry]}, header
