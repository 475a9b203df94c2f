#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: receive_connector_info
short_description: Read the receive connectors of on-premises Exchange servers
version_added: 0.1.0
description:
  - Returns receive connectors (C(Get-ReceiveConnector)) in canonical form, with the option names of
    M(mailflow.exchange.receive_connector), so one connector can be fed back to that module as is
    (it then reports no change).
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.onprem
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing to show.
options:
  server:
    description:
      - Only the connectors of this server. All servers of the organisation when unset.
      - A server that does not exist is an error.
    type: str
  name:
    description:
      - Only the connector of this name (case-insensitive). With O(server) it is looked up directly.
    type: str
"""

EXAMPLES = r"""
- name: All connectors of MAIL1
  mailflow.exchange.receive_connector_info:
    host: mail1.contoso.com
    server: MAIL1
  register: mail1

- name: Relay connectors that accept anonymous senders
  ansible.builtin.debug:
    msg: "{{ mail1.connectors | selectattr('permission_groups', 'contains', 'AnonymousUsers') | map(attribute='name') }}"

- name: Copy the Client Frontend settings of MAIL1 to MAIL2
  mailflow.exchange.receive_connector:
    host: mail2.contoso.com
    name: Client Frontend MAIL2
    server: MAIL2
    fqdn: "{{ (mail1.connectors | selectattr('name', 'eq', 'Client Frontend MAIL1') | first).fqdn }}"
"""

RETURN = r"""
connectors:
  description:
    - The connectors found, each with the options of M(mailflow.exchange.receive_connector) in canonical
      form (bindings and IP ranges as canonical strings, flags as lists of names in Exchange's order, sizes in bytes or
      C(Unlimited), time spans as C(hh:mm:ss)).
    - Empty when O(name) matches nothing.
  returned: always
  type: list
  elements: dict
  sample:
    - name: Default Frontend MAIL1
      server: MAIL1
      transport_role: FrontendTransport
      bindings: ["0.0.0.0:25", "[::]:25"]
      remote_ip_ranges: [0.0.0.0/0, "::/0"]
      permission_groups: [AnonymousUsers, ExchangeServers, ExchangeLegacyServers]
      auth_mechanism: [Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer]
      max_message_size: 37748736
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailflow.exchange.plugins.module_utils import clixml
from ansible_collections.mailflow.exchange.plugins.module_utils.canonical import SERVER, InvalidValue
from ansible_collections.mailflow.exchange.plugins.module_utils.errors import ExchangeError
from ansible_collections.mailflow.exchange.plugins.module_utils.onprem import (
    onprem_client,
    check_connection_options,
    onprem_argument_spec,
)
from ansible_collections.mailflow.exchange.plugins.module_utils.receive_connector_api import (
    connector_values,
    get_connector,
    identity_of,
    list_connectors,
)


def _read(client, server, name):
    if server and name:
        found = get_connector(client, identity_of(server, name))
        return [found] if found is not None else []
    connectors = list_connectors(client, server)
    if name:
        connectors = [c for c in connectors if str(clixml.property_value(c, "Name")).lower() == name.lower()]
    return connectors


def main():
    spec = onprem_argument_spec(dict(server=dict(type="str"), name=dict(type="str")))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    check_connection_options(module)
    try:
        server = SERVER.from_input(module.params["server"], "server")
    except InvalidValue as err:
        module.fail_json(msg=str(err))
    try:
        with onprem_client(module) as client:
            connectors = [connector_values(c) for c in _read(client, server, module.params["name"])]
    except ExchangeError as err:
        module.fail_json(msg=str(err), **err.to_result())
    module.exit_json(changed=False, connectors=connectors)


if __name__ == "__main__":
    main()
