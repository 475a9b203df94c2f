# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Receive connector rules from New-/Set-ReceiveConnector.md that the module checks itself."""

from __future__ import annotations

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import (
    as_exchange_stores,
    combination_problems,
)


@pytest.mark.parametrize("banner, refused", [
    ("220 Relay ready", False), ("220", False), ("", False), (None, False),
    ("Relay ready", True), ("220Relay", True), ("250 Relay", True), (" 220 Relay", True),
])
def test_banner_starts_with_220(banner, refused):
    problems = combination_problems({"banner": banner})
    assert bool([p for p in problems if p.startswith("banner")]) is refused


def test_inactivity_timeout_equal_to_the_timeout_is_refused():
    problems = combination_problems({"connection_timeout": "00:05:00", "connection_inactivity_timeout": "00:05:00"})
    assert any("connection_inactivity_timeout" in p for p in problems)


@pytest.mark.parametrize("asked, held, compared", [
    (500, 1024, 1024),     # Exchange rounded it up: no change on a rerun
    (500, 500, 500),       # stored as given
    (500, 2048, 500),      # something else is held: a change
    (2048, 1024, 2048),    # only values under 1 KB are rounded
])
def test_max_header_size_is_compared_as_exchange_stores_it(asked, held, compared):
    assert as_exchange_stores({"max_header_size": asked}, {"max_header_size": held})["max_header_size"] == compared
