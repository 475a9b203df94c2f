# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SMTP domains, with a leading wildcard, and which names they cover.

Two rules differ on purpose:

- a certificate name ``*.contoso.com`` covers exactly one more label (``mail.contoso.com``, not
  ``contoso.com`` nor ``a.b.contoso.com``): the TLS rule of RFC 6125, section 6.4.3;
- an accepted domain ``*.contoso.com`` covers the domain and all its subdomains, and so does an
  accepted domain with MatchSubDomains (New-AcceptedDomain.md, DomainName; Set-AcceptedDomain.md,
  MatchSubDomains).
"""
from __future__ import annotations

import re

from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import MultiKind, Kind, Rejected
from ansible_collections.mailflow.exchange.plugins.module_utils._values.names import FQDN

ANY = "*"
_WILDCARD_PREFIX = "*."


class SmtpDomain(Kind):
    """An SMTP domain, lower-cased: ``contoso.com``, ``*.contoso.com`` if ``wildcard``, ``*`` alone if
    ``any_domain``. "You can't embed the wildcard character" (New-InboundConnector.md, SenderDomains
    and TlsSenderCertificateName; New-AcceptedDomain.md, DomainName): only a leading ``*.`` is a wildcard.
    Empty means unset, unless ``required``.

    Exchange's SmtpDomainWithSubdomains (accepted domains) is ``SmtpDomain(any_domain=True, two_labels=False,
    required=True)``.
    """

    noun = "an SMTP domain"

    def __init__(self, wildcard=True, any_domain=False, two_labels=True, required=False):
        self.wildcard = wildcard
        self.any_domain = any_domain
        self.two_labels = two_labels
        self.required = required
        forms = ["a domain such as contoso.com"]
        if wildcard:
            forms.append("*.contoso.com for a domain and its subdomains (a wildcard only as the first label)")
        if any_domain:
            forms.append("* for any domain")
        self.accepted = ", ".join(forms[:-1]) + " or " + forms[-1] if len(forms) > 1 else forms[0]

    def parse(self, value):
        if value is None or value == "":
            if self.required:
                raise Rejected("empty")
            return None
        if not isinstance(value, str):
            raise Rejected("expected text")
        text = value.strip().lower()
        if text == ANY:
            if self.any_domain:
                return text
            raise Rejected("* alone is not allowed here")
        wildcard = text.startswith(_WILDCARD_PREFIX)
        if wildcard and not self.wildcard:
            raise Rejected("no wildcard allowed here")
        rest = text[len(_WILDCARD_PREFIX):] if wildcard else text
        if "*" in rest:
            raise Rejected("a wildcard cannot be embedded")
        # GUESS: Exchange Online wants at least two labels in an SMTP domain (DNS names may have one).
        if self.two_labels and "." not in rest.strip("."):
            raise Rejected("not a domain with at least two labels")
        name = FQDN.parse(rest)
        if name is None:
            raise Rejected("empty")
        return _WILDCARD_PREFIX + name if wildcard else name


class SmtpDomains(MultiKind):
    """A list of SmtpDomain values (AssociatedAcceptedDomains), sorted and duplicate-free."""

    noun = "an SMTP domain"

    def __init__(self, wildcard=True, any_domain=False):
        self.domain = SmtpDomain(wildcard=wildcard, any_domain=any_domain)
        self.accepted = self.domain.accepted

    def parse_item(self, text):
        name = self.domain.parse(text)
        if name is None:
            raise Rejected("empty")
        return name


# An AddressSpace as Get-InboundConnector prints SenderDomains: "smtp:contoso.com;1", "smtp:*;1".
_ADDRESS_SPACE = re.compile(r"(?P<type>[A-Za-z0-9]+):(?P<domain>[^;]*)(?:;(?P<cost>\d+))?")


class SenderDomains(SmtpDomains):
    """Inbound connector SenderDomains, canonical as plain lower-case domains (``*`` kept).

    Get-InboundConnector prints them as address spaces (``smtp:*;1`` for ``*``, EXCHANGE.md 5);
    both forms are read, so the value a user writes and the one Exchange prints compare equal.
    """

    def __init__(self):
        super().__init__(wildcard=True, any_domain=True)
        self.accepted += " (the address space form smtp:contoso.com;1 is read too)"

    def parse_item(self, text):
        space = _ADDRESS_SPACE.fullmatch(text)
        if space:
            if space.group("type").lower() != "smtp":
                raise Rejected("only smtp address spaces")
            # GUESS: the cost of an inbound connector's address space has no meaning (costs rank
            # outbound routes), so it is dropped: smtp:contoso.com;1 and contoso.com are equal.
            text = space.group("domain")
        return super().parse_item(text)


# Accepted domains and certificate names (SmtpDomainWithSubdomains in New-AcceptedDomain.md, DomainName).
SMTP_DOMAIN = SmtpDomain(any_domain=True, two_labels=False, required=True)
SENDER_DOMAINS = SenderDomains()


def _is_strict_subdomain(name, parent):
    return name.endswith("." + parent)


def certificate_name_covers(certificate_name: str, domain: str) -> bool:
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


def accepted_domain_covers(domain_name: str, match_subdomains: bool, domain: str) -> bool:
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
