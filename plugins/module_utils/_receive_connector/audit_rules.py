# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of relay_audit: one function per finding, each on values already read and canonical.

Each rule returns a finding (audit.finding) or None. None of them talks to Exchange, so the
module's reads and the rules are tested apart.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.ad_permission import RELAY_RIGHT
from ansible_collections.mailflow.exchange.plugins.module_utils._common.audit import finding, fix_task
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import ANY, certificate_name_covers
from ansible_collections.mailflow.exchange.plugins.module_utils._values.principals import Principal
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import identity_of
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.relay_guard import broad_ranges

# "Anyone who connects": Anonymous Logon and Everyone (the same pair ad_permission guards).
_ANYONE = (Principal.from_input("S-1-5-7"), Principal.from_input("S-1-1-0"))
# The remote range a new connector gets unless told otherwise, and its IPv6 twin, in canonical form.
FULL_RANGES = ("0.0.0.0/0", "::/0")
# The receive connectors Exchange setup creates on every Mailbox server, by name prefix before the
# server name (Microsoft, "Receive connectors", section "Default Receive connectors created during
# setup"). They are meant to take every source; any other connector with the full range is custom.
_DEFAULT_CONNECTOR_PREFIXES = ("Client Frontend", "Client Proxy", "Default", "Default Frontend",
                               "Outbound Proxy Frontend")


def _identity(values):
    return identity_of(values["server"], values["name"])


def _is_anyone(ace):
    return any(principal.matches(ace.user, ace.sid) for principal in _ANYONE)


def anonymous_relay_aces(aces):
    """The ACEs that let anonymous senders relay, or [] when a deny wins.

    Windows evaluates a canonical ACL in the order explicit deny, explicit allow, inherited deny,
    inherited allow; the first ACE that matches decides (Microsoft, "Order of ACEs in a DACL").
    """
    relevant = [ace for ace in aces if RELAY_RIGHT in ace.extended_rights and _is_anyone(ace)]
    for inherited in (False, True):
        layer = [ace for ace in relevant if ace.inherited == inherited]
        if any(ace.deny for ace in layer):
            return []
        allowed = [ace for ace in layer if not ace.deny]
        if allowed:
            return allowed
    return []


def is_default_connector(values):
    name = values["name"].casefold()
    server = (values.get("server") or "").casefold()
    return any(name == ("%s %s" % (prefix, server)).casefold() for prefix in _DEFAULT_CONNECTOR_PREFIXES)


def anonymous_relay_broad_range(values, aces, max_addresses):
    """Anonymous ms-Exch-SMTP-Accept-Any-Recipient from ranges wider than ``max_addresses`` (critical)."""
    granting = anonymous_relay_aces(aces)
    broad = broad_ranges(values.get("remote_ip_ranges"), max_addresses)
    if not granting or not broad:
        return None
    narrow = [r for r in values["remote_ip_ranges"] if r not in broad]
    explicit = [ace for ace in granting if not ace.inherited]
    if narrow:
        fix = fix_task("receive_connector", name=values["name"], server=values["server"], remote_ip_ranges=narrow)
        advice = "keep only the device ranges of at most %d addresses" % max_addresses
    elif explicit:
        fix = fix_task("ad_permission", connector=values["name"], server=values["server"],
                       user=explicit[0].sid or explicit[0].user, extended_rights=[RELAY_RIGHT], state="absent")
        advice = ("take the relay right away, then list the devices' addresses in remote_ip_ranges "
                  "and grant it again")
    else:
        fix = None
        advice = ("the right is inherited, so it cannot be removed on the connector; list the devices' "
                  "addresses in remote_ip_ranges")
    enabled = values.get("enabled") is not False
    evidence = ("%s may relay to any domain (%s, %s) from %s, more than %d addresses%s"
                % (granting[0].user, RELAY_RIGHT, "inherited" if not explicit else "explicit",
                   ", ".join(broad), max_addresses, "" if enabled else "; the connector is disabled"))
    return finding("anonymous_relay_broad_range", "critical" if enabled else "medium", _identity(values),
                   evidence, advice, fix)


