#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ad_permission
short_description: Grant or revoke extended rights of a principal on a receive connector
version_added: 0.1.0
description:
  - Manages the Active Directory permissions (extended rights) of one principal on an on-premises receive
    connector, with C(Get-ADPermission), C(Add-ADPermission) and C(Remove-ADPermission).
  - The relay right of an anonymous relay for listed devices is O(extended_rights=ms-Exch-SMTP-Accept-Any-Recipient) for
    O(user=NT AUTHORITY\\ANONYMOUS LOGON).
  - Principals are matched by SID where one is known, so C(NT AUTHORITY\\ANONYMOUS LOGON), C(anonymous),
    C(S-1-5-7) and a German server's C(NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG) are the same principal.
  - SIDs are read as Windows reads them (S-1-authority-sub-authorities, decimal, with or without leading zeros, the
    authority also in hexadecimal C(0x...)), so C(S-1-5-07) is C(S-1-5-7). A value that starts like a SID but is
    none is refused.
  - Inherited permissions are reported but never removed (Exchange cannot remove them on the connector).
  - Refuses to grant anonymous relay on a connector whose remote IP ranges hold more than
    O(relay_max_addresses) addresses together, unless O(allow_broad_relay=true); that would be an open relay.
    The guard applies to Anonymous Logon and Everyone, and to any principal it cannot identify by SID or by a
    well-known name (a localised name it lacks may be either).
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.onprem
  - mailflow.exchange.onprem.modules
  - mailflow.exchange.change_review
attributes:
  check_mode:
    support: full
    description: Reads the permissions and reports the change it would make; nothing is written.
  diff_mode:
    support: full
    description: Shows the principal's explicit extended rights before and after.
options:
  connector:
    description:
      - Name of the receive connector, matched case-insensitively, with the rules of
        O(mailflow.exchange.receive_connector#module:name) (no wildcard characters, no surrounding whitespace).
      - The permissions are read and written on the connector's distinguished name, so no other object is touched.
    type: str
    required: true
  server:
    description:
      - Exchange server that owns the connector.
    type: str
    required: true
  user:
    description:
      - The principal, as C(DOMAIN\\name), a well-known name in any language Windows prints it, the
        shorthand C(anonymous) or C(authenticated users), or a SID such as C(S-1-5-7).
      - Any other spelling Exchange resolves (C(relay) or C(relay@contoso.com) for C(CONTOSO\\relay)) is
        resolved to the principal's SID through Exchange before comparing, so O(state=absent) and
        O(exclusive=true) find its rights however it is written. A principal Exchange cannot resolve fails
        the task.
    type: str
    required: true
  extended_rights:
    description:
      - Receive connector permissions, for example V(ms-Exch-SMTP-Accept-Any-Recipient) (relay) or
        V(ms-Exch-SMTP-Submit). Case-insensitive.
      - A list, which O(state) and O(exclusive) apply; or a dict with C(add) and/or C(remove) (lists), which
        grants and takes away rights in one task, or with C(set) alone, the principal's whole list of explicit
        rights (like a list with O(exclusive=true)). A dict says itself what goes, so it is refused with
        O(state=absent) or O(exclusive=true), which would contradict it.
      - Each right is its own permission entry, added with C(Add-ADPermission) and removed with
        C(Remove-ADPermission), so runs granting different rights at the same time all land.
    type: raw
    required: true
  state:
    description:
      - V(present) grants the rights that are missing; V(absent) removes the listed rights.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), also remove the principal's other explicit extended rights on the connector.
    type: bool
    default: false
  relay_max_addresses:
    description:
      - Most addresses the connector's remote IP ranges may hold together (overlaps counted once) for anonymous
        relay to be granted; 256 separate /24 ranges hold as many as one /16. Checked when the task grants
        anyone who connects (Anonymous Logon, Everyone, or a principal the guard cannot identify)
        C(ms-Exch-SMTP-Accept-Any-Recipient), or C(ms-Exch-SMTP-Submit) where anyone already holds the relay
        right (Submit lets them in whatever the permission groups say).
    type: int
    default: 256
  allow_broad_relay:
    description:
      - Grant anonymous relay even on broader ranges. This makes an open relay for everyone in those ranges.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Let the listed devices relay to any domain (anonymous relay)
  mailflow.exchange.ad_permission:
    connector: ANONYMOUS RELAY MAIL1
    server: MAIL1
    user: NT AUTHORITY\ANONYMOUS LOGON
    extended_rights: [ms-Exch-SMTP-Accept-Any-Recipient]

