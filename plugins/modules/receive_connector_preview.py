#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: receive_connector_preview
short_description: Which receive connector takes a connection, and why
version_added: 0.1.0
description:
  - Reads the receive connectors of a server (C(Get-ReceiveConnector)) and tells which one takes an SMTP
    connection from O(source) to the local O(binding), listing every connector with the reason it won or lost.
  - "The rule - a connector takes the connection only if it is enabled, listens on the port (on the address
    the client reached, or on all addresses) and has the source in its remote IP ranges. Among those, the most
    specific remote range wins (Set-ReceiveConnector.md, RemoteIPRanges: when ranges overlap, the connector with
    the most specific match is used): a single address beats a smaller range beats a larger one. At equal
    ranges, a connector bound to the specific local address beats one bound to all addresses."
  - With O(planned), previews a change instead, telling which sources the planned connector would take over from other
    connectors (checked at the first and last address of each of its remote ranges, on each of its bindings).
    A source taken from a connector's all-addresses default range (C(0.0.0.0/0), C(::/0), as on
    C(Default Frontend)) is what a relay connector is for; a source taken from a narrower range of another
    connector means that connector loses traffic it was set up for, and the module warns.
  - Only reads; check mode changes nothing either.
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
  server:
    description:
      - Exchange server whose connectors compete.
    type: str
    required: true
  source:
    description:
      - IP address of the connecting device or server. Required unless O(planned) is given.
    type: str
  binding:
    description:
      - Local address and port the client connects to, as C(address:port) (C([address]:port) for IPv6).
        C(0.0.0.0:25) stands for an address of the server that no connector names specifically.
    type: str
    default: "0.0.0.0:25"
  planned:
    description:
      - A connector as it will be after a change (the options of M(mailflow.exchange.receive_connector));
        O(planned.name), O(planned.bindings) and O(planned.remote_ip_ranges) are needed.
    type: dict
    suboptions:
      name:
        description: Connector name.
        type: str
        required: true
      bindings:
        description: Its bindings after the change.
        type: list
        elements: str
        required: true
      remote_ip_ranges:
        description: Its remote IP ranges after the change.
        type: list
        elements: str
        required: true
      enabled:
        description: Whether it will be enabled.
        type: bool
        default: true
  warn:
    description:
      - With O(planned), warn when the change takes sources away from a connector other than by its
        all-addresses default range.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Which connector takes the printer 10.1.2.3 on port 25 of MAIL1?
  mailflow.exchange.receive_connector_preview:
    server: MAIL1
    source: 10.1.2.3
    binding: 0.0.0.0:25
  register: preview

- name: Show the answer
  ansible.builtin.debug:
    msg: "{{ preview.connector }}: {{ preview.reason }}"

- name: Before creating a relay connector, see whose traffic it takes
  mailflow.exchange.receive_connector_preview:
    server: MAIL1
    planned:
      name: ANONYMOUS RELAY MAIL1
      bindings: ["0.0.0.0:25"]
      remote_ip_ranges: [10.1.2.3, 10.1.2.0/28]
  register: plan
"""

RETURN = r"""
connector:
  description: Name of the connector that takes the connection; null when none does (Exchange drops it).
  returned: when O(source) is given
  type: str
  sample: ANONYMOUS RELAY MAIL1
reason:
  description: Why it wins, or why no connector takes the connection.
  returned: when O(source) is given
  type: str
  sample: "most specific match: 10.1.2.3 is in 10.1.2.3 (1 address), bound to 0.0.0.0:25"
candidates:
  description: Every connector of the server, the winner first, then the others with the reason each lost.
  returned: when O(source) is given
  type: list
  elements: dict
  contains:
    name:
      description: Connector name.
      type: str
    identity:
      description: C(SERVER\\Name).
      type: str
    selected:
      description: Whether it takes the connection.
      type: bool
    binding:
      description: Its binding that serves the connection (null when it does not listen there).
      type: str
    remote_ip_range:
      description: Its smallest remote range that contains the source (null when none does).
      type: str
    range_addresses:
      description: Number of addresses in that range.
      type: int
    reason:
      description: Why it won or lost.
      type: str
    tie:
      description: Present (true) when it matches exactly as well as the winner, which Exchange does not allow.
      type: bool
