# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The broad_ranges filter: canonical wide ranges, and invalid ones reported under the caller's name."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mailflow.exchange.plugins.filter.broad_ranges import broad_ranges_filter


def test_the_default_full_ranges_are_broad_in_canonical_form():
    wide = broad_ranges_filter(["10.1.2.3", "0.0.0.0-255.255.255.255", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"])
    assert sorted(wide) == ["0.0.0.0/0", "::/0"]


def test_an_invalid_range_names_the_option_given():
    with pytest.raises(AnsibleFilterError, match=r"^onprem_relay_devices: '10\.1\.2\.300' is not an IP range"):
        broad_ranges_filter(["10.1.2.300"], 256, option="onprem_relay_devices")
