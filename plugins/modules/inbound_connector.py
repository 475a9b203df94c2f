#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: inbound_connector
short_description: Manage an Exchange Online inbound connector
version_added: 0.1.0
description:
  - Creates, changes or removes an inbound connector of an Exchange Online tenant
    (C(New-InboundConnector), C(Set-InboundConnector), C(Remove-InboundConnector)), for example the
    connector that lets devices and applications relay mail through Microsoft 365.
  - Values are compared in canonical form, so a rerun reports no change even when Exchange prints a value
    differently from how it was written (C(*) and C(smtp:*;1), C(Contoso.com) and C(contoso.com),
    C(203.0.113.10/32) and C(203.0.113.10)).
  - Options left unset are left as they are. Multi-valued options (O(sender_domains),
    O(sender_ip_addresses), O(associated_accepted_domains)) take a list, which replaces the whole value,
    or a dict that edits it, with C(add) and/or C(remove) (lists), or C(set) alone (the whole value, as a
    list does). C(add) and C(remove) compare values by meaning (an address inside a listed block is
    present); check mode and diff show the list as it will be.
  - Edits are sent to Exchange Online as C(@{Add=...; Remove=...}), so two runs adding different
    devices at the same time both land.
  - Invalid values and impossible combinations are refused before anything is sent to Exchange Online.
  - The output of M(mailflow.exchange.inbound_connector_info), fed back as options, reports no change.
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.online
  - mailflow.exchange.online.modules
  - mailflow.exchange.change_review
attributes:
  check_mode:
    support: full
    description: Reads the connector and reports the change it would make; nothing is written.
  diff_mode:
    support: full
    description: Shows the connector's settings before and after, in canonical form.
options:
  state:
    description:
      - V(present) creates the connector or brings the given options to the given values.
      - V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Connector name, unique in the tenant (compared case-insensitively). The module acts only on the
        connector of exactly this name; changes and removal address it by the GUID read first.
      - Wildcard characters (C(*), C(?), C([), C(])), surrounding spaces, a GUID and a name starting with
        C(CN=) are refused before anything is sent, as Exchange could read them as another connector's identity.
    type: str
    required: true
  connector_type:
    description:
      - V(OnPremises) for mail from the organisation's own servers and devices (needed to relay to
        external recipients), V(Partner) for mail from partners or services.
      - Required to create a connector.
    type: str
    choices: [OnPremises, Partner]
  sender_domains:
    description:
      - Sender domains the connector takes mail for; C(*) for any domain, C(*.contoso.com) for a domain and
        its subdomains (a wildcard only as the first label). Compared lower-cased; the address space form
        Exchange prints (C(smtp:contoso.com;1)) is read too.
      - Required to create a connector.
      - A list replaces the whole value; a dict with C(add) and/or C(remove) (or C(set)) edits it.
    type: raw
  sender_ip_addresses:
    description:
      - Public IPv4 addresses the connector takes mail from, single (C(203.0.113.10)) or CIDR blocks from
        C(/24) to C(/32). Ranges C(first-last), IPv6 and blocks wider than C(/24) are refused, as
        Exchange Online documents.
      - A list replaces the whole value. A dict edits it, C(add) with C([203.0.113.11]) onboards one device
        and C(remove) with C([203.0.113.10]) retires one; removing part of a listed block is refused rather
        than split.
      - The open-relay rules judge the list as it will be after the edit.
    type: raw
  tls_sender_certificate_name:
    description:
      - Domain the sending server's TLS certificate must be issued to, such as C(mail.contoso.com) or
        C(*.contoso.com); no embedded wildcard. It should be an accepted domain of the tenant.
      - Empty string clears it.
    type: str
  require_tls:
    description:
      - Reject messages not sent over TLS. Microsoft documents it for Partner connectors; Exchange Online's
        default for a new connector is V(true).
    type: bool
  restrict_domains_to_ip_addresses:
    description:
      - Reject mail from O(sender_domains) that does not come from O(sender_ip_addresses); needs
        O(sender_ip_addresses).
    type: bool
  restrict_domains_to_certificate:
    description:
      - Accept mail only when the sender's certificate matches O(tls_sender_certificate_name); needs
        O(tls_sender_certificate_name).
    type: bool
  associated_accepted_domains:
    description:
      - Only senders of these accepted domains of the tenant may use the connector.
      - A list replaces the whole value; a dict with C(add) and/or C(remove) (or C(set)) edits it.
    type: raw
  cloud_services_mail_enabled:
    description:
      - Keep the internal C(X-MS-Exchange-Organization-*) headers between on-premises and cloud (hybrid mail
        flow). Microsoft recommends setting it only through the Hybrid Configuration Wizard; a relay for
        devices wants V(false) (the admin centre's "retain internal Exchange email headers" unticked).
    type: bool
  treat_messages_as_internal:
    description:
      - Treat mail from the tenant's own domains through this connector as internal (it then bypasses
        anti-spam filtering). Only for O(connector_type=OnPremises) and not with
        O(cloud_services_mail_enabled=true).
    type: bool
  enabled:
    description:
      - Whether the connector is used.
    type: bool
  comment:
    description:
      - Free text comment; empty string clears it.
    type: str
  allow_unrestricted:
    description:
      - An OnPremises connector for O(sender_domains=*) with neither O(sender_ip_addresses) nor
        O(tls_sender_certificate_name) lets any server relay mail through the tenant, so the module refuses
        it unless this is V(true).
    type: bool
    default: false
