# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accepted domains (Get-AcceptedDomain) read into canonical values.

They decide relaying: a recipient in an accepted domain is "internal" to the anonymous Default
Frontend connector, any other needs ms-Exch-SMTP-Accept-Any-Recipient. Kept: what those decisions
and the seed how-tos need, from the properties of the E19 Get-AcceptedDomain capture.
"""
from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._values import psobject
from ansible_collections.mailflow.exchange.plugins.module_utils._values.scalars import BOOL, STRING, EnumKind
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import SMTP_DOMAIN, accepted_domain_covers

# AcceptedDomainType (Set-AcceptedDomain.md, DomainType).
DOMAIN_TYPES = ("Authoritative", "InternalRelay", "ExternalRelay")

# {returned key: (Get-AcceptedDomain property, kind)}
READ_TABLE = {
    "name": ("Name", STRING),
    "domain_name": ("DomainName", SMTP_DOMAIN),
    "domain_type": ("DomainType", EnumKind(DOMAIN_TYPES)),
    "default": ("Default", BOOL),
    # Exchange 2016 and later (Set-AcceptedDomain.md): older servers lack it.
    "match_subdomains": ("MatchSubDomains", BOOL),
    # Recipient filtering on or off for the domain (Set-AcceptedDomain.md, AddressBookEnabled).
    "address_book_enabled": ("AddressBookEnabled", BOOL),
}


def accepted_domain_values(obj):
    return psobject.object_to_values(obj, READ_TABLE)


def list_accepted_domains(client):
    return client.invoke("Get-AcceptedDomain")


def covers(values, domain):
    """Whether mail for ``domain`` (canonical, may be ``*.x``) falls under this accepted domain."""
    return accepted_domain_covers(values["domain_name"], bool(values.get("match_subdomains")), domain)
