#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: inbound_connector_audit
short_description: Find inbound connectors of an Exchange Online tenant that let anyone relay
version_added: 0.1.0
description:
  - Reads the inbound connectors of the tenant (C(Get-InboundConnector)) and reports the ones that make the tenant
    an open relay, with the same findings format as M(mailflow.exchange.relay_audit) (the on-premises half of the
    audit, which takes the on-premises connection options).
  - "Findings (id: severity): C(onpremises_connector_unrestricted): critical, an C(OnPremises) connector for sender
    domain C(*) with neither sender IP addresses nor a TLS certificate name, so any server can relay through the
    tenant (medium when the connector is disabled). This is the connector
    M(mailflow.exchange.inbound_connector) refuses to create without O(mailflow.exchange.inbound_connector#module:allow_unrestricted)."
  - The C(fix) of an enabled unrestricted connector disables it, the one change that is safe without knowing the
    relay's addresses or certificate (with O(mailflow.exchange.inbound_connector#module:allow_unrestricted), which
    that module needs to keep the disabled connector's other values); the advice says what to set instead.
  - Only reads; O(fail_on) turns findings into a failed task for CI gates, after reporting all of them.
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.online
  - mailflow.exchange.online.modules
attributes:
  check_mode:
    support: full
    description: Only reads; check mode changes nothing.
  diff_mode:
    support: none
    description: Nothing is changed.
options:
  fail_on:
    description:
      - Fail the task when there is a finding of this severity or a more severe one (after reporting every
        finding). V(none) never fails for findings.
    type: str
    choices: [critical, high, medium, low, none]
    default: none
"""

EXAMPLES = r"""
- name: Audit the tenant's inbound connectors, failing on an open relay
  mailflow.exchange.inbound_connector_audit:
    tenant: contoso.onmicrosoft.com
    client_id: 00000000-0000-0000-0000-000000000000
    pfx: /etc/ansible/exo/app.pfx
    pfx_password: "{{ vault_exo_pfx_password }}"
    fail_on: critical
  register: exo_audit

- name: Show it
  ansible.builtin.debug:
    var: exo_audit.summary
"""

RETURN = r"""
findings:
  description: The findings, most severe first (see M(mailflow.exchange.relay_audit) for the keys).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: What was found.
      type: str
    severity:
      description: V(critical), V(high), V(medium), V(low) or V(info).
      type: str
    object:
      description: The connector concerned (C(inbound connector <name>)).
      type: str
    evidence:
      description: The values that make it a finding.
      type: str
    advice:
      description: What to do, in words.
      type: str
    fix:
      description: A ready task for M(mailflow.exchange.inbound_connector) (C(module), C(params)), or null.
      type: dict
  sample:
    - id: onpremises_connector_unrestricted
      severity: critical
      object: inbound connector Open relay
      evidence: "OnPremises connector for sender domain * without sender_ip_addresses or tls_sender_certificate_name:
        any server can relay mail through the tenant"
      advice: set sender_ip_addresses ... or disable the connector until then
      fix: {module: mailflow.exchange.inbound_connector, params: {name: Open relay, enabled: false, allow_unrestricted: true}}
counts:
  description: Number of findings per severity (every severity present).
  returned: always
  type: dict
summary:
  description: The audit as readable lines, a headline and one line per finding.
  returned: always
  type: list
  elements: str
audited:
  description: What was read.
  returned: always
  type: dict
  contains:
    inbound_connectors:
      description: Number of inbound connectors.
      type: int
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector import audit_rules as rules
from ansible_collections.mailflow.exchange.plugins.module_utils._common.audit import AUDIT_SPEC, report
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.api import (
    connector_values,
    list_connectors,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._online.module import OnlineModule


def main():
    module = OnlineModule(AUDIT_SPEC)
    connectors = module.run(lambda client: [connector_values(c) for c in list_connectors(client)])
    findings = [item for values in connectors for item in rules.connector_findings(values)]
    headline = "inbound connector audit of %s (%d inbound connectors)" % (module.params["tenant"], len(connectors))
    report(module, findings, headline, audited=dict(inbound_connectors=len(connectors)))


if __name__ == "__main__":
    main()
