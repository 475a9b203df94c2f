# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Domain names with a leading wildcard, and which names they cover.

Two rules differ on purpose:

- a certificate name ``*.contoso.com`` covers exactly one more label (``mail.contoso.com``, not
  ``contoso.com`` nor ``a.b.contoso.com``): the TLS rule of RFC 6125, section 6.4.3;
- an accepted domain ``*.contoso.com`` covers the domain and all its subdomains, and so does an
  accepted domain with MatchSubDomains (New-AcceptedDomain.md, DomainName; Set-AcceptedDomain.md,
  MatchSubDomains).
"""
from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._values.canonical import (
    FQDN,
    InvalidValue,
    UnexpectedExchangeValue,
)

ANY = "*"
_WILDCARD_PREFIX = "*."


class SmtpDomainWithSubdomains:
    """Exchange's SmtpDomainWithSubdomains: ``contoso.com``, ``*.contoso.com`` or ``*``, lower-cased.

    "You can't embed a wildcard character" (New-AcceptedDomain.md, DomainName): only a leading
    ``*.`` is a wildcard. Same interface as a canonical kind (from_input, from_exchange).
    """

    noun = "a domain name"
    accepted = "a domain such as contoso.com, or *.contoso.com (a wildcard only as the first label)"

    def _parse(self, value):
        """The canonical name, or None if ``value`` is not one."""
        if not isinstance(value, str) or not value.strip():
            return None
        text = value.strip().lower()
        if text == ANY:
            return ANY
        wildcard = text.startswith(_WILDCARD_PREFIX)
        rest = text[len(_WILDCARD_PREFIX):] if wildcard else text
        try:
            name = FQDN.from_input(rest, "domain")
        except InvalidValue:
            return None
        if name is None:
            return None
        return _WILDCARD_PREFIX + name if wildcard else name

    def from_input(self, value, option):
        name = self._parse(value)
        if name is None:
            raise InvalidValue(option, value, self.accepted, self.noun)
        return name

    def from_exchange(self, raw):
        text = getattr(raw, "to_string", raw)
        name = self._parse(text)
        if name is None:
            raise UnexpectedExchangeValue("Exchange returned %r, which is not %s" % (text, self.noun))
        return name


SMTP_DOMAIN = SmtpDomainWithSubdomains()


def _is_strict_subdomain(name, parent):
    return name.endswith("." + parent)


def certificate_name_covers(certificate_name, domain):
    """Whether a certificate issued for ``certificate_name`` is valid for host ``domain``.

    Both canonical (lower case). A wildcard name matches one left-most label; a wildcard query
    (``*.contoso.com``) matches only the same wildcard name.
    """
    if certificate_name == domain:
        return True
    if not certificate_name.startswith(_WILDCARD_PREFIX) or domain.startswith(_WILDCARD_PREFIX):
        return False
    label, _dot, parent = domain.partition(".")
    return bool(label) and parent == certificate_name[len(_WILDCARD_PREFIX):]


def accepted_domain_covers(domain_name, match_subdomains, domain):
    """Whether mail for ``domain`` is accepted under the accepted domain ``domain_name``.

    ``domain`` may itself be a wildcard (``*.contoso.com``): it is covered when all the domains
    it stands for are.
    """
    if domain_name == ANY:
        # GUESS: an accepted domain of "*" (possible for SmtpDomainWithSubdomains) covers everything.
        return True
    wildcard = domain_name.startswith(_WILDCARD_PREFIX)
    base = domain_name[len(_WILDCARD_PREFIX):] if wildcard else domain_name
    # GUESS: "*.contoso.com" also accepts contoso.com itself (as a send connector address space
    # "*.contoso.com" does); the docs only say "all subdomains of a specified domain".
    with_subdomains = wildcard or match_subdomains
    if domain.startswith(_WILDCARD_PREFIX):
        # A wildcard query stands for a domain and all its subdomains: all must be covered.
        query = domain[len(_WILDCARD_PREFIX):]
        return domain == domain_name or (with_subdomains and (query == base or _is_strict_subdomain(query, base)))
    return domain == base or (with_subdomains and _is_strict_subdomain(domain, base))