notes:
  - Microsoft 365 E5 developer tenants cannot create inbound connectors; the module says so when
    Exchange Online refuses for that reason.
"""

EXAMPLES = r"""
- name: Relay for on-premises devices, recognised by the public IP of the site
  mailflow.exchange.inbound_connector:
    tenant: contoso.onmicrosoft.com
    client_id: 00000000-0000-0000-0000-000000000000
    certificate: /etc/ansible/exo/app.pem
    private_key: /etc/ansible/exo/app.key
    name: SMTP Relay
    connector_type: OnPremises
    sender_domains: ["*"]
    sender_ip_addresses: [203.0.113.10]
    restrict_domains_to_ip_addresses: true
    cloud_services_mail_enabled: false

- name: The TLS variant, recognised by the relay's certificate
  mailflow.exchange.inbound_connector:
    name: SMTP Relay TLS
    connector_type: OnPremises
    sender_domains: ["*"]
    require_tls: true
    tls_sender_certificate_name: "*.contoso.com"

- name: Onboard one more relay address without restating the others
  mailflow.exchange.inbound_connector:
    name: SMTP Relay
    sender_ip_addresses:
      add: [203.0.113.11]

- name: Remove a connector
  mailflow.exchange.inbound_connector:
    name: Old relay
    state: absent
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
    - "Set-InboundConnector -Identity '2f1d4c3b-9a8e-4b7c-8d6e-5f4a3b2c1d0e' -SenderIPAddresses @{Add='203.0.113.11'}"
backup_path:
  description: The backup file written before the first write (O(backup=true)), as an absolute path.
  returned: when O(backup=true) and the task wrote, also when a write failed after the file was saved
  type: str
  sample: /home/ops/plays/backup/inbound_connector_Relay_devices.2026-12-03@21-05-09.yml
connector:
  description:
    - The connector as Exchange Online holds it after the task (in check mode, as it would be), in canonical form.
    - The keys are this module's options, so the value can be fed back to the module as is.
    - Empty after removal.
  returned: always
  type: dict
  sample:
    name: SMTP Relay
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
cmdlet:
  description: The cmdlet that failed, when Exchange Online refused a change.
  returned: failure
  type: str
  sample: New-InboundConnector
exception_type:
  description: The .NET exception type Exchange Online reported for the failure.
  returned: failure
  type: str
