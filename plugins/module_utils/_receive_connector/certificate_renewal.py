# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moving receive connectors to a renewed certificate: which connectors, and whether it is safe.

A connector names its certificate by issuer and subject only (``<I>issuer<S>subject``,
Set-ReceiveConnector.md, TlsCertificateName). A renewal with the same issuer keeps the name, so
nothing needs to change; a renewal from a new issuer (a CA that switched intermediates) leaves the
name stale, a frequent outage (EXCHANGE.md 3). So by default the connectors to move are those whose
TlsCertificateName has the new certificate's subject and another issuer.

Everything here works on values already read; the module does the reads and the writes.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import certificate_name_covers
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.api import identity_of, same_name


def _subject(tls_name):
    # Canonical names start with <I>; the issuer ends at the first <S>, as TlsCertificateName parses it.
    return tls_name.partition("<S>")[2]


def same_subject(tls_name, other):
    # GUESS: Windows compares X.500 names case-insensitively, and so does Exchange's certificate lookup.
    return _subject(tls_name).casefold() == _subject(other).casefold()


def connectors_to_move(connectors, new_name, old_name=None, only=None):
    """(to move, already on the new name): the connectors whose TlsCertificateName is ``old_name``, or
    when None, any name with the subject of ``new_name``; ``only`` limits them to these names."""
    move, already = [], []
    for values in connectors:
        current = values.get("tls_certificate_name")
        if not current or (only and not any(same_name(values["name"], name) for name in only)):
            continue
        if current == new_name:
            if old_name is None or old_name == new_name:
                already.append(values)
            continue
        if current == old_name if old_name is not None else same_subject(current, new_name):
            move.append(values)
    return move, already


def certificate_problems(certificate, now=None):
    """Why the new certificate cannot serve any connector ([] when it can)."""
    moment = now if now is not None else datetime.now(timezone.utc)
    values = certificate.values
    problems = []
    if moment >= certificate.valid_until:
        problems.append("it expired on %s" % values["not_after"])
    elif moment < certificate.valid_from:
        problems.append("it is valid only from %s" % values["not_before"])
    if values["has_private_key"] is False:
        problems.append("the server has no private key for it")
    # Set-ReceiveConnector.md does not require it, but transport reads a certificate's key only
    # once Enable-ExchangeCertificate -Services SMTP has run (receive_connector only warns for a
    # single connector; a renewal that moves every connector must not guess).
    if values["services"] is not None and "SMTP" not in values["services"]:
        problems.append("it is not enabled for SMTP (services: %s): Enable-ExchangeCertificate -Thumbprint %s "
                        "-Services SMTP" % (", ".join(values["services"]) or "None", values["thumbprint"]))
    return problems


def fqdn_problems(certificate, connectors):
    """One text per connector whose Fqdn the certificate is not valid for (wildcards cover one label)."""
    problems = []
    for values in connectors:
        fqdn = values.get("fqdn")
        if fqdn and not any(certificate_name_covers(name, fqdn) for name in certificate.names):
            problems.append("%s announces Fqdn %s, which is not among the certificate's names (%s)"
                            % (identity_of(values["server"], values["name"]), fqdn,
                               ", ".join(certificate.names) or "none"))
    return problems
