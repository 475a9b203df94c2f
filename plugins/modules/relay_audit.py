#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: relay_audit
short_description: Find open relays and certificate problems on the receive connectors of on-premises Exchange
version_added: 0.1.0
description:
  - Reads the receive connectors of the given servers (C(Get-ReceiveConnector)), the AD permissions of each
    (C(Get-ADPermission)), the servers' certificates (C(Get-ExchangeCertificate)) and the accepted domains
    (C(Get-AcceptedDomain)), and reports what makes a relay unsafe or about to break.
  - "Findings (id: severity):
    C(anonymous_relay_broad_range): critical, anonymous C(ms-Exch-SMTP-Accept-Any-Recipient) on a connector whose
    remote IP ranges are wider than O(relay_max_addresses) (medium when the connector is disabled);
    C(full_range_on_custom_connector): high, a connector other than the five setup defaults that keeps the
    default remote range C(0.0.0.0-255.255.255.255) (or C(::/0)) and accepts anonymous senders (low without
    C(AnonymousUsers));
    C(tls_certificate_missing): high, C(TlsCertificateName) names no certificate of the server;
    C(tls_certificate_expired): high, the named certificate is outside its validity;
    C(tls_certificate_expiring): medium, it expires within O(expiry_days) days;
    C(fqdn_not_in_certificate): medium, the connector's C(Fqdn) is not among the certificate's names
    (wildcards count for one label);
    C(tls_certificate_not_smtp): low, the certificate is not enabled for SMTP;
    C(accepted_domain_relays_everything): critical, an accepted domain C(*) of type C(InternalRelay) or C(ExternalRelay)."
  - Each finding carries a C(fix) where one can be derived from what was read, as a ready task for
    M(mailflow.exchange.receive_connector) or M(mailflow.exchange.ad_permission).
  - Exchange Online inbound connectors are audited by M(mailflow.exchange.inbound_connector_audit) (it takes the
    Exchange Online connection options; this module takes the on-premises ones).
  - Only reads; O(fail_on) turns findings into a failed task for CI gates, after reporting all of them.
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.onprem
  - mailflow.exchange.onprem.modules
attributes:
  check_mode:
    support: full
    description: Only reads; check mode changes nothing.
  diff_mode:
    support: none
    description: Nothing is changed.
requirements:
  - cryptography on the controller (to read the certificates Exchange sends)
