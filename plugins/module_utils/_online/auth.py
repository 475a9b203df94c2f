# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""App-only tokens for Exchange Online: credential loading and the msal client.

Microsoft documents certificate credentials for app-only Exchange Online access
(an Entra app with Exchange.ManageAsApp); msal signs a client assertion with the
private key and names the certificate by its SHA-1 thumbprint, which is computed
here so nobody has to copy it by hand.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import traceback
from datetime import datetime, timezone

from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import ExchangeConnectionError, tls_failure_message
from ansible_collections.mailflow.exchange.plugins.module_utils._values.pfx import PfxError, open_pfx

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    CRYPTOGRAPHY_IMPORT_ERROR = None

try:
    import msal
    import requests
except ImportError:
    MSAL_IMPORT_ERROR = traceback.format_exc()
else:
    MSAL_IMPORT_ERROR = None

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.DOTALL)

# Entra ID error codes (AADSTSnnnn) and what the user has to change.
AADSTS_HINTS = {
    90002: "tenant not found: check tenant (a tenant GUID or its x.onmicrosoft.com name) and cloud",
    900023: "tenant is neither a GUID nor a domain name: check tenant",
    700016: "no application with this client_id in the tenant: check client_id and tenant",
    700027: ("the certificate is not registered for the app: upload it (thumbprint %(thumbprint)s) "
             "under Certificates & secrets of the app registration"),
    700024: "the client assertion is outside its validity: check the controller's clock",
    7000215: "invalid client secret: check client_secret (the secret's Value, not its ID)",
    7000222: "the client secret has expired: create a new one",
    7000112: "the application is disabled in the tenant",
    500011: ("the tenant has no Office 365 Exchange Online service principal: check cloud "
             "and that the tenant has Exchange Online"),
    53003: "a Conditional Access policy blocked the sign-in of the app",
}


class CredentialError(ExchangeConnectionError):
    """A credential option that cannot be used; ``option`` names it."""

    def __init__(self, option, message):
        super().__init__("%s: %s" % (option, message))
        self.option = option


class Credential:
    """What msal needs (``client_credential``) plus the thumbprint for error hints."""

    def __init__(self, client_credential, thumbprint=None):
        self.client_credential = client_credential
        self.thumbprint = thumbprint


def thumbprint_of(certificate):
    """SHA-1 of the DER encoding, upper-case hex: what Entra shows as the thumbprint."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return hashlib.sha1(der).hexdigest().upper()


def load_credential(params, now=None):
    """The Credential for the connection options (already checked for exactly one kind)."""
    if params.get("client_secret"):
        return Credential(params["client_secret"])
    if params.get("pfx"):
        key, certificate = load_pfx(params["pfx"], params.get("pfx_password"))
        option = "pfx"
    else:
        key, certificate = load_pem(params["certificate"], params.get("private_key"))
        option = "certificate"
    _check_usable(option, key, certificate, now or datetime.now(timezone.utc))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    thumbprint = thumbprint_of(certificate)
    return Credential({"private_key": pem, "thumbprint": thumbprint}, thumbprint)


def load_pem(certificate_path, private_key_path=None):
    """(key, certificate) from PEM files; the key may sit in the certificate file."""
    cert_blocks = _pem_blocks("certificate", certificate_path)
    certificates = [x509.load_pem_x509_certificate(block) for label, block in cert_blocks
                    if label == b"CERTIFICATE"]
    if not certificates:
        raise CredentialError("certificate", "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                              % certificate_path)
    key_option, key_path = ("private_key", private_key_path) if private_key_path else (
        "certificate", certificate_path)
    key_blocks = cert_blocks if key_path == certificate_path else _pem_blocks(key_option, key_path)
    key = _pem_key(key_option, key_path, key_blocks)
    # The file may carry a chain: the app's certificate is the one matching the key.
    for certificate in certificates:
        if _same_public_key(certificate.public_key(), key.public_key()):
            return key, certificate
    raise CredentialError(key_option, "the private key in %s does not belong to the certificate in %s"
                          % (key_path, certificate_path))


def load_pfx(path, password):
    """(key, certificate) from a PKCS#12 file."""
    try:
        key, certificate, dummy_chain = open_pfx(path, password or None)
    except PfxError as err:
        if err.reason == "unreadable":
            raise CredentialError("pfx", "cannot read %s: %s" % (path, err.detail)) from None
        if err.reason == "undecodable":
            raise CredentialError("pfx_password", "cannot open %s: wrong pfx_password%s, or not a PKCS#12 file"
                                  % (path, "" if password else " (none given)")) from None
        raise CredentialError("pfx", "%s must hold the certificate and its private key" % path) from None
    return key, certificate


