#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: exchange_certificate_info
short_description: Read the certificates of an on-premises Exchange server
version_added: 0.1.0
description:
  - Returns the certificates of one Exchange server (C(Get-ExchangeCertificate)) in canonical form, with
    thumbprint, subject and issuer, DNS names, services, validity, and the C(tls_certificate_name) that
    M(mailflow.exchange.receive_connector) takes, so a certificate found here can be handed to a
    connector as is.
  - The filters are applied by the module after one C(Get-ExchangeCertificate) call.
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
requirements:
  - cryptography on the controller (to read the certificates Exchange sends)
options:
  server:
    description:
      - Server whose certificates are read (its short name, or FQDN whose first label is used).
      - When unset, the certificates of the server the session runs on (O(host)), as
        C(Get-ExchangeCertificate) does without C(-Server).
    type: str
  thumbprint:
    description:
      - Only the certificate with this thumbprint, all 40 hex digits (spaces, colons and case do not
        matter; prefixes are refused).
    type: str
  domain:
    description:
      - Only certificates valid for this host name, by their subject common name or subject alternative
        names (the names C(Get-ExchangeCertificate -DomainName) looks at).
      - A wildcard certificate C(*.contoso.com) is valid for C(mail.contoso.com), not for C(contoso.com)
        nor C(a.b.contoso.com). V(*.contoso.com) itself finds the wildcard certificate.
    type: str
  service:
    description:
      - Only certificates enabled for this Exchange service (C(Enable-ExchangeCertificate -Services)).
    type: str
    choices: [IMAP, POP, UM, IIS, SMTP, Federation, UMCallRouter]
  valid_only:
    description:
      - Only certificates valid now (between their not_before and not_after).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Certificates of MAIL1 that can serve mail.contoso.com over SMTP
  mailflow.exchange.exchange_certificate_info:
    host: mail1.contoso.com
    server: MAIL1
    domain: mail.contoso.com
    service: SMTP
    valid_only: true
  register: smtp_certificates

- name: Give the newest of them to the authenticated relay connector
  mailflow.exchange.receive_connector:
    host: mail1.contoso.com
    name: Client Frontend MAIL1
    server: MAIL1
    fqdn: mail.contoso.com
    tls_certificate_thumbprint: "{{ (smtp_certificates.certificates | sort(attribute='not_after') | last).thumbprint }}"

- name: Warn about certificates that expire within 30 days
  ansible.builtin.debug:
    msg: "{{ item.subject }} ({{ item.thumbprint }}) expires in {{ item.days_left }} days"
  loop: "{{ smtp_certificates.certificates | selectattr('days_left', 'lt', 30) }}"
"""

RETURN = r"""
certificates:
  description:
    - The certificates found, in the order Exchange lists them. Empty when none passes the filters.
  returned: always
  type: list
  elements: dict
  contains:
    thumbprint:
      description: SHA-1 thumbprint, 40 upper-case hex digits.
      type: str
    server:
      description: Server that holds the certificate (from Exchange's C(ServerFQDN\Thumbprint) identity).
      type: str
    subject:
      description: Subject as Windows prints it (C(CN=mail.contoso.com, O=Contoso, C=US)).
      type: str
    issuer:
      description: Issuer as Windows prints it.
      type: str
    tls_certificate_name:
      description:
        - C(<I>issuer<S>subject), the value of a receive connector's C(TlsCertificateName), in the canonical
          form M(mailflow.exchange.receive_connector) compares with.
      type: str
    certificate_domains:
      description: DNS names of the subject alternative name, lower case, sorted.
      type: list
      elements: str
    services:
      description: Exchange services the certificate is enabled for (C(IMAP), C(POP), C(IIS), C(SMTP), ...); empty for C(None).
      type: list
      elements: str
    not_before:
      description: Start of validity, ISO 8601 in UTC.
      type: str
    not_after:
      description: End of validity, ISO 8601 in UTC.
      type: str
    days_left:
      description: Whole days until not_after, rounded down; negative once expired.
      type: int
    is_self_signed:
      description: Whether Exchange considers the certificate self-signed.
      type: bool
    has_private_key:
      description: Whether the server holds the private key.
      type: bool
    status:
      description: Exchange's status of the certificate (C(Valid), C(DateInvalid), C(Untrusted), C(Revoked), ...).
      type: str
    friendly_name:
      description: Friendly name in the Windows certificate store.
      type: str
    serial_number:
      description: Serial number, upper-case hex.
      type: str
  sample:
    - thumbprint: 611C687DFC4343A5A03E0005A1EC6E9B6AFF586D
      server: WIN-CTD3L0RGEN4
      subject: CN=WIN-CTD3L0RGEN4
      issuer: CN=WIN-CTD3L0RGEN4
      tls_certificate_name: <I>CN=WIN-CTD3L0RGEN4<S>CN=WIN-CTD3L0RGEN4
      certificate_domains: [win-ctd3l0rgen4, win-ctd3l0rgen4.exlab.dom]
      services: [IMAP, POP, IIS]
      not_before: "2021-08-06T13:56:14Z"
      not_after: "2026-08-06T13:56:14Z"
      days_left: 120
      is_self_signed: true
      has_private_key: true
      status: Valid
      friendly_name: Microsoft Exchange
      serial_number: 1333B3FEE3E2CD894710594489D296B0
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._values.canonical import (
    SERVER,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._server.certificate import (
    certificates_of,
    normalise_thumbprint,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import SMTP_DOMAIN
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.module import OnPremModule

_SERVICES = ["IMAP", "POP", "UM", "IIS", "SMTP", "Federation", "UMCallRouter"]


def _filters(params):
    """The filters in canonical form. Raises InvalidValue."""
    return dict(
        thumbprint=normalise_thumbprint(params["thumbprint"]) if params["thumbprint"] else None,
        domain=SMTP_DOMAIN.from_input(params["domain"], "domain") if params["domain"] else None,
        service=params["service"],
        valid_only=params["valid_only"],
    )


def main():
    module = OnPremModule(dict(
        server=dict(type="str"),
        thumbprint=dict(type="str"),
        domain=dict(type="str"),
        service=dict(type="str", choices=_SERVICES),
        valid_only=dict(type="bool", default=False),
    ), needs_cryptography=True)
    server = module.checked(SERVER.from_input, module.params["server"], "server")
    filters = module.checked(_filters, module.params)
    found = module.run(lambda client: certificates_of(client, server))
    module.exit_json(changed=False, certificates=[c.values for c in found if c.matches(**filters)])


if __name__ == "__main__":
    main()
