#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: receive_connector
short_description: Manage a receive connector of an on-premises Exchange server
version_added: 0.1.0
description:
  - Creates, changes or removes a receive connector through Exchange remote PowerShell
    (C(New-ReceiveConnector), C(Set-ReceiveConnector), C(Remove-ReceiveConnector)).
  - Values are compared in canonical form, the way Exchange stores them, so a rerun reports no change
    even when Exchange prints a value differently from how it was written (C(25MB) and
    C(25 MB (26,214,400 bytes)), C(10.1.3.0-10.1.3.255) and C(10.1.3.0/24)).
  - Options left unset are left as they are on the server. Multi-valued options (O(bindings),
    O(remote_ip_ranges), O(permission_groups), O(auth_mechanism)) take a list, which replaces the whole
    value, or a dict that edits it, with C(add) and/or C(remove) (lists), or C(set) alone (the whole
    value, as a list does). C(add) and C(remove) compare values by meaning; check mode and diff show the
    list as it will be.
  - O(bindings) and O(remote_ip_ranges) edits are sent to Exchange as C(@{Add=...; Remove=...}), so two
    runs adding different devices at the same time both land. O(permission_groups) and
    O(auth_mechanism) are one value for Exchange (a set of flags), so their edits are read, changed and
    written whole; runs editing them at the same time may overwrite each other.
  - Invalid values are refused before anything is sent to the server.
  - The output of M(mailflow.exchange.receive_connector_info), fed back as options, reports no change.
author:
  - mailflow.exchange contributors (@mailflow)