def _read(option, path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as err:
        raise CredentialError(option, "cannot read %s: %s" % (path, err.strerror)) from None


def _pem_blocks(option, path):
    blocks = [(match.group(1), match.group(0)) for match in _PEM_BLOCK.finditer(_read(option, path))]
    if not blocks:
        raise CredentialError(option, "%s is not a PEM file (-----BEGIN ...----- blocks)" % path)
    return blocks


def _pem_key(option, path, blocks):
    keys = [block for label, block in blocks if label.endswith(b"PRIVATE KEY")]
    if not keys:
        raise CredentialError(option, "%s holds no PEM private key: give it in private_key, or use pfx"
                              % path)
    block = keys[0]
    if block.startswith(b"-----BEGIN ENCRYPTED") or b"Proc-Type: 4,ENCRYPTED" in block:
        raise CredentialError(option, "the private key in %s is encrypted: give an unencrypted PEM key "
                              "(file mode 0600), or a PFX file with pfx_password" % path)
    try:
        return serialization.load_pem_private_key(block, password=None)
    except (ValueError, TypeError):
        raise CredentialError(option, "cannot parse the private key in %s" % path) from None


def _same_public_key(first, second):
    encoding, form = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return first.public_bytes(encoding, form) == second.public_bytes(encoding, form)


def _check_usable(option, key, certificate, now):
    # msal signs the assertion with RS256 when given a thumbprint: only RSA keys work.
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialError(option, "the key is not an RSA key; Entra ID app certificates must be RSA")
    if certificate.not_valid_after_utc < now:
        raise CredentialError(option, "the certificate (thumbprint %s) expired on %s"
                              % (thumbprint_of(certificate), certificate.not_valid_after_utc.isoformat()))


def http_session(validate_certs, ca_path, timeout):
    """The one requests.Session for token and REST calls.

    With a CA file or without validation the environment is ignored: requests lets
    REQUESTS_CA_BUNDLE replace Session.verify otherwise.
    """
    session = requests.Session()
    if not validate_certs:
        session.verify = False
        session.trust_env = False
    elif ca_path:
        session.verify = ca_path
        session.trust_env = False
    # msal passes no timeout when given a session: make it the session's default.
    session.request = functools.partial(session.request, timeout=timeout)
    return session


class TokenProvider:
    """App-only tokens for one scope; msal's in-memory cache reuses a token within a run.

    A cache file between runs is future work: it would hold bearer tokens on disk.
    """

    def __init__(self, client_id, authority, scope, credential, session, custom_authority=False):
        self._client_id = client_id
        self._authority = authority
        self._scope = scope
        self._credential = credential
        self._session = session
        self._custom_authority = custom_authority
        self._app = None

    def invalidate(self):
        """Forget the cached token (Exchange Online refused it): the next token() asks Entra ID anew."""
        self._app = None

    def token(self):
        """An access token, or ExchangeConnectionError with a hint on what to fix."""
        try:
            if self._app is None:
                self._app = msal.ConfidentialClientApplication(
                    self._client_id, authority=self._authority,
                    client_credential=self._credential.client_credential,
                    http_client=self._session,
                    # Only Microsoft's login hosts are known to msal's instance discovery.
                    instance_discovery=False if self._custom_authority else None,
                )
            result = self._app.acquire_token_for_client([self._scope])
        except requests.exceptions.SSLError as err:
            raise ExchangeConnectionError(tls_failure_message(self._authority, err)) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as err:
            raise ExchangeConnectionError("cannot reach %s (check cloud or authority_url): %s"
                                          % (self._authority, err)) from None
        except ValueError as err:
            # msal's answer when the tenant's OpenID configuration is missing (unknown tenant).
            hint = AADSTS_HINTS[90002] if "authority configuration" in str(err) else "msal refused the request"
            raise ExchangeConnectionError("%s: %s" % (hint, _first_line(str(err)))) from None
        if "access_token" not in result:
            raise token_error(result, self._client_id, self._credential.thumbprint)
        return result["access_token"]


_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def token_tenant(access_token):
    """The tenant GUID (claim ``tid``) of an access token, or None when it cannot be read.

    Only read, never trusted for anything but naming the tenant in the URL: Exchange Online checks the
    token itself. A vanity domain in the URL may be refused where the GUID is not.
    """
    try:
        payload = access_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, AttributeError):
        return None
    tenant = claims.get("tid") if isinstance(claims, dict) else None
    return tenant if isinstance(tenant, str) and _GUID.match(tenant) else None


def token_error(result, client_id, thumbprint=None):
    """ExchangeConnectionError for msal's error dict, leading with what to fix."""
    codes = result.get("error_codes") or _codes_in(result.get("error_description", ""))
    hints = [AADSTS_HINTS[code] % {"thumbprint": thumbprint or "?"} for code in codes if code in AADSTS_HINTS]
    detail = _first_line(result.get("error_description") or result.get("error") or "no token")
    prefix = hints[0] + " - " if hints else ""
    return ExchangeConnectionError("Entra ID refused a token for client_id %s: %s%s"
                                   % (client_id, prefix, detail))


def _codes_in(description):
    return [int(code) for code in re.findall(r"AADSTS(\d+)", description)]


def _first_line(text):
    # Entra appends trace and correlation ids on further lines.
    return text.strip().splitlines()[0] if text.strip() else text
