# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A receive connector's TlsCertificateName, ``<I>issuer<S>subject``, with both X.500 names in one spelling
(Set-ReceiveConnector.md, TlsCertificateName), so names typed and printed differently compare equal.
"""
from __future__ import annotations

import re

from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import Rejected, TextKind


def _split_unquoted(text, separator):
    """Split on ``separator`` outside double quotes and not escaped by a backslash (RFC 4514)."""
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted or escaped:
        raise Rejected("unbalanced quote or trailing backslash")
    parts.append("".join(current))
    return parts


def _strip_value(value):
    """Strip spaces around an attribute value, keeping an escaped trailing space ("a\\ ")."""
    stripped = value.strip()
    trailing_backslashes = len(stripped) - len(stripped.rstrip("\\"))
    if trailing_backslashes % 2 == 1:
        stripped += " "
    return stripped


_ATTRIBUTE_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+")


def _normalise_dn(dn):
    """One X.500 DN in one spelling: no spaces around '=', ',' and '+', attribute types in upper
    case, values untouched; RDNs joined with ', ' as Windows prints Issuer/Subject."""
    if not isinstance(dn, str) or not dn.strip():
        raise Rejected("empty distinguished name")
    rdns = []
    for rdn in _split_unquoted(dn, ","):
        avas = []
        for ava in _split_unquoted(rdn, "+"):
            attribute, sep, value = ava.partition("=")
            attribute, value = attribute.strip(), _strip_value(value)
            if not sep or not _ATTRIBUTE_TYPE.fullmatch(attribute) or not value:
                raise Rejected("%r is not TYPE=value" % ava.strip())
            avas.append("%s=%s" % (attribute.upper(), value))
        rdns.append("+".join(avas))
    return ", ".join(rdns)


def tls_certificate_name(issuer: str, subject: str) -> str:
    """The canonical ``<I>issuer<S>subject`` of a certificate (Set-ReceiveConnector.md,
    TlsCertificateName: "<I>$($TLSCert.Issuer)<S>$($TLSCert.Subject)"). Raises ValueError."""
    try:
        return "<I>%s<S>%s" % (_normalise_dn(issuer), _normalise_dn(subject))
    except Rejected as err:
        raise ValueError(err.reason) from None


_TLS_NAME = re.compile(r"\s*<I>(?P<issuer>.+?)<S>(?P<subject>.+)", re.IGNORECASE | re.DOTALL)


class TlsCertificateName(TextKind):
    noun = "a TLS certificate name"
    accepted = "<I>issuer DN<S>subject DN (for example <I>CN=Contoso CA, O=Contoso<S>CN=mail.contoso.com)"

    def parse_text(self, text):
        match = _TLS_NAME.fullmatch(text)
        if match is None:
            raise Rejected("missing <I> or <S>")
        return "<I>%s<S>%s" % (_normalise_dn(match.group("issuer")), _normalise_dn(match.group("subject")))


TLS_CERTIFICATE_NAME = TlsCertificateName()
