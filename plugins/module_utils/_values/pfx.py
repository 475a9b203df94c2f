# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Opening a PKCS#12 (PFX) file: the app credential for Exchange Online and the client
certificate of smtp_relay_test come in this form. Callers word the errors with their
own option names; nothing here ever shows the password."""

from __future__ import annotations

import base64
import binascii

try:
    from cryptography.hazmat.primitives.serialization import pkcs12
except ImportError:  # the callers report the missing library with their own message
    pkcs12 = None


class PfxError(Exception):
    """Why a PFX could not be used: ``reason`` is unreadable, undecodable or incomplete."""

    def __init__(self, reason, detail=""):
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


def open_pfx(path, password):
    """(key, certificate, chain) of the PFX at ``path``; raises PfxError."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as err:
        raise PfxError("unreadable", err.strerror or str(err)) from None
    data = _der(data)
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(
            data, password.encode("utf-8") if password is not None else None)
    except (ValueError, TypeError):
        # cryptography cannot tell a wrong password from a damaged file.
        raise PfxError("undecodable") from None
    if key is None or certificate is None:
        raise PfxError("incomplete")
    return key, certificate, list(chain or [])


def _der(data):
    """The PFX's DER bytes, also from a base64 text file: AWX credential file injectors write
    text only, so a PFX reaches a job base64-encoded (extensions/awx/credential_types)."""
    if data[:1] == b"\x30":  # a DER SEQUENCE: the binary PFX itself
        return data
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return data  # neither: let PKCS#12 parsing report it as undecodable