- name: Take the relay right away again
  mailflow.exchange.ad_permission:
    connector: ANONYMOUS RELAY MAIL1
    server: MAIL1
    user: S-1-5-7
    extended_rights: [ms-Exch-SMTP-Accept-Any-Recipient]
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
    - "Add-ADPermission -Identity 'CN=ANONYMOUS RELAY MAIL1,CN=SMTP Receive Connectors,CN=Protocols,CN=MAIL1,...'
      -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient'"
backup_path:
  description: The backup file written before the first write (O(backup=true)), as an absolute path.
  returned: when O(backup=true) and the task wrote, also when a write failed after the file was saved
  type: str
  sample: /home/ops/plays/backup/ad_permission_MAIL1_ANONYMOUS_RELAY_MAIL1_S-1-5-7.2026-12-03@21-05-09.yml
extended_rights:
  description: The principal's explicit (non-inherited, allow) extended rights after the task.
  returned: always
  type: list
  elements: str
  sample: [ms-Exch-SMTP-Submit, ms-Exch-SMTP-Accept-Any-Recipient]
inherited_rights:
  description: Extended rights the principal holds through inheritance; the module never removes them.
  returned: always
  type: list
  elements: str
permissions:
  description: Every ACE of the principal on the connector after the task, as Exchange reports it.
  returned: always
  type: list
  elements: dict
  contains:
    user:
      description: The principal as the server prints it (localised).
      type: str
    sid:
      description: The principal's SID, when Exchange reports one or it is a well-known principal.
      type: str
    extended_rights:
      description: Extended rights of the ACE.
      type: list
      elements: str
    access_rights:
      description: Access rights of the ACE (for example C(ExtendedRight)).
      type: list
      elements: str
    deny:
      description: Whether the ACE denies.
      type: bool
    inherited:
      description: Whether the ACE is inherited.
      type: bool
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

from typing import NamedTuple

from ansible_collections.mailflow.exchange.plugins.module_utils._values import psobject

