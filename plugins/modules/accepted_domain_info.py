#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: accepted_domain_info
short_description: Read the accepted domains of an on-premises Exchange organisation
version_added: 0.1.0
description:
  - Returns the accepted domains (C(Get-AcceptedDomain)) in canonical form.
  - Accepted domains decide relaying. An anonymous sender on C(Default Frontend) may send to recipients in
    them; any other recipient needs a relay connector with C(ms-Exch-SMTP-Accept-Any-Recipient), otherwise
    Exchange answers C(550 5.7.54 Unable to relay recipient in non-accepted domain).
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.onprem
  - mailflow.exchange.onprem.modules
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing to show.
options:
  domain:
    description:
      - Only the accepted domains under which mail for this domain is accepted, which tells whether a
        recipient domain is internal and how Exchange delivers to it.
      - An accepted domain C(*.contoso.com), or C(contoso.com) with C(match_subdomains), covers contoso.com
        and all its subdomains; a plain C(contoso.com) covers only itself.
      - V(*.contoso.com) asks for contoso.com and all its subdomains at once.
    type: str
"""

EXAMPLES = r"""
- name: Is fabrikam.com a domain this organisation accepts mail for?
  mailflow.exchange.accepted_domain_info:
    host: mail1.contoso.com
    domain: fabrikam.com
  register: fabrikam

- name: A relay test to fabrikam.com must then be refused without a relay connector
  ansible.builtin.debug:
    msg: "{{ 'internal' if fabrikam.accepted_domains else 'external: needs a relay connector' }}"

- name: The default domain
  mailflow.exchange.accepted_domain_info:
    host: mail1.contoso.com
  register: all_domains

- name: Show it
  ansible.builtin.debug:
    msg: "{{ (all_domains.accepted_domains | selectattr('default') | first).domain_name }}"
"""

RETURN = r"""
accepted_domains:
  description:
    - The accepted domains found, in the order Exchange lists them. Empty when O(domain) is not covered.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the accepted domain object.
      type: str
    domain_name:
      description: The SMTP domain, lower case; C(*.contoso.com) for a domain and its subdomains.
      type: str
    domain_type:
      description: V(Authoritative), V(InternalRelay) or V(ExternalRelay).
      type: str
    default:
      description: Whether it is the organisation's default domain.
      type: bool
    match_subdomains:
      description: Whether mail for its subdomains is accepted too (Exchange 2016 and later).
      type: bool
    address_book_enabled:
      description: Whether recipient filtering checks recipients of this domain against the directory.
      type: bool
  sample:
    - name: Solo.com
      domain_name: solo.com
      domain_type: Authoritative
      default: true
      match_subdomains: false
      address_book_enabled: true
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._server.accepted_domain import (
    accepted_domain_values,
    covers,
    list_accepted_domains,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import SMTP_DOMAIN
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.module import OnPremModule


def main():
    module = OnPremModule(dict(domain=dict(type="str")))
    domain = module.params["domain"] and module.checked(SMTP_DOMAIN.from_input, module.params["domain"], "domain")
    domains = module.run(lambda client: [accepted_domain_values(obj) for obj in list_accepted_domains(client)])
    if domain:
        domains = [values for values in domains if covers(values, domain)]
    module.exit_json(changed=False, accepted_domains=domains)


if __name__ == "__main__":
    main()
