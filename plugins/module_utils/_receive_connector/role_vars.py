# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recognise the anonymous relay connectors the onprem_relay role builds, and write its vars back.

The role's anonymous style makes, on each server, ``<prefix> <server>``: Front End Transport,
the device ranges as RemoteIPRanges, PermissionGroups AnonymousUsers only, and grants
``NT AUTHORITY\\ANONYMOUS LOGON`` the relay right. Only connectors of exactly that shape are
exported as role vars, so that applying the role to them changes nothing.
"""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import (
    RELAY_RIGHT,
    explicit_rights,
    inherited_rights,
    read_aces,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.principals import Principal
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import connector_values
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.relay_guard import (
    DEFAULT_MAX_ADDRESSES,
    broad_ranges,
)

ANONYMOUS = Principal.from_input("anonymous")


def relay_prefix(connector):
    """The role's connector prefix when ``connector`` has the role's shape, else None."""
    suffix = " " + connector.get("server", "")
    name = connector.get("name", "")
    if (connector.get("permission_groups") != ["AnonymousUsers"]
            or connector.get("transport_role") != "FrontendTransport"
            or not name.lower().endswith(suffix.lower()) or len(name) == len(suffix)):
        return None
    return name[:-len(suffix)]


def has_anonymous_relay(client, connector_object):
    aces = read_aces(client, connector_object)
    return RELAY_RIGHT in explicit_rights(aces, ANONYMOUS) + inherited_rights(aces, ANONYMOUS)


class NotOneRelay(Exception):
    """The connectors do not form exactly one relay of the role."""


def role_vars(client, connector_objects):
    """The onprem_relay vars that rebuild the anonymous relay among ``connector_objects`` (as read).

    Raises NotOneRelay when there is none, or several that differ (the role applies one device
    list and one binding list to all its servers).
    """
    relays = {}
    for obj in connector_objects:
        connector = connector_values(obj)
        prefix = relay_prefix(connector)
        if prefix is None or not has_anonymous_relay(client, obj):
            continue
        key = (prefix, tuple(connector.get("bindings") or ()), tuple(connector.get("remote_ip_ranges") or ()))
        relays.setdefault(key, []).append(connector["server"])
    if len(relays) != 1:
        raise NotOneRelay("found %d anonymous relays of the onprem_relay role's shape (%s); export one at a time "
                          "with name, or use export_format=module_args"
                          % (len(relays), ", ".join(sorted("%s <server>" % key[0] for key in relays)) or "none"))
    (prefix, bindings, ranges), servers = next(iter(relays.items()))
    result = dict(
        onprem_relay_style="anonymous",
        onprem_relay_servers=sorted(servers),
        onprem_relay_connector_prefix=prefix,
        onprem_relay_bindings=list(bindings),
        onprem_relay_devices=list(ranges),
        # The proof needs a device address the controller can send from: the export cannot know one.
        onprem_relay_verify=False,
    )
    if broad_ranges(ranges, DEFAULT_MAX_ADDRESSES):
        # What is on the server: the role would refuse it without this, so say so openly.
        result["onprem_relay_allow_broad_range"] = True
    return result