from ansible_collections.mailflow.exchange.plugins.module_utils._common import list_edit
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.backup import permission_backup
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import (
    EXTENDED_RIGHTS,
    RELAY_RIGHT,
    SUBMIT_RIGHT,
    anyone_may_relay,
    canonical_rights,
    explicit_rights,
    inherited_rights,
    read_aces,
    server_name_of,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.canonical import (
    IP_RANGES,
    SERVER,
    InvalidValue,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError
from ansible_collections.mailflow.exchange.plugins.module_utils._common.outcome import run_rereading
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.module import OnPremModule
from ansible_collections.mailflow.exchange.plugins.module_utils._values.principals import Principal
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    check_name,
    distinguished_name_of,
    get_connector,
    identity_of,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.relay_guard import (
    DEFAULT_MAX_ADDRESSES,
    broad_relay_problem,
    relay_principal_needs_guard,
)


class PermissionTask:
    def __init__(self, module, client, server, name, principal, rights):
        self.module = module
        self.client = client
        self.server = server
        self.name = name
        self.label = identity_of(server, name)  # for messages; Exchange is addressed by the connector's DN
        self.principal = principal
        self.rights = rights  # a RightsEdit
        self.connector = None
        # The rights before the task, as its first run read them: a run again after a write's outcome was
        # unknown (outcome.run_rereading) may read the task's own write, and the diff shows the whole change.
        self.first_before = None

    def run(self):
        self.connector = self._read_connector()
        aces = read_aces(self.client, self.connector)
        self.principal = self._resolve_principal(aces)
        before = explicit_rights(aces, self.principal)
        if self.first_before is None:
            self.first_before = before
        self.module.backup.keep(*permission_backup(self.server, self.name, self.principal, before, self._ranges(),
                                                   self.module.params["relay_max_addresses"]))
        inherited = inherited_rights(aces, self.principal)
        to_add = [r for r in self.rights.add if r not in before and r not in inherited]
        # Like receive_connector's guard, only a change is checked: a right already held is reported,
        # not refused (relay_audit finds open relays that exist).
        self._guard_relay(aces, to_add)
        if self.rights.exclusive:
            to_remove = [r for r in before if r not in self.rights.add]
        else:
            to_remove = [r for r in self.rights.remove if r in before]
            kept = [r for r in self.rights.remove if r in inherited and r not in before]
            if kept:
                self.module.warn("%s is inherited by %s on %s and cannot be removed on the connector"
                                 % (", ".join(kept), self.principal.name, self.label))
        changed = bool(to_add or to_remove)
        if changed:
            self._apply(aces, to_add, to_remove)  # in check mode only listed in commands
        if changed and not self.module.check_mode:
            aces = read_aces(self.client, self.connector)
            # A principal that held no ACE before has its SID (and printed name) only now.
            self.principal = self._resolve_principal(aces)
            after = explicit_rights(aces, self.principal)
        else:
            after = [r for r in EXTENDED_RIGHTS if (r in before or r in to_add) and r not in to_remove]
        result = dict(
            changed=changed,
            extended_rights=after,
            inherited_rights=inherited_rights(aces, self.principal),
            permissions=[ace.as_dict() for ace in aces if self.principal.matches(ace.user, ace.sid)],
        )
        if self.module._diff:
            result["diff"] = dict(before=dict(extended_rights=self.first_before), after=dict(extended_rights=after))
        return result

    def _resolve_principal(self, aces):
        """The principal as Exchange knows it (its SID, and its name as the server prints it).

        A SID or a well-known principal is known already; a principal whose ACE the server prints under
        the name given is found among ``aces``. Any other spelling (``relay`` or ``relay@domain`` for
        ``DOMAIN\\relay``) is resolved by Exchange: Get-ADPermission.md, -User "filters the results" to
        that principal, with the SID in each ACE's User; an unknown principal is an error, never "nothing
        to do". (GUESS: Get-ADPermission resolves -User like Add-ADPermission, SecurityPrincipalIdParameter,
        and fails with ManagementObjectNotFoundException for an unknown principal.)
        """
        if self.principal.sid:
            return self.principal
        printed = [ace for ace in aces if self.principal.matches(ace.user, None)]
        if printed and printed[0].sid:
            return Principal(printed[0].user, printed[0].sid)
        try:
            own = read_aces(self.client, self.connector, user=self.principal.name)
        except ExchangeError as err:
            if not err.not_found:
                raise
            self.module.fail_json(msg="user: Exchange finds no user or group %r; use DOMAIN\\name, a "
                                      "user principal name, a well-known name or a SID, nothing was changed: %s"
                                      % (self.principal.name, err.message), **err.to_result())
        sids = sorted(set(ace.sid for ace in own if ace.sid))
        if len(sids) > 1:
            self.module.fail_json(msg="user: %r names more than one principal on %s (%s); use DOMAIN\\name or a "
                                      "SID, nothing was changed" % (self.principal.name, self.label, ", ".join(sids)))
        if sids:
            return Principal(own[0].user, sids[0])
        if own:
            return Principal(own[0].user)
        # Exchange knows the principal and it holds no ACE here: nothing of it can match below.
        return self.principal

    def _read_connector(self):
        """The connector object: its DN addresses every ACE read and write."""
        connector = get_connector(self.client, self.server, self.name)
        if connector is None:
            self._fail_no_connector()
        return connector

    def _fail_no_connector(self, **result):
        self.module.fail_json(msg="receive connector %s does not exist" % self.label, **result)

    def _guard_relay(self, aces, to_add):
        params = self.module.params
        if params["allow_broad_relay"] or not relay_principal_needs_guard(self.principal.sid):
            return
        # Submit lets anyone in (whatever the permission groups say) where anyone already holds the relay right.
        if RELAY_RIGHT not in to_add and not (SUBMIT_RIGHT in to_add and anyone_may_relay(aces)):
            return
        # The principal's SID is the one Exchange resolved (_resolve_principal); the ranges those just read.
        ranges = self._ranges()
        problem = broad_relay_problem(self.label, ranges, params["relay_max_addresses"])
        if problem:
            self.module.fail_json(msg=problem, remote_ip_ranges=ranges)

    def _ranges(self):
        """The connector's remote IP ranges, as read."""
        return psobject.object_to_values(self.connector, {"ranges": ("RemoteIPRanges", IP_RANGES)}).get("ranges")

    def _apply(self, aces, to_add, to_remove):
        # Use the server's own (localised) spelling of the principal when it already has ACEs;
        # otherwise the SID, which needs no translation, or the name as given.
        user = server_name_of(aces, self.principal) or self.principal.sid or self.principal.name
        identity = distinguished_name_of(self.connector)
        if to_add:
            self.client.invoke("Add-ADPermission", {"Identity": identity, "User": user, "ExtendedRights": to_add})
        if to_remove:
            self.client.invoke("Remove-ADPermission", {"Identity": identity, "User": user,
                                                       "ExtendedRights": to_remove, "Confirm": False})


def _canonical_rights(value, option):
    return canonical_rights(value.split(",") if isinstance(value, str) else value, option)


class RightsEdit(NamedTuple):
    """The rights to grant, to take away, and whether every other explicit right goes (exclusive)."""

    add: list
    remove: list
    exclusive: bool


def _rights_edit(params):
    """extended_rights as a RightsEdit: a list with state/exclusive, or an add/remove/set dict."""
    value = params["extended_rights"]
    if isinstance(value, dict):
        # A dict with state=absent would still grant its add list: the contradiction is refused, not guessed.
        if params["state"] == "absent" or params["exclusive"]:
            raise InvalidValue("extended_rights", value, "a list with state absent or exclusive true, or the dict "
                               "with state present and exclusive false", noun="usable here",
                               reason="a dict says itself what to add, remove or set")
        edit = list_edit.parse_edit_shape("extended_rights", value, _canonical_rights)
        if edit.whole is not None:
            return RightsEdit(edit.whole, [], True)
        return RightsEdit(edit.add, edit.remove, False)
    if not isinstance(value, (list, str)):
        raise InvalidValue("extended_rights", value, list_edit.ACCEPTED, list_edit.NOUN)
    rights = _canonical_rights(value, "extended_rights")
    if not rights:
        raise InvalidValue("extended_rights", value, "at least one right", noun="a non-empty list")
    if params["state"] == "absent":
        return RightsEdit([], rights, False)
    return RightsEdit(rights, [], params["exclusive"])


def _inputs(params):
    """(server, rights): the options checked before anything is read."""
    check_name(params["connector"], "connector")
    server = SERVER.from_input(params["server"], "server")
    rights = _rights_edit(params)
    if not params["user"] or not params["user"].strip():
        raise InvalidValue("user", params["user"], "DOMAIN\\name, a well-known name or a SID", noun="a principal")
    return server, rights


def main():
    module = OnPremModule(dict(
        connector=dict(type="str", required=True),
        server=dict(type="str", required=True),
        user=dict(type="str", required=True),
        extended_rights=dict(type="raw", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        exclusive=dict(type="bool", default=False),
        relay_max_addresses=dict(type="int", default=DEFAULT_MAX_ADDRESSES),
        allow_broad_relay=dict(type="bool", default=False),
    ), writes=True, name="ad_permission")
    params = module.params
    server, rights = module.checked(_inputs, params)
    try:
        principal = Principal.from_input(params["user"])
    except ValueError as err:  # a SID-shaped user that is no SID
        module.fail_json(msg="user: %s" % err)
    module.exit(module.run(lambda client: run_rereading(
        PermissionTask(module, client, server, params["connector"], principal, rights).run, module.warn)))


if __name__ == "__main__":
    main()
