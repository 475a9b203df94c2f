#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ad_permission_info
short_description: Read the AD permissions of receive connectors
version_added: 0.1.0
description:
  - Returns every ACE (C(Get-ADPermission)) of one receive connector, or of all connectors of a server,
    explicit and inherited, allow and deny, each principal by the name the server prints (localised) and
    by SID where one is known.
  - With O(export_path), writes the explicit grants as task arguments for M(mailflow.exchange.ad_permission),
    so the permissions can be kept as code.
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.onprem
  - mailflow.exchange.onprem.modules
attributes:
  check_mode:
    support: full
    description: Only reads; with O(export_path) it reports whether the file would change, and writes nothing.
  diff_mode:
    support: none
    description: Nothing to show.
options:
  server:
    description:
      - Exchange server that owns the connectors.
    type: str
    required: true
  connector:
    description:
      - Name of one receive connector. All connectors of O(server) when unset.
    type: str
  user:
    description:
      - Only the ACEs of this principal (a name in any language Windows prints it, C(anonymous), a SID, or
        any other spelling Exchange resolves, such as a user principal name).
    type: str
  export_path:
    description:
      - Also write the permissions as a YAML vars file. The variable O(export_var) holds one argument dict for
        M(mailflow.exchange.ad_permission) per connector and principal (C(connector), C(server), C(user),
        C(extended_rights)). Applying them to the same server reports no change.
      - Only explicit allow ACEs of the extended rights M(mailflow.exchange.ad_permission) manages are exported.
        Not exported, because that module cannot set them, are inherited ACEs (they come from the containers above the
        connector), deny ACEs, ACEs without an extended right (read rights and the like) and Exchange's internal
        rights (for example C(ms-Exch-SMTP-Accept-XProxyFrom)); the task result still lists them all.
      - Where the anonymous relay right already stands on a connector with remote ranges wider than
        O(relay_max_addresses), the export says C(allow_broad_relay=true), since this is what the server holds and
        the open-relay guard of M(mailflow.exchange.ad_permission) would otherwise refuse it. Review such entries.
      - The task reports C(changed) when the file's content changes; check mode writes nothing.
    type: path
  export_format:
    description:
      - V(module_args), the only format, writes task arguments for M(mailflow.exchange.ad_permission).
    type: str
    choices: [module_args]
    default: module_args
  export_var:
    description:
      - Name of the variable that holds the list.
    type: str
    default: ad_permissions
  relay_max_addresses:
    description:
      - With O(export_path), the range size above which an exported anonymous relay right carries
        C(allow_broad_relay=true); the same meaning as in M(mailflow.exchange.ad_permission).
    type: int
    default: 256
"""

EXAMPLES = r"""
- name: Who may do what on the relay connector
  mailflow.exchange.ad_permission_info:
    server: MAIL1
    connector: ANONYMOUS RELAY MAIL1
  register: acl

- name: Principals that may relay (explicitly or by inheritance)
  ansible.builtin.debug:
    msg: >-
      {{ acl.permissions | selectattr('extended_rights', 'contains', 'ms-Exch-SMTP-Accept-Any-Recipient')
         | rejectattr('deny') | map(attribute='user') | unique }}

- name: Export the permissions of all connectors of MAIL1 as code
  mailflow.exchange.ad_permission_info:
    server: MAIL1
    export_path: "{{ playbook_dir }}/vars/mail1_permissions.yml"

- name: Read them back
  ansible.builtin.include_vars: vars/mail1_permissions.yml

- name: Apply them (on MAIL1 itself this reports no change)
  mailflow.exchange.ad_permission: "{{ item }}"
  loop: "{{ ad_permissions }}"
"""

RETURN = r"""
permissions:
  description: Every ACE of the connectors, in the order Exchange returned them.
  returned: always
  type: list
  elements: dict
  contains:
    connector:
      description: Name of the connector.
      type: str
    server:
      description: Server of the connector.
      type: str
    user:
      description: The principal as the server prints it (localised).
      type: str
    sid:
      description: The principal's SID, when Exchange reports one or it is a well-known principal.
      type: str
    extended_rights:
      description: Extended rights of the ACE.
      type: list
      elements: str
    access_rights:
      description: Access rights of the ACE (for example C(ExtendedRight)).
      type: list
      elements: str
    deny:
      description: Whether the ACE denies.
      type: bool
    inherited:
      description: Whether the ACE is inherited.
      type: bool
  sample:
    - connector: ANONYMOUS RELAY MAIL1
      server: MAIL1
      user: NT AUTHORITY\ANONYMOUS LOGON
      sid: S-1-5-7
      extended_rights: [ms-Exch-SMTP-Accept-Any-Recipient]
      access_rights: [ExtendedRight]
      deny: false
      inherited: false