extends_documentation_fragment:
  - mailflow.exchange.onprem
  - mailflow.exchange.onprem.modules
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
      - Connector name, unique on its server, at most 64 characters.
      - Matched case-insensitively, as Exchange compares names; an existing connector keeps its spelling.
      - The module acts only on the connector with exactly this name. Names Exchange could read as another
        identity or a pattern are refused before anything is read or written - wildcard characters (V(*),
        V(?), V([), V(])), leading or trailing whitespace, a GUID, a value starting with V(CN=) - as are a
        backslash and control characters.
    type: str
    required: true
  server:
    description:
      - Exchange server that owns the connector (its short name, or FQDN whose first label is used).
    type: str
    required: true
  usage:
    description:
      - Usage type of a new connector. Exchange uses it only at creation, to choose the default
        O(permission_groups) and O(auth_mechanism); it is not stored, so it is ignored for an existing connector.
      - V(Custom), V(Internet) and V(Partner) need O(bindings); V(Custom), V(Partner), V(Internal) and
        V(Client) need O(remote_ip_ranges).
      - O(bindings) with V(Client) or V(Internal), and O(remote_ip_ranges) with V(Internet), are sent with
        C(New-ReceiveConnector), as its syntax lists them; if Exchange refuses them there, nothing is created.
    type: str
    choices: [Custom, Internet, Internal, Client, Partner]
    default: Custom
  transport_role:
    description:
      - Transport service the connector belongs to, V(FrontendTransport) (Front End Transport, where
        device relays live) or V(HubTransport). Exchange default on creation is V(HubTransport).
    type: str
  bindings:
    description:
      - Local IP address and port pairs the connector listens on, as C(address:port); IPv6 as
        C([address]:port).
      - A list replaces the whole value; a dict with C(add) and/or C(remove) (or C(set)) edits it.
    type: raw
  remote_ip_ranges:
    description:
      - Source addresses the connector accepts, as single addresses, C(first-last) ranges or CIDR
        blocks, IPv4 or IPv6. Compared by meaning, so C(10.1.3.0-10.1.3.255) equals C(10.1.3.0/24).
      - A list replaces the whole value. A dict edits it, C(add) with C([10.1.2.5]) onboards one device and
        C(remove) with C([10.1.2.4]) retires one; C(set) alone is the whole value, as a list.
      - C(add) of an address already inside a listed range changes nothing. C(remove) of a range takes away
        every entry inside it; removing part of a wider entry (one printer of a listed C(/24)) is refused
        rather than split, remove the wider entry and add what should stay instead.
      - The open-relay guard (O(relay_max_addresses)) judges the list as it will be after the edit.
    type: raw
  permission_groups:
    description:
      - Who may use the connector, any of V(None), V(AnonymousUsers), V(ExchangeUsers),
        V(ExchangeServers), V(ExchangeLegacyServers), V(Partners), V(Custom). A list, or a comma-
        separated string.
      - Or a dict with C(add) and/or C(remove) (or C(set)); read, changed and written whole (see above).
    type: raw
  auth_mechanism:
    description:
      - Authentication offered, any of V(None), V(Tls), V(Integrated), V(BasicAuth),
        V(BasicAuthRequireTLS), V(ExchangeServer), V(ExternalAuthoritative). V(BasicAuthRequireTLS)
        needs V(BasicAuth) and V(Tls).
      - Or a dict with C(add) and/or C(remove) (or C(set)); read, changed and written whole (see above).
    type: raw
  require_tls:
    description:
      - Require TLS for inbound messages.
    type: bool
  domain_secure_enabled:
    description:
      - Mutual TLS (Domain Security) for the domains of the Send/Receive connectors.
    type: bool
  enable_auth_gssapi:
    description:
      - Offer Kerberos through GSSAPI when Integrated authentication is on.
    type: bool
  extended_protection_policy:
    description:
      - Extended Protection for Authentication, V(None), V(Allow) or V(Require).
    type: str
  fqdn:
    description:
      - Name the connector announces in its banner and EHLO answer; must match the certificate name for
        TLS.
    type: str
  tls_certificate_name:
    description:
      - Certificate used for STARTTLS, as C(<I>issuer<S>subject) (what C(Get-ExchangeCertificate) shows
        as Issuer and Subject).
      - Mutually exclusive with O(tls_certificate_thumbprint).
    type: str
  tls_certificate_thumbprint:
    description:
      - Certificate used for STARTTLS, by its thumbprint on O(server) (all 40 hex digits; spaces, colons
        and case do not matter). The module looks the certificate up and sets O(tls_certificate_name) to
        its C(<I>issuer<S>subject), also in check mode, before anything is changed.
      - Refused when the server has no such certificate, when it is expired or not yet valid, or when the
        server lacks its private key. A certificate not enabled for SMTP, or sharing its issuer and subject
        with another certificate of the server, gives a warning.
      - Only used with O(state=present). The returned O(tls_certificate_name) is what Exchange keeps.
      - Mutually exclusive with O(tls_certificate_name).
    type: str
  relay_max_addresses:
    description:
      - The open-relay guard. Most addresses the remote IP ranges may hold together (overlaps counted once, so
        256 separate /24 ranges hold as many as one /16) on a connector where anyone may relay to any domain.
        That is a connector with O(auth_mechanism) C(ExternalAuthoritative), or an
        existing one that lets anonymous senders in (O(permission_groups) C(AnonymousUsers), or
        C(ms-Exch-SMTP-Submit) granted to them whatever the groups) where C(NT AUTHORITY\ANONYMOUS LOGON) (or
        C(Everyone), or a principal the guard cannot identify by SID or well-known name) holds
        C(ms-Exch-SMTP-Accept-Any-Recipient) (see M(mailflow.exchange.ad_permission)).
      - Checked only when the task creates the connector, changes O(remote_ip_ranges), O(permission_groups)
        or O(auth_mechanism), or enables a disabled connector, before anything is written. The full default range
        C(0.0.0.0-255.255.255.255), C(0.0.0.0/0) and C(::/0) are always wider.
    type: int
    default: 256
  allow_broad_relay:
    description:
      - Allow such a relay connector on wider ranges anyway. This makes an open relay for everyone in them.
    type: bool
    default: false
  enabled:
    description:
      - Whether the connector accepts connections.
    type: bool
  banner:
    description:
      - SMTP banner text; it must start with C(220) (and a space before any text), which is checked before
        anything is written. An empty string restores Exchange's default banner.
    type: str
  comment:
    description:
      - Free text comment; empty string clears it.
    type: str
  default_domain:
    description:
      - Accepted domain used as the default for the connector.
    type: str
  max_message_size:
    description:
      - Largest message accepted, in bytes, or with a unit (C(25MB), C(512KB)), from 65536 to 2147483647 bytes.
        Exchange prints it as C(25 MB (26,214,400 bytes)); the value returned is bytes.
      - There is no C(Unlimited) for a receive connector (its type is a size, not an unlimited size).
    type: raw
  max_header_size:
    description:
      - Largest message header accepted, in bytes or with a unit, from 1 to 2147483647 bytes.
      - Exchange may round a value under 1 KB up to 1 KB (1024 bytes); a rerun with the same value then
        reports no change.
    type: raw
  max_recipients_per_message:
    description:
      - Most recipients per message (1 to 512000).
    type: int
  message_rate_limit:
    description:
      - Messages per minute a source may send, or C(Unlimited).
    type: raw
  message_rate_source:
    description:
      - What the rate limit counts by, V(None), V(IPAddress), V(User) or V(All).
    type: str
  max_inbound_connection:
    description:
      - Most simultaneous inbound connections, or C(Unlimited).
    type: raw
  max_inbound_connection_per_source:
    description:
      - Most simultaneous connections from one source, or C(Unlimited).
    type: raw
  max_inbound_connection_percentage_per_source:
    description:
      - Most simultaneous connections from one source, as a percentage of the available ones.
    type: int
  max_hop_count:
    description:
      - Most Received headers a message may carry before it is refused as looping.
    type: int
  max_local_hop_count:
    description:
      - Most local Received headers a message may carry.
    type: int
  max_logon_failures:
    description:
      - Failed logons before the connection is dropped.
    type: int
  max_protocol_errors:
    description:
      - SMTP protocol errors before the connection is dropped, or C(Unlimited).
    type: raw
  connection_timeout:
    description:
      - Longest time a connection may stay open, as C(hh:mm:ss), C(d.hh:mm:ss) or seconds.
    type: raw
  connection_inactivity_timeout:
    description:
      - Longest idle time of a connection, as C(hh:mm:ss) or seconds.
    type: raw
  tarpit_interval:
    description:
      - Delay added to SMTP answers to suspicious senders, as C(hh:mm:ss) or seconds.
    type: raw
  auth_tarpit_interval:
    description:
      - Delay added after failed authentication, as C(hh:mm:ss) or seconds.
    type: raw
  require_ehlo_domain:
    description:
      - Require a domain name in EHLO.
    type: bool
  protocol_logging_level:
    description:
      - Protocol logging, V(None) or V(Verbose).
    type: str
  size_enabled:
    description:
      - How the SIZE extension is advertised, V(Enabled), V(Disabled) or V(EnabledWithoutValue).
    type: str
  chunking_enabled:
    description:
      - Exchange's C(ChunkingEnabled) setting (chunking).
    type: bool
  pipelining_enabled:
    description:
      - Exchange's C(PipeliningEnabled) setting (pipelining).
    type: bool
  binary_mime_enabled:
    description:
      - Exchange's C(BinaryMimeEnabled) setting (binary mime).
    type: bool
  eight_bit_mime_enabled:
    description:
      - Exchange's C(EightBitMimeEnabled) setting (eight bit mime).
    type: bool
  enhanced_status_codes_enabled:
    description:
      - Exchange's C(EnhancedStatusCodesEnabled) setting (enhanced status codes).
    type: bool
  delivery_status_notification_enabled:
    description:
      - Exchange's C(DeliveryStatusNotificationEnabled) setting (delivery status notification).
    type: bool
  smtp_utf8_enabled:
    description:
      - Exchange's C(SmtpUtf8Enabled) setting (smtp utf8).
      - Set with C(Set-ReceiveConnector) after creation (C(New-ReceiveConnector) does not take it).
    type: bool
  long_addresses_enabled:
    description:
      - Exchange's C(LongAddressesEnabled) setting (long addresses).
    type: bool
  orar_enabled:
    description:
      - Exchange's C(OrarEnabled) setting (orar).
    type: bool
  suppress_x_anonymous_tls:
    description:
      - Exchange's C(SuppressXAnonymousTls) setting (suppress x anonymous tls).
    type: bool
  advertise_client_settings:
    description:
      - Exchange's C(AdvertiseClientSettings) setting (advertise client settings).
    type: bool
  bare_linefeed_rejection_enabled:
    description:
      - Exchange's C(BareLinefeedRejectionEnabled) setting (bare linefeed rejection).
      - Set with C(Set-ReceiveConnector) after creation (C(New-ReceiveConnector) does not take it).
    type: bool
  reject_reserved_top_level_recipient_domains:
    description:
      - Exchange's C(RejectReservedTopLevelRecipientDomains) setting (reject reserved top level
        recipient domains).
    type: bool
  reject_reserved_second_level_recipient_domains:
    description:
      - Exchange's C(RejectReservedSecondLevelRecipientDomains) setting (reject reserved second level
        recipient domains).
    type: bool
  reject_single_label_recipient_domains:
    description:
      - Exchange's C(RejectSingleLabelRecipientDomains) setting (reject single label recipient domains).
    type: bool
