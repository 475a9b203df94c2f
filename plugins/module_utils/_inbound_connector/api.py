# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inbound connector calls and rules shared by inbound_connector and inbound_connector_info."""

from __future__ import annotations

import re
import time
from typing import Any

from ansible_collections.mailflow.exchange.plugins.module_utils._common import engine
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    UnexpectedExchangeValue,
    values_from_properties,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import ANY
from ansible_collections.mailflow.exchange.plugins.module_utils._values.names import (
    identity_problem,
    looks_like_guid,
    same_name,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeError
from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector.table import READ_TABLE, ROWS
from ansible_collections.mailflow.exchange.plugins.module_utils._common.retry import Backoff

__all__ = ["ROWS", "already_exists", "check_name", "combination_problems", "connector_values", "creation_restricted",
           "get_connector", "is_connector", "list_connectors", "read_until", "unrestricted_connector_problem", "write_identity"]

MAX_NAME_LENGTH = 64
NAME_ACCEPTED = ("1 to 64 characters without control characters (newline, tab) or the wildcard characters * ? [ ], "
                 "without leading or trailing spaces, and neither a GUID nor a name starting with CN=")
# After New-/Set- a read may miss the connector or show old values for a while (replication, reported by
# public clients of Exchange Online): reads are repeated with these bounds before giving up.
REPLICATION_BACKOFF = dict(attempts=6, base=1.0, cap=4.0, total=15.0)


def name_problem(name: str | None) -> str | None:
    """Why ``name`` cannot name exactly one connector, or None."""
    if name and len(name) > MAX_NAME_LENGTH:
        return "it is too long (more than %d characters)" % MAX_NAME_LENGTH
    return identity_problem(name)


def check_name(name: str | None, option: str = "name") -> None:
    problem = name_problem(name)
    if problem:
        raise InvalidValue(option, name, NAME_ACCEPTED, noun="a connector name", reason=problem)


def connector_values(obj: dict[str, Any]) -> dict[str, Any]:
    """A connector (a plain JSON object from the REST endpoint) as the module's options, canonical.

    A property the object lacks is left out, so "not reported" stays apart from "empty".
    """
    return engine.readable_values(values_from_properties(obj, READ_TABLE), ROWS)


def is_connector(obj: Any, name: str) -> bool:
    """Whether ``obj`` is a connector object called ``name`` (case-insensitive, as Exchange compares)."""
    return isinstance(obj, dict) and same_name(obj.get("Name"), name)


def _named(objects, name):
    return [obj for obj in objects if is_connector(obj, name)]


def get_connector(client: Any, name: str) -> dict[str, Any] | None:
    """The connector object called ``name`` (case-insensitive, as Exchange compares), or None.

    Every object of the answer is checked: Get-InboundConnector.md (Caution): "a non-existent value for
    the Identity parameter returns *all* objects", so the answer is filtered by name rather than trusted,
    and two connectors answering to the name are an error, never a choice.
    """
    try:
        found = client.invoke("Get-InboundConnector", {"Identity": name})
    except ExchangeError as err:
        if err.not_found:
            return None
        raise
    matches = _named(found, name)
    if len(matches) > 1:
        raise ExchangeError("Exchange Online returned %d inbound connectors named %r; nothing was changed"
                            % (len(matches), name), cmdlet="Get-InboundConnector")
    return matches[0] if matches else None


def write_identity(connector: dict[str, Any]) -> str:
    """How a write addresses ``connector``: its GUID read first (it cannot match another connector), else
    its name. Set-/Remove-InboundConnector.md: Identity is an InboundConnectorIdParameter (name or GUID)."""
    for key in ("Guid", "ExchangeObjectId"):
        value = str(connector.get(key) or "")
        if looks_like_guid(value):
            return value
    return connector["Name"]


def read_until(client, name, settled, sleep=time.sleep):
    """``get_connector`` again until ``settled(connector)`` holds or the bounds are used up; the last read."""
    backoff = Backoff(**REPLICATION_BACKOFF)
    connector = get_connector(client, name)
    while not settled(connector):
        delay = backoff.next_delay()
        if delay is None:
            break
        sleep(delay)
        connector = get_connector(client, name)
    return connector


def already_exists(err: ExchangeError) -> bool:
    """Whether New-InboundConnector failed because a connector of that name exists (maybe not yet readable)."""
    return err.category == "ResourceExists" or "AlreadyExists" in (err.exception_type or "") \
        or "already exists" in (err.message or "").lower()


def list_connectors(client: Any, name: str | None = None) -> list[dict[str, Any]]:
    """All connectors, or the one called ``name`` (a list, empty when there is none)."""
    if name:
        found = get_connector(client, name)
        return [found] if found is not None else []
    found = client.invoke("Get-InboundConnector", {"ResultSize": "Unlimited"})
    # Every object is checked: an answer that is not a list of named connectors is never read as one.
    for obj in found:
        if not isinstance(obj, dict) or not isinstance(obj.get("Name"), str) or not obj["Name"]:
            raise UnexpectedExchangeValue("Get-InboundConnector returned something that is not a named "
                                          "connector: %.200r" % (obj,))
    return found


def _known(values, *options):
    return all(option in values for option in options)


def combination_problems(values: dict[str, Any]) -> list[str]:
    """Rules between options, from New-/Set-InboundConnector.md.

    ``values`` may be partial (the user's options before anything is read): a rule is checked only
    when all the options it involves are known, so the same function serves before any call (on
    the options given) and before any write (on the connector as it would be).
    """
    problems = []
    internal = values.get("treat_messages_as_internal")
    # TreatMessagesAsInternal: "You can't set this parameter to the value $true if ... The
    # CloudServicesMailEnabled parameter is set to the value $true [or] The ConnectorType
    # parameter value is not OnPremises."
    if internal and values.get("cloud_services_mail_enabled"):
        problems.append("treat_messages_as_internal=true cannot be combined with cloud_services_mail_enabled=true")
    if internal and _known(values, "connector_type") and values["connector_type"] != "OnPremises":
        problems.append("treat_messages_as_internal=true needs connector_type OnPremises, not %s"
                        % values["connector_type"])
    # RestrictDomainsToIPAddresses rejects mail from SenderDomains "if the source IP address isn't
    # also specified by the SenderIPAddress parameter": without addresses it rejects all of it.
    if values.get("restrict_domains_to_ip_addresses") and _known(values, "sender_ip_addresses") \
            and not values["sender_ip_addresses"]:
        problems.append("restrict_domains_to_ip_addresses=true needs sender_ip_addresses (without them all "
                        "mail of the sender domains is rejected)")
    # RestrictDomainsToCertificate compares the sender's certificate with TlsSenderCertificateName.
    if values.get("restrict_domains_to_certificate") and _known(values, "tls_sender_certificate_name") \
            and not values["tls_sender_certificate_name"]:
        problems.append("restrict_domains_to_certificate=true needs tls_sender_certificate_name")
    return problems


def unrestricted_connector_problem(values: dict[str, Any]) -> str | None:
    """A refusal message when an OnPremises connector would take mail for any sender domain from
    anywhere (None otherwise, or when the values needed are not all known).

    ConnectorType OnPremises "grant[s] special rights", among them "allowing relay through the
    tenant to internet destinations" (New-InboundConnector.md): with SenderDomains * and neither
    source addresses nor a certificate name, nothing ties the connector to the organisation's servers.
    """
    if not _known(values, "connector_type", "sender_domains", "sender_ip_addresses", "tls_sender_certificate_name"):
        return None
    if values["connector_type"] != "OnPremises" or ANY not in (values["sender_domains"] or ()):
        return None
    if values["sender_ip_addresses"] or values["tls_sender_certificate_name"]:
        return None
    return ("refusing an OnPremises connector for sender_domains '*' without sender_ip_addresses or "
            "tls_sender_certificate_name: any server could relay mail through the tenant (an open relay). "
            "List the relay's public IPv4 addresses or its certificate name, or set allow_unrestricted=true "
            "if this is really meant")


# GUESS: how Exchange Online words its refusal in E5 developer tenants is not public; New-InboundConnector.md
# only says creation "is restricted in Microsoft 365 E5 developer subscriptions".
_RESTRICTED = re.compile(r"\brestricted\b", re.IGNORECASE)


def creation_restricted(err: ExchangeError) -> bool:
    """Whether New-InboundConnector failed because the tenant may not create inbound connectors."""
    return err.cmdlet == "New-InboundConnector" and bool(
        _RESTRICTED.search(err.message or "") or (err.exception_type or "").endswith("RestrictedException"))
