#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: receive_connector_certificate
short_description: Move the receive connectors of a server to a renewed TLS certificate, safely
version_added: 0.1.0
description:
  - Finds the receive connectors of O(server) that name the certificate a new one replaces and sets their
    C(TlsCertificateName) to the new certificate's C(<I>issuer<S>subject) (C(Set-ReceiveConnector)).
  - A connector names its certificate by issuer and subject only. Without O(old_thumbprint), the connectors moved
    are those whose C(TlsCertificateName) has the new certificate's subject and another issuer (the renewal that
    breaks mail flow, when the CA switched intermediates). Connectors already naming the new certificate's issuer and
    subject are left alone (Exchange uses the valid certificate of that name).
  - With O(old_thumbprint), the connectors naming that certificate's issuer and subject are moved, whatever the
    new certificate's subject.
  - Refuses before any write when the new certificate is not on the server, is expired or not yet valid, has no
    private key or is not enabled for SMTP, or when it is not valid for the C(Fqdn) of a connector it would serve
    (its subject and DNS names; C(*.contoso.com) covers C(mail.contoso.com)).
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.onprem
  - mailflow.exchange.onprem.modules
  - mailflow.exchange.change_review
attributes:
  check_mode:
    support: full
    description: Reads, checks and returns the plan (the connectors and their names before and after); nothing is written.
  diff_mode:
    support: full
    description: Shows each moved connector's C(tls_certificate_name) before and after.
requirements:
  - cryptography on the controller (to read the certificates Exchange sends)
options:
  server:
    description:
      - Server that holds the certificates and the connectors (short name, or FQDN whose first label is used).
    type: str
    required: true
  thumbprint:
    description:
      - Thumbprint of the new certificate on O(server), all 40 hex digits (spaces, colons and case do not matter).
    type: str
    required: true
  old_thumbprint:
    description:
      - Thumbprint of the certificate being replaced, on O(server). Its issuer and subject pick the connectors.
      - When unset, the connectors whose certificate has the new one's subject (and another issuer) are moved.
    type: str
  connectors:
    description:
      - Only these connectors (names on O(server), case-insensitive), among those that name the replaced
        certificate.
      - A name that is no receive connector of O(server) fails the task before anything is written.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Show which connectors would move to the renewed certificate
  mailflow.exchange.receive_connector_certificate:
    host: mail1.contoso.com
    server: MAIL1
    thumbprint: 5113AE0233A72FCCB75B1D0198628675333D010E
  check_mode: true
  diff: true
  register: plan