"""

EXAMPLES = r"""
- name: Anonymous relay for two printers (listed devices), on the Front End Transport service
  mailflow.exchange.receive_connector:
    host: mail1.contoso.com
    name: ANONYMOUS RELAY MAIL1
    server: MAIL1
    usage: Custom
    transport_role: FrontendTransport
    bindings: ["0.0.0.0:25"]
    remote_ip_ranges: [10.1.2.3, 10.1.2.4]
    permission_groups: [AnonymousUsers]

- name: Authenticated relay on port 587 with the public certificate
  mailflow.exchange.receive_connector:
    name: Client Frontend MAIL1
    server: MAIL1
    fqdn: mail.contoso.com
    tls_certificate_name: "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com"

- name: The same, naming the certificate by its thumbprint (see mailflow.exchange.exchange_certificate_info)
  mailflow.exchange.receive_connector:
    name: Client Frontend MAIL1
    server: MAIL1
    tls_certificate_thumbprint: 5113AE0233A72FCCB75B1D0198628675333D010E

- name: Onboard one printer without restating the others
  mailflow.exchange.receive_connector:
    name: ANONYMOUS RELAY MAIL1
    server: MAIL1
    remote_ip_ranges:
      add: [10.1.2.5]

- name: Retire one printer and add its replacement in one change
  mailflow.exchange.receive_connector:
    name: ANONYMOUS RELAY MAIL1
    server: MAIL1
    remote_ip_ranges:
      remove: [10.1.2.4]
      add: [10.1.2.6]

