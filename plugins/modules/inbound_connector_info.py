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
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing to show.
options:
  name:
    description:
      - Only the connector of this name (case-insensitive). All connectors of the tenant when unset.
    type: str
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
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailflow.exchange.plugins.module_utils.canonical import UnexpectedExchangeValue
from ansible_collections.mailflow.exchange.plugins.module_utils.errors import ExchangeError
from ansible_collections.mailflow.exchange.plugins.module_utils.inbound_connector_api import (
    connector_values,
    list_connectors,
)
from ansible_collections.mailflow.exchange.plugins.module_utils.online import (
    check_online_options,
    online_argument_spec,
)
from ansible_collections.mailflow.exchange.plugins.module_utils.online_rest import online_client


def main():
    module = AnsibleModule(argument_spec=online_argument_spec(dict(name=dict(type="str"))), supports_check_mode=True)
    check_online_options(module)
    try:
        with online_client(module) as client:
            connectors = [connector_values(c) for c in list_connectors(client, module.params["name"])]
    except UnexpectedExchangeValue as err:
        module.fail_json(msg="cannot read what Exchange Online returned: %s" % err)
    except ExchangeError as err:
        module.fail_json(msg=str(err), **err.to_result())
    module.exit_json(changed=False, connectors=connectors)


if __name__ == "__main__":
    main()