- name: Move them (refused if the new certificate lacks a connector's Fqdn or SMTP)
  mailflow.exchange.receive_connector_certificate:
    host: mail1.contoso.com
    server: MAIL1
    thumbprint: 5113AE0233A72FCCB75B1D0198628675333D010E

- name: Replace a certificate whose subject changed, on the client connector only
  mailflow.exchange.receive_connector_certificate:
    host: mail1.contoso.com
    server: MAIL1
    thumbprint: 5113AE0233A72FCCB75B1D0198628675333D010E
    old_thumbprint: 611C687DFC4343A5A03E0005A1EC6E9B6AFF586D
    connectors: [Client Frontend MAIL1]
"""

RETURN = r"""
commands:
  description:
    - The cmdlets the task sent, with their parameters, one PowerShell line each, in order; in check mode, the
      ones it would send (the same list as the real run that follows). Empty when nothing changes.
    - The object is shown as the module addresses it. In check mode a cmdlet addressing an object the run
      creates shows it by name, since it does not exist yet. Values of parameters that may hold a secret are
      shown as C('********').
    - For review only; the module sends each parameter as data, never as PowerShell text.
  returned: success
  type: list
  elements: str
  sample:
    - "Set-ReceiveConnector -Identity '7b3c6e2a-5f0d-4c1e-9a8b-2d4f6e8a0c1b' -TlsCertificateName '<I>CN=R10, O=Let''s Encrypt, C=US<S>CN=mail.contoso.com'"
backup_path:
  description: The backup file written before the first write (O(backup=true)), as an absolute path.
  returned: when O(backup=true) and the task wrote, also when a write failed after the file was saved
  type: str
  sample: /home/ops/plays/backup/receive_connector_certificate_MAIL1_2_connectors.2026-12-03@21-05-09.yml
tls_certificate_name:
  description: The new certificate's C(<I>issuer<S>subject), in canonical form.
  returned: success
  type: str
  sample: "<I>CN=R10, O=Let's Encrypt, C=US<S>CN=mail.contoso.com"
connectors:
  description:
    - The connectors moved (in check mode, that would be moved), with their C(tls_certificate_name) before and after.
  returned: always
  type: list
  elements: dict
  contains:
    identity:
      description: C(SERVER\\Name).
      type: str
    fqdn:
      description: The connector's Fqdn.
      type: str
    before:
      description: C(TlsCertificateName) before.
      type: str
    after:
      description: C(TlsCertificateName) after (what Exchange holds once written).
      type: str
unchanged:
  description: Connectors (C(SERVER\\Name)) that already name the new certificate's issuer and subject.
  returned: success
  type: list
  elements: str
problems:
  description: Why the move was refused (nothing was written).
  returned: failure
  type: list
  elements: str
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._common import engine
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.backup import connectors_backup
from ansible_collections.mailflow.exchange.plugins.module_utils._values.canonical import (
    SERVER,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._server.certificate import (
    CertificateNotUsable,
    certificates_of,
    normalise_thumbprint,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.certificate_renewal import (
    certificate_problems,
    connectors_to_move,
    fqdn_problems,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.module import OnPremModule
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    ROWS,
    check_name,
    connector_values,
    get_connector,
    guid_of,
    identity_of,
    list_connectors,
    same_name,
)


def _options(params):
    """(server, new thumbprint, old thumbprint or None). Raises InvalidValue."""
    server = SERVER.from_input(params["server"], "server")
    new = normalise_thumbprint(params["thumbprint"], "thumbprint")
    old = normalise_thumbprint(params["old_thumbprint"], "old_thumbprint") if params["old_thumbprint"] else None
    for name in params["connectors"] or ():
        check_name(name, "connectors")
    return server, new, old


def _certificate(certificates, thumbprint, option, server):
    found = next((c for c in certificates if c.thumbprint == thumbprint), None)
    if found is None:
        raise CertificateNotUsable(option, thumbprint, server,
                                   "Get-ExchangeCertificate -Server %s does not list it" % server)
    return found


class RenewalTask:
    """Reads certificates and connectors, checks the move, and writes it unless in check mode."""

    def __init__(self, module, client, server):
        self.module = module
        self.client = client
        self.server = server
        self.guids = {}

    def run(self, new_thumbprint, old_thumbprint):
        certificates = certificates_of(self.client, self.server)
        new = _certificate(certificates, new_thumbprint, "thumbprint", self.server)
        old = _certificate(certificates, old_thumbprint, "old_thumbprint", self.server) if old_thumbprint else None
        objects = list_connectors(self.client, self.server)
        connectors = [connector_values(obj) for obj in objects]
        self._check_named(connectors)
        # Writes address each connector by its GUID, which no other object can match. Keyed by the name as the
        # server prints it: lower() would make "Relay \u212a" (Kelvin sign) and "Relay k" one key, and move one
        # connector twice while the other keeps its certificate.
        self.guids = dict((identity_of(v["server"], v["name"]), guid_of(obj)) for v, obj in zip(connectors, objects))
        new_name = new.values["tls_certificate_name"]
        move, already = connectors_to_move(connectors, new_name, old.values["tls_certificate_name"] if old else None,
                                           self.module.params["connectors"])
        problems = ["certificate %s: %s" % (new.thumbprint, p) for p in certificate_problems(new)] if move else []
        problems += fqdn_problems(new, move)
        if problems:
            self.module.fail_json(msg="refusing to move %d connector(s) to certificate %s, nothing was changed: %s"
                                      % (len(move), new.thumbprint, "; ".join(problems)),
                                  problems=problems, connectors=self._plan(move, new_name))
        plan = self._plan(move, new_name)
        if move:
            self.module.backup.keep(*connectors_backup(move))
            for item in plan:
                item["after"] = self._write(item["identity"], new_name)
        result = dict(changed=bool(move), tls_certificate_name=new_name, connectors=plan,
                      unchanged=[identity_of(v["server"], v["name"]) for v in already])
        if self.module._diff:
            result["diff"] = [dict(before_header=item["identity"], after_header=item["identity"],
                                   before=dict(tls_certificate_name=item["before"]),
                                   after=dict(tls_certificate_name=item["after"])) for item in plan]
        return result

    def _check_named(self, connectors):
        """Each name in the connectors option is one of the server's connectors: a typo is refused, never read
        as nothing to move."""
        missing = [name for name in self.module.params["connectors"] or ()
                   if not any(same_name(values["name"], name) for values in connectors)]
        if missing:
            self.module.fail_json(msg="connectors: %s is not a receive connector of %s (Get-ReceiveConnector -Server "
                                      "%s); name connectors of that server, nothing was changed"
                                      % (", ".join(missing), self.server, self.server))

    @staticmethod
    def _plan(move, new_name):
        return [dict(identity=identity_of(v["server"], v["name"]), fqdn=v.get("fqdn"),
                     before=v["tls_certificate_name"], after=new_name) for v in move]

    def _write(self, identity, new_name):
        parameters = engine.parameters(dict(tls_certificate_name=new_name), ROWS, ["tls_certificate_name"],
                                       on_new=False)[0]
        parameters["Identity"] = self.guids[identity]
        self.client.invoke("Set-ReceiveConnector", parameters)
        if self.module.check_mode:
            return new_name  # only listed in commands
        server, _sep, name = identity.partition("\\")
        connector = get_connector(self.client, server, name)
        return connector_values(connector)["tls_certificate_name"] if connector is not None else None


def main():
    module = OnPremModule(dict(
        server=dict(type="str", required=True),
        thumbprint=dict(type="str", required=True),
        old_thumbprint=dict(type="str"),
        connectors=dict(type="list", elements="str"),
    ), writes=True, name="receive_connector_certificate", needs_cryptography=True)
    server, new, old = module.checked(_options, module.params)
    module.exit(module.run(lambda client: RenewalTask(module, client, server).run(new, old)))


if __name__ == "__main__":
    main()