- name: Widen a relay to a whole /22 of printers (refused beyond 256 addresses unless raised or overridden)
  mailflow.exchange.receive_connector:
    name: ANONYMOUS RELAY MAIL1
    server: MAIL1
    remote_ip_ranges: [10.1.0.0/22]
    relay_max_addresses: 1024  # or allow_broad_relay: true, knowingly

- name: Remove a connector
  mailflow.exchange.receive_connector:
    name: Old relay
    server: MAIL1
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
    - "Set-ReceiveConnector -Identity '7b3c6e2a-5f0d-4c1e-9a8b-2d4f6e8a0c1b' -RemoteIPRanges @{Add='10.1.2.5'}"
backup_path:
  description: The backup file written before the first write (O(backup=true)), as an absolute path.
  returned: when O(backup=true) and the task wrote, also when a write failed after the file was saved
  type: str
  sample: /home/ops/plays/backup/receive_connector_MAIL1_ANONYMOUS_RELAY_MAIL1.2026-12-03@21-05-09.yml
connector:
  description:
    - The connector as Exchange holds it after the task (in check mode, as it would be), in canonical form.
    - The keys are this module's options, so the value can be fed back to the module as is.
    - Empty after removal.
  returned: always
  type: dict
  sample:
    name: ANONYMOUS RELAY MAIL1
    server: MAIL1
    transport_role: FrontendTransport
    bindings: ["0.0.0.0:25"]
    remote_ip_ranges: [10.1.2.3, 10.1.2.4]
    permission_groups: [AnonymousUsers]
    auth_mechanism: [Tls]
    max_message_size: 37748736
    enabled: true
