# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: broad_ranges
short_description: The remote IP ranges that are too broad for anonymous relay
version_added: 0.1.0
description:
  - Reads a list of remote IP ranges the way M(mailflow.exchange.receive_connector) does (single
    addresses, C(low-high) ranges, CIDR, IPv4 or IPv6) and returns, in canonical form, those holding more
    than O(max_addresses) addresses, widest first.
  - The ranges are also judged together (overlaps counted once). When none is too broad alone but all of them
    hold more than O(max_addresses) addresses, every range is returned, so 256 separate /24 ranges are as
    broad as one /16.
  - Lets a role refuse an open relay before it creates anything.
  - Invalid ranges fail the template with a message naming the bad value and the accepted forms.
author:
  - mailflow.exchange contributors (@mailflow)
positional: max_addresses
options:
  _input:
    description: Remote IP ranges.
    type: list
    elements: str
    required: true
  max_addresses:
    description: Most addresses the ranges may hold, each and together.
    type: int
    default: 256
  option:
    description: The name an invalid range is reported under, for example the role variable that holds the ranges.
    type: str
    default: remote IP ranges
"""

EXAMPLES = r"""
- name: Refuse an open relay
  ansible.builtin.assert:
    that: devices | mailflow.exchange.broad_ranges(256) | length == 0
    fail_msg: "{{ devices | mailflow.exchange.broad_ranges(256) }} would make an open relay"

- name: Name the variable in the message about an invalid range
  ansible.builtin.debug:
    msg: "{{ devices | mailflow.exchange.broad_ranges(256, option='devices') }}"
"""

RETURN = r"""
_value:
  description: The ranges wider than O(max_addresses), canonical, widest first; empty when all are narrow enough.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mailflow.exchange.plugins.module_utils._values.addresses import IP_RANGES
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import InvalidValue
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.relay_guard import DEFAULT_MAX_ADDRESSES, broad_ranges


def broad_ranges_filter(ranges, max_addresses=DEFAULT_MAX_ADDRESSES, option="remote IP ranges"):
    try:
        canonical = IP_RANGES.from_input(ranges, option)
    except InvalidValue as err:
        raise AnsibleFilterError(str(err)) from None
    return broad_ranges(canonical, int(max_addresses))


class FilterModule:
    def filters(self):
        return {"broad_ranges": broad_ranges_filter}
