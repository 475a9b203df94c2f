# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of inbound_connector_audit: one function per finding, on canonical connector values."""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._common.audit import finding, fix_task
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.api import unrestricted_connector_problem


def onpremises_connector_unrestricted(values):
    """An OnPremises connector for sender domain '*' with neither sender IPs nor a certificate name
    (critical; medium when disabled). The same rule inbound_connector refuses to create, from
    New-InboundConnector.md (ConnectorType OnPremises allows relay through the tenant)."""
    if unrestricted_connector_problem(values) is None:
        return None
    enabled = values.get("enabled") is not False
    evidence = ("OnPremises connector for sender domain * without sender_ip_addresses or "
                "tls_sender_certificate_name: any server can relay mail through the tenant%s"
                % ("" if enabled else "; the connector is disabled"))
    # Disabling is the one change that is safe without knowing the relay's addresses or certificate.
    # inbound_connector checks the whole connector after a change, so the disabled (still unrestricted)
    # connector needs allow_unrestricted to pass its open-relay guard.
    fix = fix_task("inbound_connector", name=values["name"], enabled=False, allow_unrestricted=True) if enabled else None
    return finding("onpremises_connector_unrestricted", "critical" if enabled else "medium",
                   "inbound connector %s" % values["name"], evidence,
                   "set sender_ip_addresses (the relay's public IPv4 addresses) or tls_sender_certificate_name "
                   "(with require_tls), or disable the connector until then", fix)


RULES = (onpremises_connector_unrestricted,)


def connector_findings(values):
    return [item for item in (rule(values) for rule in RULES) if item is not None]