export_path:
  description: The file written (or that would be written in check mode).
  returned: when O(export_path) is set
  type: str
exported:
  description: What the file holds, as data.
  returned: when O(export_path) is set
  type: dict
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._values import psobject
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import (
    EXTENDED_RIGHTS,
    RELAY_RIGHT,
    read_aces,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.canonical import (
    IP_RANGES,
    SERVER,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.export_file import export, export_argument_spec
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.module import OnPremModule
from ansible_collections.mailflow.exchange.plugins.module_utils._values.principals import Principal
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    check_name,
    get_connector,
    identity_of,
    list_connectors,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.relay_guard import DEFAULT_MAX_ADDRESSES, broad_ranges

# Anonymous relay: the principals that stand for "anyone who connects" (as in ad_permission).
_ANYONE = ("S-1-5-7", "S-1-1-0")
_HEADER = ("AD permissions exported by mailflow.exchange.ad_permission_info: explicit grants only.\n"
           "Applying this file to the same server changes nothing.")


def _connectors(module, client, server):
    """The connector objects asked for (each checked to be of ``server``)."""
    name = module.params["connector"]
    if not name:
        return list_connectors(client, server)
    found = get_connector(client, server, name)
    if found is None:
        module.fail_json(msg="receive connector %s does not exist" % identity_of(server, name))
    return [found]


def _principal_aces(client, connector, principal):
    """The connector's ACEs, of ``principal`` only when given. A principal without a known SID is
    filtered by Exchange (Get-ADPermission -User), which resolves any spelling it accepts."""
    if principal is None:
        return read_aces(client, connector)
    if principal.sid is None:
        return read_aces(client, connector, user=principal.name)
    return [ace for ace in read_aces(client, connector) if principal.matches(ace.user, ace.sid)]


def _ranges(obj):
    return psobject.object_to_values(obj, {"ranges": ("RemoteIPRanges", IP_RANGES)}).get("ranges") or []


def _exported(entries, ranges_by_connector, max_addresses):
    """ad_permission arguments: one per connector and principal, the explicit allowed rights it manages."""
    grouped = {}
    for entry in entries:
        rights = [right for right in entry["extended_rights"] if right in EXTENDED_RIGHTS]
        if entry["inherited"] or entry["deny"] or not rights:
            continue
        principal_key = entry["sid"] or entry["user"].lower()
        task = grouped.setdefault((entry["connector"], principal_key), dict(
            connector=entry["connector"], server=entry["server"], user=entry["user"], extended_rights=[]))
        task["extended_rights"] = [r for r in EXTENDED_RIGHTS if r in rights or r in task["extended_rights"]]
    tasks = list(grouped.values())
    for task in tasks:
        sid = Principal.from_input(task["user"]).sid
        if (RELAY_RIGHT in task["extended_rights"] and sid in _ANYONE
                and broad_ranges(ranges_by_connector[task["connector"]], max_addresses)):
            task.update(relay_max_addresses=max_addresses, allow_broad_relay=True)
    return tasks


def _inputs(params):
    """The server; the connector name checked. Raises InvalidValue."""
    server = SERVER.from_input(params["server"], "server")
    if params["connector"] is not None:
        check_name(params["connector"], "connector")
    return server


def main():
    module = OnPremModule(dict(
        server=dict(type="str", required=True),
        connector=dict(type="str"),
        user=dict(type="str"),
        relay_max_addresses=dict(type="int", default=DEFAULT_MAX_ADDRESSES),
        **export_argument_spec("ad_permissions")
    ))
    params = module.params
    server = module.checked(_inputs, params)
    principal = None
    try:
        principal = Principal.from_input(params["user"]) if params["user"] else None
    except ValueError as err:  # a SID-shaped user that is no SID
        module.fail_json(msg="user: %s" % err)

    def read(client):
        connectors = _connectors(module, client, server)
        entries = [dict(connector=str(psobject.property_value(connector, "Name")), server=server, **ace.as_dict())
                   for connector in connectors for ace in _principal_aces(client, connector, principal)]
        # The export marks relay grants on broad ranges (_exported), so only it reads the ranges.
        ranges = dict((str(psobject.property_value(c, "Name")), _ranges(c)) for c in connectors
                      if params["export_path"])
        return entries, ranges

    entries, ranges = module.run(read)
    result = dict(changed=False, permissions=entries)
    if params["export_path"]:
        document = {params["export_var"]: module.checked(_exported, entries, ranges, params["relay_max_addresses"])}
        result.update(export(module, document, _HEADER), exported=document)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