options:
  servers:
    description:
      - Servers whose receive connectors and certificates are audited (short names, or FQDNs whose first label
        is used).
      - When unset, every receive connector of the organisation (C(Get-ReceiveConnector) without C(-Server)).
    type: list
    elements: str
  relay_max_addresses:
    description:
      - Widest remote IP range (in addresses) from which anonymous relay is accepted without a finding; the
        same limit as O(mailflow.exchange.ad_permission#module:relay_max_addresses). 256 is one C(/24).
    type: int
    default: 256
  expiry_days:
    description:
      - A connector's certificate that expires within this many days is a finding; a replacement certificate
        offered as fix must be valid at least this long.
    type: int
    default: 30
  fail_on:
    description:
      - Fail the task when there is a finding of this severity or a more severe one (after reporting every
        finding). V(none) never fails for findings.
    type: str
    choices: [critical, high, medium, low, none]
    default: none
"""

EXAMPLES = r"""
- name: Audit the relays of MAIL1 and MAIL2
  mailflow.exchange.relay_audit:
    host: mail1.contoso.com
    servers: [MAIL1, MAIL2]
  register: audit

- name: Show the audit
  ansible.builtin.debug:
    var: audit.summary

- name: Apply the receive connector fixes the audit offers (review them first)
  mailflow.exchange.receive_connector:
    host: mail1.contoso.com
    name: "{{ item.fix.params.name }}"
    server: "{{ item.fix.params.server }}"
    remote_ip_ranges: "{{ item.fix.params.remote_ip_ranges | default(omit) }}"
    tls_certificate_thumbprint: "{{ item.fix.params.tls_certificate_thumbprint | default(omit) }}"
  loop: "{{ audit.findings | selectattr('fix') | selectattr('fix.module', 'eq', 'mailflow.exchange.receive_connector') }}"
  loop_control:
    label: "{{ item.id }} {{ item.object }}"

- name: CI gate, fail on anything high or critical
  mailflow.exchange.relay_audit:
    host: mail1.contoso.com
    fail_on: high
"""

RETURN = r"""
findings:
  description: The findings, most severe first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: What was found (see the module description for the list).
      type: str
    severity:
      description: V(critical), V(high), V(medium), V(low) or V(info).
      type: str
    object:
      description: The connector (C(SERVER\\Name)) or accepted domain concerned.
      type: str
    evidence:
      description: The values that make it a finding.
      type: str
    advice:
      description: What to do, in words.
      type: str
    fix:
      description:
        - A ready task, C(module) (the fully qualified module name) and C(params) (its parameters, without the
          connection options), or null when no safe change can be derived from what was read.
      type: dict
  sample:
    - id: anonymous_relay_broad_range
      severity: critical
      object: MAIL1\Relay
      evidence: NT AUTHORITY\ANONYMOUS LOGON may relay to any domain (ms-Exch-SMTP-Accept-Any-Recipient, explicit)
        from 10.0.0.0/8, more than 256 addresses
      advice: take the relay right away, then list the devices' addresses in remote_ip_ranges and grant it again
      fix:
        module: mailflow.exchange.ad_permission
        params: {connector: Relay, server: MAIL1, user: S-1-5-7, extended_rights: [ms-Exch-SMTP-Accept-Any-Recipient],
                 state: absent}
counts:
  description: Number of findings per severity (every severity present).
  returned: always
  type: dict
  sample: {critical: 1, high: 0, medium: 2, low: 0, info: 0}
summary:
  description: The audit as readable lines, a headline and one line per finding.
  returned: always
  type: list
  elements: str
  sample:
    - "relay audit of MAIL1 (7 receive connectors, 2 accepted domains): 1 critical"
    - "[CRITICAL] anonymous_relay_broad_range MAIL1\\Relay: NT AUTHORITY\\ANONYMOUS LOGON may relay ..."
audited:
  description: What was read.
  returned: always
  type: dict
  contains:
    servers:
      description: The servers whose connectors and certificates were read.
      type: list
      elements: str
    connectors:
      description: Number of receive connectors.
      type: int
    accepted_domains:
      description: Number of accepted domains.
      type: int
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector import audit_rules as rules
from ansible_collections.mailflow.exchange.plugins.module_utils._server.accepted_domain import (
    accepted_domain_values,
    list_accepted_domains,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import read_aces
from ansible_collections.mailflow.exchange.plugins.module_utils._common.audit import AUDIT_SPEC, report
from ansible_collections.mailflow.exchange.plugins.module_utils._values.canonical import (
    SERVER,
    InvalidValue,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._server.certificate import certificates_of
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.module import OnPremModule
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    connector_values,
    list_connectors,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.relay_guard import DEFAULT_MAX_ADDRESSES


def _servers(params):
    """Canonical server names, in the order given, without repeats. Raises InvalidValue."""
    servers = []
    for name in params["servers"] or ():
        server = SERVER.from_input(name, "servers")
        if server is None:
            raise InvalidValue("servers", name, "a server name such as MAIL1", noun="a server name")
        if server not in servers:
            servers.append(server)
    return servers


def _check_limits(params):
    if params["relay_max_addresses"] < 1:
        raise InvalidValue("relay_max_addresses", params["relay_max_addresses"], "a whole number of at least 1",
                           noun="an address count")
    if params["expiry_days"] < 0:
        raise InvalidValue("expiry_days", params["expiry_days"], "a whole number of days, 0 or more",
                           noun="a number of days")


def _read_connectors(client, servers):
    """The connector objects of ``servers`` (all servers when empty)."""
    if not servers:
        return list_connectors(client)
    return [obj for server in servers for obj in list_connectors(client, server)]


def audit(client, params):
    """(findings, audited): every read, then every rule."""
    objects = _read_connectors(client, _servers(params))
    connectors = [connector_values(obj) for obj in objects]
    servers = sorted(set(c["server"] for c in connectors))
    certificates = dict((server, certificates_of(client, server))
                        for server in servers)
    domains = [accepted_domain_values(obj) for obj in list_accepted_domains(client)]
    findings = []
    for obj, values in zip(objects, connectors):
        aces = read_aces(client, obj)
        findings.extend(rules.connector_findings(values, aces, certificates[values["server"]],
                                                 params["relay_max_addresses"], params["expiry_days"]))
    findings.extend(f for f in (rules.accepted_domain_relays_everything(d) for d in domains) if f is not None)
    audited = dict(servers=servers, connectors=len(connectors), accepted_domains=len(domains))
    return findings, audited


def main():
    module = OnPremModule(dict(
        servers=dict(type="list", elements="str"),
        relay_max_addresses=dict(type="int", default=DEFAULT_MAX_ADDRESSES),
        expiry_days=dict(type="int", default=30),
        **AUDIT_SPEC
    ), needs_cryptography=True)
    module.checked(_servers, module.params)
    module.checked(_check_limits, module.params)
    findings, audited = module.run(lambda client: audit(client, module.params))
    headline = "relay audit of %s (%d receive connectors, %d accepted domains)" % (
        ", ".join(audited["servers"]) or "no server", audited["connectors"], audited["accepted_domains"])
    report(module, findings, headline, audited=audited)


if __name__ == "__main__":
    main()
