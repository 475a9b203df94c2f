"""Kerberos on the HTTP listener, as a stock Exchange /PowerShell offers it.

The listener advertises ``Negotiate`` and ``Kerberos`` (one WWW-Authenticate
header each). pyspnego's acceptor (python-gssapi, MIT krb5) checks the
client's AP-REQ against the service keytab named by KRB5_KTNAME; a Negotiate
exchange that settles on NTLM is refused, because Exchange's remote PowerShell
accepts Kerberos only by default (EXCHANGE.md, endpoint). After authentication
every body is sealed with the Kerberos session key ([MS-WSMV] 2.2.9.1),
named HTTP-SPNEGO- or HTTP-Kerberos-session-encrypted after the scheme used.
"""
import base64
import binascii

import spnego
from spnego.exceptions import SpnegoError

from ..stats import Stats
from . import sealing
from .auth import Authenticated, Refused, SealedConnectionAuth
from .credentials import LabCredentials


SCHEMES = ("negotiate", "kerberos")


class KerberosConnectionAuth(SealedConnectionAuth):
    # GUESS: the schemes and their order as IIS offers them on Exchange's /PowerShell (Windows
    # authentication with the Negotiate and Kerberos providers); no capture shows the headers.
    CHALLENGE = {"WWW-Authenticate": ["Negotiate", "Kerberos"]}
    SEALING_PROTOCOLS = sealing.PROTOCOLS

    def __init__(self, credentials: LabCredentials, stats: Stats):
        super().__init__(credentials, stats)
        self._scheme = "Negotiate"
        self._final_token: bytes | None = None

    def accept(self, headers, body: bytes) -> Authenticated:
        scheme, _, token = (headers.get("Authorization") or "").strip().partition(" ")
        if scheme:
            if scheme.lower() not in SCHEMES:
                self._refuse(f"{scheme} authentication is not offered on this listener")
            self._handshake(scheme, token.strip())
        elif self._user is None:
            raise Refused(dict(self.CHALLENGE), "authentication required")
        accepted = self._open(headers, body)
        if self._final_token:
            token, self._final_token = self._final_token, None
            accepted.headers["WWW-Authenticate"] = f"{self._scheme} " + base64.b64encode(token).decode()
        return accepted

    def _handshake(self, scheme: str, token: str) -> None:
        if self._context is None or self._context.complete:
            # Raw Kerberos tokens under "Negotiate" are accepted too (pyspnego's acceptor detects them).
            self._context = spnego.server(protocol="negotiate", options=spnego.NegotiateOptions.wrapping_winrm)
            self._user = None
        self._scheme = "Kerberos" if scheme.lower() == "kerberos" else "Negotiate"
        try:
            out_token = self._context.step(base64.b64decode(token))
        except (SpnegoError, binascii.Error, ValueError) as exc:
            self._context = None
            self._refuse(f"Kerberos authentication failed: {exc}")
        if not self._context.complete:
            challenge = f"{self._scheme} " + base64.b64encode(out_token or b"").decode()
            raise Refused({"WWW-Authenticate": challenge}, "Kerberos continuation")
        # GUESS: an NTLM exchange inside Negotiate is refused with 401 (EXCHANGE.md: Kerberos only).
        if self._context.negotiated_protocol != "kerberos":
            self._context = None
            self._refuse("only Kerberos is accepted on this listener")
        self._user = self._credentials.canonical_user(self._context.client_principal or "")
        if self._user is None:
            self._context = None
            self._refuse("Kerberos authenticated an unknown account")
        self._final_token = out_token  # the AP-REP, sent with the reply to this request