moves:
  description: With O(planned), the sources the planned connector would take over from another connector.
  returned: when O(planned) is given
  type: list
  elements: dict
  contains:
    source:
      description: The source address (first or last of a planned range).
      type: str
    binding:
      description: The planned binding.
      type: str
    from_connector:
      description: The connector that takes the source now.
      type: str
    from_range:
      description: Its remote range that matches the source now.
      type: str
    to_connector:
      description: The planned connector.
      type: str
    from_default_range:
      description: Whether the source is taken from an all-addresses default range (expected for a relay).
      type: bool
    ambiguous:
      description:
        - Whether the planned connector would match the source exactly as well as the current one (the same range
          size and binding). Exchange wants each binding and remote range pair unique on a server.
      type: bool
steals:
  description:
    - The moves that take traffic from a connector's own (narrower than all-addresses) range, and the ambiguous ones.
  returned: when O(planned) is given
  type: list
  elements: dict
"""

import ipaddress

from ansible_collections.mailflow.exchange.plugins.module_utils._values.canonical import BINDINGS, SERVER, InvalidValue
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.selection import (
    canonical_planned,
    parse_binding,
    planned_moves,
    select,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.module import OnPremModule
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    connector_values,
    list_connectors,
)


def _source(text):
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        raise InvalidValue("source", text, "an IPv4 or IPv6 address (10.1.2.3)", noun="an IP address") from None


def _binding(text):
    canonical = BINDINGS.from_input([text], "binding")[0]
    return parse_binding(canonical)


def _preview(connectors, server, source, binding):
    local, port = binding
    winner, candidates = select(connectors, server, source, local, port)
    candidates.sort(key=lambda entry: not entry["selected"])
    if winner is None:
        reason = ("no enabled connector of %s listens on port %d for %s: the connection is refused"
                  % (server, port, source))
        return dict(connector=None, reason=reason, candidates=candidates)
    return dict(connector=winner["name"], reason=winner["reason"], candidates=candidates)


def _plan(module, connectors, server):
    try:
        planned = canonical_planned(dict(module.params["planned"], server=server))
    except InvalidValue as err:
        module.fail_json(msg=str(err))
    moves = planned_moves(connectors, planned)
    steals = [move for move in moves if not move["from_default_range"] or move["ambiguous"]]
    if steals and module.params["warn"]:
        for move in steals:
            module.warn("%s on %s %s from %s (its range %s) to %s"
                        % (move["source"], move["binding"],
                           "would match equally well (Exchange refuses such overlaps), moving it by name order"
                           if move["ambiguous"] else "would move", move["from_connector"], move["from_range"],
                           move["to_connector"]))
    return dict(moves=moves, steals=steals)


def _inputs(params):
    """(server, source, binding), canonical. Raises InvalidValue."""
    server = SERVER.from_input(params["server"], "server")
    source = _source(params["source"]) if params["source"] else None
    return server, source, _binding(params["binding"])


def main():
    module = OnPremModule(dict(
        server=dict(type="str", required=True),
        source=dict(type="str"),
        binding=dict(type="str", default="0.0.0.0:25"),
        planned=dict(type="dict", options=dict(
            name=dict(type="str", required=True),
            bindings=dict(type="list", elements="str", required=True),
            remote_ip_ranges=dict(type="list", elements="str", required=True),
            enabled=dict(type="bool", default=True),
        )),
        warn=dict(type="bool", default=True),
    ), required_one_of=[("source", "planned")])
    params = module.params
    server, source, binding = module.checked(_inputs, params)
    connectors = module.run(lambda client: [connector_values(c) for c in list_connectors(client, server)])
    result = dict(changed=False)
    if source is not None:
        result.update(_preview(connectors, server, source, binding))
    if params["planned"]:
        result.update(_plan(module, connectors, server))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
