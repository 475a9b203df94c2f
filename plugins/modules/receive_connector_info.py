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
      - Only the connectors of this server. All servers of the organisation when unset.
      - A server that does not exist is an error.
    type: str
  name:
    description:
      - Only the connector of this name (case-insensitive). With O(server) it is looked up directly.
    type: str
  export_path:
    description:
      - Also write the connectors found to this YAML vars file (configuration as code). The task reports
        C(changed) when the file's content changes; in check mode nothing is written.
      - With O(export_format=module_args), the file holds the variable O(export_var), a list of argument dicts
        for M(mailflow.exchange.receive_connector), only options that module sets, in canonical form. Applying
        them to the same server reports no change (see the example).
      - Values that are unset on the server (null, for example an empty O(ignore:comment)) are left out, since unset
        means "leave as is" to M(mailflow.exchange.receive_connector). Such a value does not round-trip to
        another server, where the option keeps whatever that server has.
      - The certificate of O(ignore:tls_certificate_name) is named by issuer and subject, so the file fits
        another server only if a certificate with the same names exists there.
      - O(ignore:usage) is not exported. Exchange keeps no usage type (it only picks defaults at creation), and the
        exported permission groups and authentication mechanisms say it all.
    type: path
  export_format:
    description:
      - V(module_args) writes task arguments for M(mailflow.exchange.receive_connector).
      - V(role_vars) writes the variables of the role P(mailflow.exchange.onprem_relay#role) (anonymous style) that
        rebuild the anonymous relay among the connectors found, recognised by its shape
        (C(<prefix> <server>), Front End Transport, permission group C(AnonymousUsers) only, and the relay right
        of C(NT AUTHORITY\\ANONYMOUS LOGON)). Fails when the connectors hold no such relay or several that
        differ. The proof is switched off (C(onprem_relay_verify=false)) because it needs a device address to send from.
    type: str
    choices: [module_args, role_vars]
    default: module_args
  export_var:
    description:
      - Name of the variable that holds the list with O(export_format=module_args).
    type: str
    default: receive_connectors
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

- name: Export the connectors of MAIL1 as code
  mailflow.exchange.receive_connector_info:
    server: MAIL1
    export_path: "{{ playbook_dir }}/vars/mail1_connectors.yml"

# Later: apply the file (on MAIL1 itself this reports no change).
- name: Read the exported connectors
  ansible.builtin.include_vars: vars/mail1_connectors.yml

- name: Apply them
  mailflow.exchange.receive_connector: "{{ item }}"
  loop: "{{ receive_connectors }}"
  loop_control:
    label: "{{ item.name }}"

- name: Export the anonymous relay as vars of the onprem_relay role
  mailflow.exchange.receive_connector_info:
    server: MAIL1
    export_path: "{{ playbook_dir }}/vars/relay.yml"
    export_format: role_vars
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
export_path:
  description: The file written (or that would be written in check mode).
  returned: when O(export_path) is set
  type: str
exported:
  description: What the file holds, as data (the variables of the file).
  returned: when O(export_path) is set
  type: dict
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._values import psobject
from ansible_collections.mailflow.exchange.plugins.module_utils._values.canonical import (
    SERVER,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.export_file import (
    export,
    export_argument_spec,
    task_arguments,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.module import OnPremModule
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    check_name,
    connector_values,
    get_connector,
    list_connectors,
    same_name,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.role_vars import NotOneRelay, role_vars

_HEADER = ("Receive connectors exported by mailflow.exchange.receive_connector_info (%s).\n"
           "Values unset on the server are left out; applying this file to the same server changes nothing.")


def _read(client, server, name):
    if server and name:
        found = get_connector(client, server, name)
        return [found] if found is not None else []
    connectors = list_connectors(client, server)
    if name:
        connectors = [c for c in connectors if same_name(psobject.property_value(c, "Name"), name)]
    return connectors


def _document(module, client, objects, connectors):
    """The variables of the export file (``objects`` as read, ``connectors`` their values)."""
    if module.params["export_format"] == "role_vars":
        try:
            return role_vars(client, objects)
        except NotOneRelay as err:
            module.fail_json(msg="export_format=role_vars: %s" % err)
    return {module.params["export_var"]: [task_arguments(c) for c in connectors]}


def _inputs(params):
    """The server; the name checked. Raises InvalidValue."""
    server = SERVER.from_input(params["server"], "server")
    if params["name"] is not None:
        # The rule receive_connector applies: a name it could never create is a typo, not "none found".
        check_name(params["name"])
    return server


def main():
    module = OnPremModule(dict(server=dict(type="str"), name=dict(type="str"),
                               **export_argument_spec("receive_connectors", ("module_args", "role_vars"))))
    server = module.checked(_inputs, module.params)

    def read(client):
        objects = _read(client, server, module.params["name"])
        connectors = [connector_values(c) for c in objects]
        document = _document(module, client, objects, connectors) if module.params["export_path"] else None
        return connectors, document

    connectors, document = module.run(read)
    result = dict(changed=False, connectors=connectors)
    if document is not None:
        result.update(export(module, document, _HEADER % module.params["export_format"]), exported=document)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