def full_range_on_custom_connector(values):
    """A connector other than the setup defaults that still takes every source (high on an
    anonymous connector, low otherwise)."""
    ranges = values.get("remote_ip_ranges") or []
    full = [r for r in ranges if r in FULL_RANGES]
    if not full or is_default_connector(values):
        return None
    anonymous = "AnonymousUsers" in (values.get("permission_groups") or ())
    rest = [r for r in ranges if r not in FULL_RANGES]
    fix = fix_task("receive_connector", name=values["name"], server=values["server"],
                   remote_ip_ranges=rest) if rest else None
    senders = " and accepts anonymous senders" if anonymous else ""
    evidence = ("custom connector keeps the default remote range %s%s; on its bindings it takes every "
                "source that has no more specific connector" % (", ".join(full), senders))
    advice = ("remove the full range and list only the sources this connector is for" if rest else
              "list the sources this connector is for in remote_ip_ranges (none is listed besides the full range)")
    return finding("full_range_on_custom_connector", "high" if anonymous else "low", _identity(values),
                   evidence, advice, fix)


# --- the connector's TLS certificate ------------------------------------------------------------

def _now(now):
    return now if now is not None else datetime.now(timezone.utc)


def named_certificates(values, certificates):
    """The certificates of the connector's server that its TlsCertificateName names."""
    name = values.get("tls_certificate_name")
    if not name:
        return []
    return [c for c in certificates if c.values["tls_certificate_name"] == name]


def effective_certificate(values, certificates, now=None):
    """The certificate the connector uses: among those with its issuer and subject, a current one
    expiring last, else the one expiring last."""
    named = named_certificates(values, certificates)
    if not named:
        return None
    current = [c for c in named if c.is_current(_now(now))]
    # GUESS: with several certificates of one issuer and subject, Exchange's transport picks a valid
    # one with the latest expiry (it does so when choosing by FQDN; the lab plays the same).
    return max(current or named, key=lambda c: c.valid_until)


def covers_fqdn(certificate, fqdn):
    return not fqdn or any(certificate_name_covers(name, fqdn) for name in certificate.names)


def replacement(values, certificates, expiry_days, now=None):
    """The best certificate of the server for the connector: current, with a private key, enabled for
    SMTP, valid for its Fqdn and beyond ``expiry_days``; the one expiring last. None if none is."""
    moment = _now(now)
    usable = [c for c in certificates
              if c.is_current(moment) and c.values["has_private_key"] is not False
              and "SMTP" in (c.values["services"] or ()) and covers_fqdn(c, values.get("fqdn"))
              and c.values["days_left"] >= expiry_days]
    return max(usable, key=lambda c: c.valid_until) if usable else None


def _certificate_fix(values, certificates, expiry_days, now):
    better = replacement(values, certificates, expiry_days, now)
    if better is None or better.values["tls_certificate_name"] == values.get("tls_certificate_name"):
        return None
    return fix_task("receive_connector", name=values["name"], server=values["server"],
                    tls_certificate_thumbprint=better.thumbprint)


def _certificate_advice(fix, what):
    if fix:
        return "name certificate %s, which the server holds and which fits the connector" % fix["params"][
            "tls_certificate_thumbprint"]
    return "install %s (Import-ExchangeCertificate, Enable-ExchangeCertificate -Services SMTP), then name it" % what


def tls_certificate_missing(values, certificates, expiry_days, now=None):
    """TlsCertificateName names no certificate of the server: STARTTLS cannot work (high)."""
    if not values.get("tls_certificate_name") or named_certificates(values, certificates):
        return None
    fix = _certificate_fix(values, certificates, expiry_days, now)
    return finding("tls_certificate_missing", "high", _identity(values),
                   "TlsCertificateName %s names no certificate of %s"
                   % (values["tls_certificate_name"], values["server"]),
                   _certificate_advice(fix, "a certificate for %s" % (values.get("fqdn") or "the connector")), fix)


