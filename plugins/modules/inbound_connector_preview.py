#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: inbound_connector_preview
short_description: Which Exchange Online inbound connector recognises a sending server, and why
version_added: 0.1.0
description:
  - Reads the tenant's inbound connectors (C(Get-InboundConnector)) and tells which one Exchange Online
    Protection attributes a connection to, by the sending server's IP address (C(SenderIPAddresses)) or by the
    name on the client certificate it presents with STARTTLS (C(TlsSenderCertificateName), where C(*.contoso.com)
    stands for contoso.com and all its subdomains). Every connector is listed with the reason it won or lost.
  - Only enabled C(OnPremises) connectors recognise the organisation's own servers and let them relay to the
    internet (New-InboundConnector.md, ConnectorType). C(RequireTls) does not decide here, as Microsoft documents
    it for C(Partner) connectors only. A source that no connector recognises may still send
    to the tenant's own domains, but relay to other domains is refused with C(550 5.7.64 TenantAttribution).
  - Microsoft does not document the order when several connectors match. The module prefers a certificate match
    to an IP match, and the narrower IP block among IP matches (a guess); it lists all matches.
  - Only reads.
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.online
  - mailflow.exchange.online.modules
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing to show.
options:
  source:
    description:
      - Public IPv4 address the sending server connects from.
    type: str
  certificate_names:
    description:
      - Names (subject CN and DNS names) of the client certificate the sending server presents.
    type: list
    elements: str
    default: []
  tls:
    description:
      - Whether the session uses STARTTLS. Default true when O(certificate_names) is given, else false.
    type: bool
"""

EXAMPLES = r"""
- name: Which connector recognises the office's public address?
  mailflow.exchange.inbound_connector_preview:
    source: 203.0.113.10
  register: preview

- name: And a relay presenting the certificate of relay.contoso.com
  mailflow.exchange.inbound_connector_preview:
    source: 198.51.100.7
    certificate_names: [relay.contoso.com]
"""

RETURN = r"""
connector:
  description: Name of the connector the connection is attributed to; null when none (relay is then refused).
  returned: always
  type: str
  sample: SMTP Relay
reason:
  description: Why it wins, or why no connector recognises the sender.
  returned: always
  type: str
  sample: "attributed by source IP, in 203.0.113.10"
candidates:
  description: Every connector of the tenant, the winner first, with the reason each won or lost.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Connector name.
      type: str
    selected:
      description: Whether the connection is attributed to it.
      type: bool
    matched_by:
      description: C(ip) or C(certificate) when it matches, else null.
      type: str
    matched_value:
      description: The SenderIPAddresses entry or certificate name that matched.
      type: str
    reason:
      description: Why it won or lost.
      type: str
"""

import ipaddress

from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.attribution import attribute
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.api import (
    connector_values,
    list_connectors,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._online.module import OnlineModule


def main():
    module = OnlineModule(dict(
        source=dict(type="str"),
        certificate_names=dict(type="list", elements="str", default=[]),
        tls=dict(type="bool"),
    ), required_one_of=[("source", "certificate_names")])
    params = module.params
    source = None
    if params["source"]:
        try:
            source = ipaddress.ip_address(params["source"].strip())
        except ValueError:
            module.fail_json(msg="source %r is not an IP address: give the sending server's public IPv4 address "
                                 "(203.0.113.10)" % params["source"])
    connectors = module.run(lambda client: [connector_values(c) for c in list_connectors(client)])
    winner, candidates = attribute(connectors, source, tuple(params["certificate_names"]), params["tls"])
    candidates.sort(key=lambda entry: not entry["selected"])
    if winner is None:
        reason = ("no enabled OnPremises connector recognises this sender: mail to the tenant's own domains is "
                  "still accepted, relay to other domains is refused (550 5.7.64 TenantAttribution)")
        module.exit_json(changed=False, connector=None, reason=reason, candidates=candidates)
    module.exit_json(changed=False, connector=winner["name"], reason=winner["reason"], candidates=candidates)


if __name__ == "__main__":
    main()
