#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: inbound_connector_info
short_description: Read the inbound connectors of an Exchange Online tenant
version_added: 0.1.0
description:
  - Returns inbound connectors (C(Get-InboundConnector)) in canonical form, with the option names of
    M(mailflow.exchange.inbound_connector), so one connector can be fed back to that module as is
    (it then reports no change).
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.online
  - mailflow.exchange.online.modules
attributes:
  check_mode:
    support: full
    description: Only reads; with O(export_path) it reports whether the file would change, and writes nothing.
  diff_mode:
    support: none
    description: Nothing to show.
options:
  name:
    description:
      - Only the connector of this exact name (case-insensitive). All connectors of the tenant when unset.
      - Wildcard characters (C(*), C(?), C([), C(])), surrounding spaces, a GUID and a name starting with
        C(CN=) are refused, as Exchange could read them as another connector's identity.
    type: str
  export_path:
    description:
      - Also write the connectors found to this YAML vars file. The variable O(export_var) holds one argument dict
        for M(mailflow.exchange.inbound_connector) per connector, only options that module sets, in canonical
        form. Applying them to the same tenant reports no change. The task reports C(changed) when the file's
        content changes; check mode writes nothing.
      - Values unset in the tenant (null, for example no O(ignore:tls_sender_certificate_name)) are left out,
        unset means "leave as is" to M(mailflow.exchange.inbound_connector), so in another tenant such an
        option keeps what is there.
      - An OnPremises connector that already takes mail for any sender domain with neither sender IP addresses
        nor a certificate name is exported with C(allow_unrestricted=true), because that is what the tenant
        holds and the module's open-relay guard would otherwise refuse it. Review such entries.
      - A connector that breaks the rules between options (for example C(restrict_domains_to_ip_addresses) without
        addresses) is exported as it is; M(mailflow.exchange.inbound_connector) then refuses it, naming the rule.
    type: path
  export_format:
    description:
      - V(module_args), the only format, writes task arguments for M(mailflow.exchange.inbound_connector).
    type: str
    choices: [module_args]
    default: module_args
  export_var:
    description:
      - Name of the variable that holds the list.
    type: str
    default: inbound_connectors
"""

EXAMPLES = r"""
- name: All inbound connectors of the tenant
  mailflow.exchange.inbound_connector_info:
    tenant: contoso.onmicrosoft.com
    client_id: 00000000-0000-0000-0000-000000000000
    pfx: /etc/ansible/exo/app.pfx
    pfx_password: "{{ vault_exo_pfx_password }}"
  register: inbound

- name: OnPremises connectors that take mail for any sender domain
  ansible.builtin.debug:
    msg: >-
      {{ inbound.connectors | selectattr('connector_type', 'eq', 'OnPremises')
         | selectattr('sender_domains', 'contains', '*') | map(attribute='name') }}

- name: Export the tenant's inbound connectors as code
  mailflow.exchange.inbound_connector_info:
    export_path: "{{ playbook_dir }}/vars/inbound_connectors.yml"

- name: Read them back
  ansible.builtin.include_vars: vars/inbound_connectors.yml

- name: Apply them (in the same tenant this reports no change)
  mailflow.exchange.inbound_connector: "{{ item }}"
  loop: "{{ inbound_connectors }}"
"""

RETURN = r"""
connectors:
  description:
    - The connectors found, each with the options of M(mailflow.exchange.inbound_connector) in canonical form
      (sender domains as plain lower-case domains, C(*) for any; IPv4 addresses and CIDR blocks).
    - Empty when O(name) matches nothing.
  returned: always
  type: list
  elements: dict
  sample:
    - name: SMTP Relay
      connector_type: OnPremises
      enabled: true
      sender_domains: ["*"]
      sender_ip_addresses: [203.0.113.10]
      tls_sender_certificate_name: null
      require_tls: true
      restrict_domains_to_ip_addresses: true
      restrict_domains_to_certificate: false
      associated_accepted_domains: []
      cloud_services_mail_enabled: false
      treat_messages_as_internal: false
      comment: null
export_path:
  description: The file written (or that would be written in check mode).
  returned: when O(export_path) is set
  type: str
exported:
  description: What the file holds, as data.
  returned: when O(export_path) is set
  type: dict
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._common.export_file import (
    export,
    export_argument_spec,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.api import (
    check_name,
    connector_values,
    list_connectors,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.backup import export_arguments
from ansible_collections.mailflow.exchange.plugins.module_utils._online.module import OnlineModule


_HEADER = ("Inbound connectors exported by mailflow.exchange.inbound_connector_info.\n"
           "Values unset in the tenant are left out; applying this file to the same tenant changes nothing.")


def main():
    module = OnlineModule(dict(name=dict(type="str"), **export_argument_spec("inbound_connectors")))
    name = module.params["name"]
    if name is not None:
        module.checked(check_name, name)
    connectors = module.run(lambda client: [connector_values(c) for c in list_connectors(client, name)])
    result = dict(changed=False, connectors=connectors)
    if module.params["export_path"]:
        document = {module.params["export_var"]: [export_arguments(c) for c in connectors]}
        result.update(export(module, document, _HEADER), exported=document)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