applied:
  description:
    - On failure, the writes Exchange had confirmed before it, in order, so a failed run says exactly
      what it changed; C(changed) is true when this list is not empty. A rerun finishes the change.
  returned: failure
  type: list
  elements: dict
  contains:
    cmdlet:
      description: The write cmdlet.
      type: str
      sample: New-ReceiveConnector
    identity:
      description: The object it wrote (its Identity or Name parameter).
      type: str
    parameters:
      description: The names of the parameters it sent.
      type: list
      elements: str
reread_after:
  description:
    - The write cmdlets whose answer was lost (connection reset, timeout, gateway timeout). They are
      never sent again blindly; the module read the object again and applied only what was still missing.
  returned: when a write's outcome was unknown
  type: list
  elements: str
  sample: [Set-ReceiveConnector]
outcome_unknown:
  description: On failure, the write whose outcome stayed unknown after reading again.
  returned: failure, when a write's outcome was unknown
  type: str
"""

from ansible_collections.mailflow.exchange.plugins.module_utils._common import engine, list_edit
from ansible_collections.mailflow.exchange.plugins.module_utils._common.argspec import arguments_as_written
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError, ExchangeOutcomeUnknown
from ansible_collections.mailflow.exchange.plugins.module_utils._common.outcome import run_rereading
from ansible_collections.mailflow.exchange.plugins.module_utils._common.table_task import TableObjectTask, refuse
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.api import (
    ROWS,
    already_exists,
    check_name,
    combination_problems,
    connector_values,
    creation_restricted,
    get_connector,
    is_connector,
    read_until,
    unrestricted_connector_problem,
    write_identity,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.backup import connector_backup
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.table import (
    CONNECTOR_TYPES,
    NEW_CONNECTOR_DEFAULTS,
    REQUIRED_ON_CREATE,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._online.module import OnlineModule


def _argument_spec():
    table_spec = engine.argument_spec(ROWS)
    table_spec.update(
        name=dict(type="str", required=True),
        connector_type=dict(type="str", choices=list(CONNECTOR_TYPES)),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        allow_unrestricted=dict(type="bool", default=False),
    )
    return table_spec


def check_rules(values, allow_unrestricted):
    """Raise RuleViolation for the rules ``values`` (possibly partial) break."""
    problems = combination_problems(values)
    relay = None if allow_unrestricted else unrestricted_connector_problem(values)
    refuse(problems + [relay] if relay else problems)


class InboundConnectorTask(TableObjectTask):
    """The connector brought to the options: its rules, its creation, and Exchange Online's lagging reads."""

    rows = ROWS
    set_cmdlet = "Set-InboundConnector"
    remove_cmdlet = "Remove-InboundConnector"
    odata = True

    def __init__(self, module, client, desired, edits):
        super().__init__(module, client, desired, edits)
        self.label = "the connector %r" % desired["name"]
        self.allow_unrestricted = module.params["allow_unrestricted"]
        # Whether this task sent New-InboundConnector already: run again after its outcome was unknown
        # (outcome.run_rereading), the connector it may have made is waited for, and is its own.
        self.sent_new = False

    def read(self):
        if self.sent_new:
            # Reading again after New-InboundConnector's answer was lost: a read may miss the connector it made
            # (replication), and New- must not be sent again on that miss; wait (bounded) for it to show.
            return read_until(self.client, self.desired["name"], lambda found: found is not None)
        return get_connector(self.client, self.desired["name"])

    def values(self, obj):
        return connector_values(obj)

    def write_identity(self, obj):
        # The GUID read first: a rename or a name Exchange could read as a pattern cannot hit another one.
        return write_identity(obj)

    def keep_backup(self, current):
        self.module.backup.keep(*connector_backup(self.desired["name"], current))

    def check_update(self, current, after):
        check_rules(after, self.allow_unrestricted)

    def remove(self):
        try:
            return super().remove()
        except ExchangeError as err:
            # The read showed a connector already gone (removed meanwhile, reads lagging): nothing to do.
            if not err.not_found:
                raise
            return False

    def create(self):
        missing = [option for option in REQUIRED_ON_CREATE if not self.desired.get(option)]
        if missing:
            # The first read may have missed a connector just made (replication): look again before refusing.
            existing = read_until(self.client, self.desired["name"], lambda found: found is not None)
            if existing is not None:
                return self._update_found(existing)
            refuse(["creating connector %r needs %s" % (self.desired["name"], " and ".join(missing))])
        check_rules(engine.merged(NEW_CONNECTOR_DEFAULTS, self.desired), self.allow_unrestricted)
        new_parameters = engine.parameters(self.desired, ROWS, list(self.desired), on_new=True)[0]
        sent_before, self.sent_new = self.sent_new, True
        try:
            # Only the connector asked for is reported as created; anything else it printed is not trusted.
            created = [obj for obj in self.client.invoke("New-InboundConnector", new_parameters)
                       if is_connector(obj, self.desired["name"])]
        except ExchangeError as err:
            if not already_exists(err):
                raise
            # The first read missed a connector that exists (replication): read it and update it instead.
            existing = read_until(self.client, self.desired["name"], lambda found: found is not None)
            if sent_before:
                # It is the one this task's first New-InboundConnector made (its answer was lost): the backup,
                # no connector before the task, is right as it is.
                if existing is None:
                    raise ExchangeOutcomeUnknown(
                        "whether Exchange Online applied it is unknown: its answer was lost, New-InboundConnector "
                        "now says connector %r exists, and reading it again does not show it yet"
                        % self.desired["name"], cmdlet="New-InboundConnector") from None
                return self._update_found(existing)
            if existing is None:
                # The backup says the connector did not exist, and Exchange says it does: applied, it would remove
                # a connector this task never made.
                self.module.backup.discard()
                raise
            # Exchange wrote nothing: the backup is of the connector that was there.
            self.module.backup.correct(*connector_backup(self.desired["name"], connector_values(existing)))
            return self._update_found(existing)
        return self.created(created)

    def _update_found(self, existing):
        """Update a connector the first read missed."""
        self.object = existing
        current = connector_values(existing)
        self.note_before(current)
        self.keep_backup(current)
        self.resolve_edits(current)
        return self.update(current)

    def read_again(self, written):
        # A read may miss the change for a while (replication), so it is repeated (bounded) until it shows it.
        return read_until(self.client, self.desired["name"], lambda found: self._settled(found, written))

    def settled_values(self, obj, written):
        if not self._settled(obj, written):
            self.module.warn("Exchange Online does not show the change to connector %r yet (replication); "
                             "the result shows the values written" % self.desired["name"])
            return written
        return connector_values(obj)

    @staticmethod
    def _settled(connector, written):
        return connector is not None and not engine.differences(connector_values(connector), written or {})


def _restricted_message(err):
    if not creation_restricted(err):
        return None
    return ("this tenant cannot create inbound connectors: Exchange Online restricts their creation in "
            "Microsoft 365 E5 developer subscriptions, and a support ticket won't lift it "
            "(New-InboundConnector.md). Use a paid tenant. Exchange Online said: %s" % err.message)


def _inputs(params):
    """(list edits, desired values): the options checked before anything is read."""
    check_name(params["name"])
    edits, plain = list_edit.parse_options(params, ROWS, arguments_as_written())
    desired = engine.desired_values(plain, ROWS)
    if params["state"] == "present":
        # On the options alone, before any call; again on the whole connector before any write.
        check_rules(desired, params["allow_unrestricted"])
    return edits, desired


def main():
    module = OnlineModule(_argument_spec(), writes=True, name="inbound_connector")
    edits, desired = module.checked(_inputs, module.params)
    result = module.run(lambda client: run_rereading(InboundConnectorTask(module, client, desired, edits).run,
                                                     module.warn), explain=_restricted_message)
    module.exit(result)


if __name__ == "__main__":
    main()
