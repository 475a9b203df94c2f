# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS for the SMTP relay test: the client's SSL context and what a handshake agreed.

A client certificate comes from PEM files, or from a password-protected PFX
(what the Exchange Online relay how-to hands a device). ``ssl`` only loads
PEM from a path, so the PFX's key and chain are written to a private
temporary file (mode 0600, key encrypted with a one-time passphrase) that is
deleted as soon as the context has loaded it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import ssl
import tempfile
import traceback

from ansible_collections.mailflow.exchange.plugins.module_utils._values.pfx import PfxError, open_pfx

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    CRYPTOGRAPHY_IMPORT_ERROR = None


class TlsSetupError(Exception):
    """A TLS option cannot be used; the message names the option."""


def client_context(validate_certs=True, ca_path=None, client_cert=None, client_key=None,
                   client_pfx=None, client_pfx_password=None):
    """An SSL context for talking to the relay, with the client certificate if one is given."""
    try:
        # A given ca_path replaces the system store (create_default_context loads
        # the defaults only without cafile), so the environment cannot override it.
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_path)
    except (OSError, ssl.SSLError) as err:
        raise TlsSetupError("ca_path %s cannot be loaded as PEM CA certificates: %s" % (ca_path, err))
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if client_pfx:
        _load_pfx(context, client_pfx, client_pfx_password)
    elif client_cert:
        try:
            context.load_cert_chain(client_cert, client_key)
        except (OSError, ssl.SSLError) as err:
            raise TlsSetupError("client_cert %s / client_key %s cannot be loaded as a PEM certificate and its "
                                "unencrypted key: %s" % (client_cert, client_key or "(in client_cert)", err))
    return context


def _load_pfx(context, path, password):
    if CRYPTOGRAPHY_IMPORT_ERROR:
        raise TlsSetupError("client_pfx needs the Python library cryptography on the controller")
    try:
        key, certificate, chain = open_pfx(path, password)
    except PfxError as err:
        raise TlsSetupError({
            "unreadable": "client_pfx %s cannot be read: %s" % (path, err.detail),
            "undecodable": "client_pfx %s cannot be opened: wrong client_pfx_password, or not a PKCS#12 (PFX) file"
                           % path,
            "incomplete": "client_pfx %s holds no private key and certificate pair" % path,
        }[err.reason]) from None
    passphrase = secrets.token_urlsafe(32).encode("ascii")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(passphrase))
    for cert in [certificate] + chain:
        pem += cert.public_bytes(serialization.Encoding.PEM)
    # mkstemp creates the file with mode 0600, readable by this user only.
    handle, pem_path = tempfile.mkstemp(prefix="mailflow-client-", suffix=".pem")
    try:
        with os.fdopen(handle, "wb") as pem_file:
            pem_file.write(pem)
        context.load_cert_chain(pem_path, password=passphrase)
    except ssl.SSLError as err:
        raise TlsSetupError("the certificate in client_pfx %s cannot be used for TLS: %s" % (path, err))
    finally:
        os.unlink(pem_path)


def session_details(tls_socket):
    """What the handshake agreed: version, cipher and the server's certificate."""
    name, _protocol, bits = tls_socket.cipher()
    details = {"version": tls_socket.version(), "cipher": name, "cipher_bits": bits}
    der = tls_socket.getpeercert(binary_form=True)
    if der and not CRYPTOGRAPHY_IMPORT_ERROR:
        details["peer_certificate"] = certificate_summary(der)
    return details


def certificate_summary(der):
    """Subject, issuer, expiry and thumbprint of a DER certificate."""
    certificate = x509.load_der_x509_certificate(der)
    return {
        "subject": _name(certificate.subject),
        "issuer": _name(certificate.issuer),
        "not_after": certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        # The form Get-ExchangeCertificate prints as Thumbprint (SHA-1, upper-case hex; see the
        # E19-GetExchangeCertificate capture).
        "thumbprint": hashlib.sha1(der, usedforsecurity=False).hexdigest().upper(),
    }


def _name(name):
    # Most specific part first, as Windows and RFC 4514 print names.
    # GUESS: for CN/O/OU/L/C this matches Get-ExchangeCertificate's Subject/Issuer (the captures only
    # show single-CN names); Windows writes S= where RFC 4514 writes ST=, and quotes differently.
    return ", ".join(rdn.rfc4514_string() for rdn in reversed(name.rdns))
