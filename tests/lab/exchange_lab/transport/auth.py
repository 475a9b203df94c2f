"""HTTP authentication of the two listeners, one object per TCP connection.

- HTTP listener: NTLM only, with WinRM message encryption. The NTLM context
  belongs to the TCP connection (as with HTTP.sys), so later requests on the
  same connection need no Authorization header; a plain-text body is refused
  because Exchange/WinRM over HTTP requires encryption.
- HTTPS listener: Basic only (TLS protects the password and the body).

A rejected request raises ``Refused``; the HTTP layer answers 401 with its headers.
"""
import base64
import binascii
import hmac
import logging
from dataclasses import dataclass, field
from typing import NoReturn, Protocol

import spnego
from spnego.exceptions import SpnegoError

from ..stats import Stats
from . import sealing
from .credentials import LabCredentials

log = logging.getLogger(__name__)

SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"


@dataclass
class Authenticated:
    user: str  # canonical account name, e.g. LAB\exadmin
    soap: bytes  # the plain SOAP request; empty for an authentication-only request
    # Headers for the reply, e.g. Kerberos' final (mutual authentication) token.
    headers: dict[str, str] = field(default_factory=dict)


class Refused(Exception):
    """Answer 401 with ``headers``."""

    def __init__(self, headers: dict[str, str], reason: str):
        super().__init__(reason)
        self.headers = headers


class ConnectionAuth(Protocol):
    def accept(self, headers, body: bytes) -> Authenticated:
        """Authenticate one request (raise Refused) and return its plain SOAP body."""
        ...

    def seal(self, soap: bytes) -> tuple[str, bytes]:
        """Content-Type and body of a response to an accepted request."""
        ...


def _split_authorization(headers) -> tuple[str, str]:
    scheme, _, token = (headers.get("Authorization") or "").strip().partition(" ")
    return scheme.lower(), token.strip()


class SealedConnectionAuth:
    """What the HTTP listeners' Windows authentication shares: the user a completed context
    authenticated, and WinRM message encryption of every body with that context.

    Subclasses set CHALLENGE and SEALING_PROTOCOLS (the encryption protocol names accepted) and
    implement accept() with their own handshake.
    """

    CHALLENGE: dict = {}
    SEALING_PROTOCOLS: tuple = (sealing.PROTOCOL,)

    def __init__(self, credentials: LabCredentials, stats: Stats):
        self._credentials = credentials
        self._stats = stats
        self._context = None
        self._user: str | None = None
        self._protocol = sealing.PROTOCOL

    def seal(self, soap: bytes) -> tuple[str, bytes]:
        return sealing.seal(self._context, soap, self._protocol)

    def _open(self, headers, body: bytes) -> Authenticated:
        if not body:
            return Authenticated(self._user, b"")
        protocol = sealing.protocol_of(headers.get("Content-Type", ""))
        if protocol not in self.SEALING_PROTOCOLS:
            # GUESS: WinRM with AllowUnencrypted=false answers an unencrypted
            # body with 401 (as reported for NTLM clients without encryption).
            self._refuse("unencrypted messages are not allowed over HTTP")
        self._protocol = protocol
        try:
            return Authenticated(self._user, sealing.unseal(self._context, body))
        except sealing.SealingError as exc:
            self._context, self._user = None, None
            self._refuse(f"cannot decrypt the request: {exc}")

    def _refuse(self, reason: str) -> NoReturn:
        self._stats.increment("auth_failures")
        log.info("HTTP 401: %s", reason)
        raise Refused(dict(self.CHALLENGE), reason)


class NtlmConnectionAuth(SealedConnectionAuth):
    """NTLM with message encryption (the HTTP listener)."""

    CHALLENGE = {"WWW-Authenticate": "NTLM"}

    def accept(self, headers, body: bytes) -> Authenticated:
        scheme, token = _split_authorization(headers)
        if scheme:
            if scheme != "ntlm":
                # Basic (or anything else) is not offered over plain HTTP.
                self._refuse(f"{scheme} authentication is not offered on this listener")
            self._handshake(token)
        elif self._user is None:
            # The anonymous first request of every handshake: not a failure.
            raise Refused(dict(self.CHALLENGE), "authentication required")
        return self._open(headers, body)

    def _handshake(self, token: str) -> None:
        """One NTLM leg; raises Refused until the context is complete."""
        if self._context is None or self._context.complete:
            self._context = spnego.server(protocol="ntlm", options=spnego.NegotiateOptions.wrapping_winrm)
            self._user = None
        try:
            out_token = self._context.step(base64.b64decode(token))
        except (SpnegoError, binascii.Error, ValueError) as exc:
            self._context = None
            self._refuse(f"NTLM authentication failed: {exc}")
        if not self._context.complete:
            challenge = "NTLM " + base64.b64encode(out_token or b"").decode()
            raise Refused({"WWW-Authenticate": challenge}, "NTLM challenge")
        self._user = self._credentials.canonical_user(self._context.client_principal or "")
        if self._user is None:
            self._context = None
            self._refuse("NTLM authenticated an unknown account")


class BasicConnectionAuth:
    """Basic authentication (the HTTPS listener)."""

    def __init__(self, credentials: LabCredentials, stats: Stats, realm: str):
        self._credentials = credentials
        self._stats = stats
        self._challenge = {"WWW-Authenticate": f'Basic realm="{realm}"'}

    def accept(self, headers, body: bytes) -> Authenticated:
        scheme, token = _split_authorization(headers)
        if not scheme:
            raise Refused(dict(self._challenge), "authentication required")
        user = self._check(scheme, token)
        if user is None:
            self._stats.increment("auth_failures")
            log.info("HTTP 401: Basic credentials rejected")
            raise Refused(dict(self._challenge), "wrong credentials")
        return Authenticated(user, body)

    def seal(self, soap: bytes) -> tuple[str, bytes]:
        return SOAP_CONTENT_TYPE, soap

    def _check(self, scheme: str, token: str) -> str | None:
        if scheme != "basic":
            return None
        try:
            name, _, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user = self._credentials.canonical_user(name)
        if user is None or not hmac.compare_digest(password.encode(), self._credentials.password.encode()):
            return None
        return user