cmdlet:
  description: The cmdlet that failed, when Exchange refused a change.
  returned: failure
  type: str
  sample: New-ReceiveConnector
error_id:
  description: Exchange's FullyQualifiedErrorId of the failure.
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
from ansible_collections.mailflow.exchange.plugins.module_utils._common.outcome import run_rereading
from ansible_collections.mailflow.exchange.plugins.module_utils._common.table_task import TableObjectTask
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.module import OnPremModule
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    ROWS,
    as_exchange_stores,
    check_name,
    combination_problems,
    connector_values,
    get_connector,
    guid_of,
    identity_of,
    is_connector,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.backup import connector_backup
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.relay_guard import (
    DEFAULT_MAX_ADDRESSES,
    broad_ranges,
    broad_relay_problem,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.canonical import InvalidValue

# Which usage types need which multi-valued parameters at creation (New-ReceiveConnector.md, -Usage).
# The page contradicts itself on what a usage type forbids: the -Bindings and -RemoteIPRanges descriptions say
# "You can't use this parameter" with Client/Internal (Bindings) and Internet (RemoteIPRanges), while the syntax
# blocks of those parameter sets list them as optional. Following the syntax blocks, they go with New-; the page
# never says to apply them with a Set- after New-. Under the other reading New- fails and nothing is written
# (the lab plays it as variant usage-forbids-parameters).
_USAGE_NEEDS = {
    "bindings": ("Custom", "Internet", "Partner"),
    "remote_ip_ranges": ("Custom", "Partner", "Internal", "Client"),
}


def _argument_spec():
    table_spec = engine.argument_spec(ROWS)
    table_spec.update(
        name=dict(type="str", required=True),
        server=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        usage=dict(type="str", default="Custom", choices=["Custom", "Internet", "Internal", "Client", "Partner"]),
        tls_certificate_thumbprint=dict(type="str"),
        relay_max_addresses=dict(type="int", default=DEFAULT_MAX_ADDRESSES),
        allow_broad_relay=dict(type="bool", default=False),
    )
    return table_spec


def _check_creatable(params, desired):
    for option, usages in _USAGE_NEEDS.items():
        if params["usage"] in usages and not desired.get(option):
            raise InvalidValue(option, params.get(option), "a non-empty list",
                               noun="enough to create the connector",
                               reason="New-ReceiveConnector needs %s for usage %s" % (option, params["usage"]))


class ReceiveConnectorTask(TableObjectTask):
    """The connector brought to the options: its rules, the open-relay guard, and its creation."""

    rows = ROWS
    set_cmdlet = "Set-ReceiveConnector"
    remove_cmdlet = "Remove-ReceiveConnector"

    def __init__(self, module, client, desired, edits):
        super().__init__(module, client, desired, edits)
        self.label = identity_of(desired["server"], desired["name"])

    def read(self):
        return get_connector(self.client, self.desired["server"], self.desired["name"])

    def values(self, obj):
        return connector_values(obj)

    def write_identity(self, obj):
        return guid_of(obj)

    def keep_backup(self, current):
        self.module.backup.keep(*connector_backup(self.desired["server"], self.desired["name"], current))

    def as_stored(self, desired, current):
        return as_exchange_stores(desired, current)

    def prepare(self, current):
        if current is not None:
            # Exchange compares names case-insensitively: the connector keeps its own spelling.
            self.desired["name"] = current["name"]
        after = engine.merged(current or {}, self.desired)
        self._check_combination(after)
        self._guard_open_relay(current, after)
        if current is None:
            self._check_server()

    def _check_combination(self, after):
        problems = combination_problems(after)
        if problems:
            self.module.fail_json(msg="the connector would break Exchange's rules, nothing was changed: %s"
                                      % "; ".join(problems))

    def _guard_open_relay(self, current, after):
        """Refuse to create an anonymous relay on broad ranges, or to widen (or open) an existing one.

        Anyone in the remote ranges may relay to any domain when the connector is Externally Secured
        (ExternalAuthoritative: every permission, relay included, goes to the sender) or when it lets
        anonymous users in and Anonymous Logon or Everyone holds ms-Exch-SMTP-Accept-Any-Recipient
        (Microsoft, "Allow anonymous relay on Exchange servers"; "Receive connector authentication
        mechanisms"). Only a change of the ranges, the permission groups or the auth mechanisms, or enabling
        a disabled connector, is checked: an unrelated edit of an existing connector is not blocked.
        """
        params = self.module.params
        watched = ("remote_ip_ranges", "permission_groups", "auth_mechanism")
        changed = any(option in self.desired and (current is None or after.get(option) != current.get(option))
                      for option in watched)
        # A disabled relay takes no mail: enabling it opens it as much as widening it would.
        enabling = current is not None and current.get("enabled") is False and after.get("enabled") is not False
        if params["allow_broad_relay"] or not (changed or enabling):
            return
        if not broad_ranges(after.get("remote_ip_ranges"), params["relay_max_addresses"]):
            return
        if "ExternalAuthoritative" in (after.get("auth_mechanism") or ()):
            why = "auth_mechanism ExternalAuthoritative (Externally Secured) lets every sender relay"
        else:
            why = current is not None and self._anonymous_relay_reason(current, after)
        if not why:
            return
        problem = broad_relay_problem(self.label, after["remote_ip_ranges"], params["relay_max_addresses"])
        self.module.fail_json(msg="%s; %s. Nothing was changed" % (problem, why),
                              remote_ip_ranges=after["remote_ip_ranges"])

    def _anonymous_relay_reason(self, current, after):
        """Why anonymous senders could relay through the existing connector with ``after``, or None.

        They get in through permission_groups AnonymousUsers, or through an entry granting Anonymous Logon
        (or Everyone) ms-Exch-SMTP-Submit whatever the groups say: Exchange checks the entries, and a
        permission group only writes them ("Receive connector permissions").
        """
        # Imported here: only a change that may open a relay reads the permissions, and a module compiles every
        # file it imports on each task (AnsiballZ runs it from a zip, without cached bytecode).
        from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import (
            anyone_may_relay,
            anyone_may_submit,
            read_aces,
        )
        from ansible_collections.mailflow.exchange.plugins.module_utils._values.principals import ANONYMOUS_LOGON_SID

        aces = read_aces(self.client, self.object)
        if not anyone_may_relay(aces):
            return None
        if "AnonymousUsers" in (after.get("permission_groups") or ()):
            return ("permission_groups AnonymousUsers lets anyone in and Anonymous Logon holds "
                    "ms-Exch-SMTP-Accept-Any-Recipient on the connector")
        # GUESS: taking AnonymousUsers away removes the entries it wrote, Anonymous Logon's Submit among them
        # (the lab plays it so); Everyone's or an unknown principal's Submit stays.
        leaving = (ANONYMOUS_LOGON_SID,) if "AnonymousUsers" in (current.get("permission_groups") or ()) else ()
        if anyone_may_submit(aces, except_sids=leaving):
            return ("Anonymous Logon or Everyone holds ms-Exch-SMTP-Submit (anyone gets in, whatever the "
                    "permission groups) and ms-Exch-SMTP-Accept-Any-Recipient on the connector")
        return None

    def _check_server(self):
        """Refuse an unknown server with a read, before New-ReceiveConnector (also in check mode).

        Get-ReceiveConnector -Identity SERVER\\Name says only "not found" for a missing server too. The server is
        read by itself (exchange_server.py: Get-ExchangeServer.md), never through all of its connectors.
        """
        from ansible_collections.mailflow.exchange.plugins.module_utils._server.exchange_server import find_server

        server = self.desired["server"]
        if find_server(self.client, server) is None:
            self.module.fail_json(msg="server: Exchange knows no server %r; use the name of a Mailbox or Edge "
                                      "Transport server of the organisation (Get-ExchangeServer), nothing was "
                                      "changed" % server)

    def create(self):
        _check_creatable(self.module.params, self.desired)
        self._warn_if_closed_to_everyone()
        options = [option for option in self.desired if option != "server"]
        new_parameters, left_over = engine.parameters(self.desired, ROWS, options, on_new=True)
        new_parameters.update(Server=self.desired["server"], Usage=self.module.params["usage"])
        created = [obj for obj in self.client.invoke("New-ReceiveConnector", new_parameters)
                   if is_connector(obj, self.desired["server"], self.desired["name"])]
        if left_over:
            set_parameters = engine.parameters(self.desired, ROWS, left_over, on_new=False)[0]
            set_parameters["Identity"] = self._new_identity(created)
            self.client.invoke("Set-ReceiveConnector", set_parameters)
            created = None
        return self.created(created)

    def _new_identity(self, created):
        """How a write addresses the connector just created: its GUID; in check mode, which creates nothing,
        SERVER\\Name (the commands say so)."""
        if self.module.check_mode:
            return self.label
        self.object = created[0] if created else self._read_created()
        return guid_of(self.object)

    def _warn_if_closed_to_everyone(self):
        """A Custom connector without permission groups accepts mail from nobody until permissions are granted."""
        groups = [group for group in self.desired.get("permission_groups") or () if group != "None"]
        if self.module.params["usage"] == "Custom" and not groups:
            # New-ReceiveConnector.md, -PermissionGroups: the defaults "depend on the connector usage type";
            # the Custom usage type assigns none ("Receive connectors" article, usage types table).
            self.module.warn("usage Custom without permission_groups creates %s with no permission group: it "
                             "accepts mail from nobody until permission_groups is set (for example [AnonymousUsers] "
                             "for devices) or rights are granted with mailflow.exchange.ad_permission" % self.label)

    def _read_created(self):
        connector = get_connector(self.client, self.desired["server"], self.desired["name"])
        if connector is None:
            self.module.fail_json(msg="New-ReceiveConnector reported no error, but %s cannot be read back" % self.label)
        return connector


def _certificate_api():
    """Loaded for tls_certificate_thumbprint only: a task without it need not load certificate reading."""
    from ansible_collections.mailflow.exchange.plugins.module_utils._server import certificate as certificate_api

    return certificate_api


def _inputs(params):
    """(list edits, desired values, thumbprint): the options checked before anything is read."""
    check_name(params["name"])
    edits, plain = list_edit.parse_options(params, ROWS, arguments_as_written())
    desired = engine.desired_values(plain, ROWS)
    thumbprint = params["tls_certificate_thumbprint"]
    if thumbprint:
        thumbprint = _certificate_api().normalise_thumbprint(thumbprint, "tls_certificate_thumbprint")
    return edits, desired, thumbprint


def main():
    module = OnPremModule(_argument_spec(), writes=True, name="receive_connector",
                          mutually_exclusive=[("tls_certificate_name", "tls_certificate_thumbprint")])
    params = module.params
    edits, desired, thumbprint = module.checked(_inputs, params)

    def task(client):
        if thumbprint and params["state"] == "present":
            # A read, so also in check mode; refusals come before anything is written.
            desired["tls_certificate_name"] = _certificate_api().resolve_tls_certificate_name(
                client, desired["server"], thumbprint, warn=module.warn)
        return run_rereading(ReceiveConnectorTask(module, client, desired, edits).run, module.warn)

    module.exit(module.run(task))


if __name__ == "__main__":
    main()