def tls_certificate_expired(values, certificates, expiry_days, now=None):
    """Every certificate the TlsCertificateName names is outside its validity (high)."""
    chosen = effective_certificate(values, certificates, now)
    if chosen is None or chosen.is_current(_now(now)):
        return None
    fix = _certificate_fix(values, certificates, expiry_days, now)
    return finding("tls_certificate_expired", "high", _identity(values),
                   "certificate %s (%s) is not valid now: valid %s to %s"
                   % (chosen.thumbprint, chosen.values["subject"], chosen.values["not_before"],
                      chosen.values["not_after"]),
                   _certificate_advice(fix, "a renewed certificate"), fix)


def tls_certificate_expiring(values, certificates, expiry_days, now=None):
    """The connector's certificate expires within ``expiry_days`` days (medium)."""
    chosen = effective_certificate(values, certificates, now)
    if chosen is None or not chosen.is_current(_now(now)) or chosen.values["days_left"] >= expiry_days:
        return None
    fix = _certificate_fix(values, certificates, expiry_days, now)
    return finding("tls_certificate_expiring", "medium", _identity(values),
                   "certificate %s (%s) expires on %s, in %d days (limit %d)"
                   % (chosen.thumbprint, chosen.values["subject"], chosen.values["not_after"],
                      chosen.values["days_left"], expiry_days),
                   _certificate_advice(fix, "the renewed certificate"), fix)


def fqdn_not_in_certificate(values, certificates, expiry_days, now=None):
    """The connector announces an Fqdn its certificate is not valid for: senders that check the
    name refuse the TLS session (medium)."""
    chosen = effective_certificate(values, certificates, now)
    if chosen is None or covers_fqdn(chosen, values.get("fqdn")):
        return None
    fix = _certificate_fix(values, certificates, expiry_days, now)
    return finding("fqdn_not_in_certificate", "medium", _identity(values),
                   "Fqdn %s is not among the names of certificate %s (%s)"
                   % (values["fqdn"], chosen.thumbprint, ", ".join(chosen.names) or "none"),
                   _certificate_advice(fix, "a certificate for %s" % values["fqdn"]), fix)


def tls_certificate_not_smtp(values, certificates, expiry_days, now=None):
    """The connector's certificate is not enabled for SMTP (low: a warning, as receive_connector gives)."""
    chosen = effective_certificate(values, certificates, now)
    services = chosen.values["services"] if chosen is not None else None
    if services is None or "SMTP" in services:
        return None
    fix = _certificate_fix(values, certificates, expiry_days, now)
    return finding("tls_certificate_not_smtp", "low", _identity(values),
                   "certificate %s is enabled for %s, not SMTP" % (chosen.thumbprint, ", ".join(services) or "None"),
                   _certificate_advice(fix, "an SMTP certificate") if fix else
                   "Enable-ExchangeCertificate -Thumbprint %s -Services SMTP -Server %s"
                   % (chosen.thumbprint, values["server"]), fix)


CERTIFICATE_RULES = (tls_certificate_missing, tls_certificate_expired, tls_certificate_expiring,
                     fqdn_not_in_certificate, tls_certificate_not_smtp)


# --- accepted domains ---------------------------------------------------------------------------

def accepted_domain_relays_everything(domain):
    """An accepted domain ``*`` of a relay type: every recipient domain counts as accepted, so the
    anonymous Default Frontend connectors relay to the whole internet (critical)."""
    # GUESS: a relay-type accepted domain "*" makes every recipient "accepted" for the anonymous
    # permission (ms-Exch-SMTP-Accept-Any-Recipient is not needed for accepted domains, EXCHANGE.md 1B).
    if domain.get("domain_name") != ANY or domain.get("domain_type") not in ("InternalRelay", "ExternalRelay"):
        return None
    return finding("accepted_domain_relays_everything", "critical", "accepted domain %s" % domain["name"],
                   "accepted domain * of type %s: mail for any domain is accepted from anyone who may send "
                   "to accepted domains (the anonymous Default Frontend connectors)" % domain["domain_type"],
                   "remove it (Remove-AcceptedDomain) and add the real relay domains one by one")


def connector_findings(values, aces, certificates, max_addresses, expiry_days, now=None):
    """Every finding of one connector."""
    found = [anonymous_relay_broad_range(values, aces, max_addresses), full_range_on_custom_connector(values)]
    found.extend(rule(values, certificates, expiry_days, now) for rule in CERTIFICATE_RULES)
    return [item for item in found if item is not None]
