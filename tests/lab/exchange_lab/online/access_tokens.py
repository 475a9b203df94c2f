"""Access tokens for Exchange Online: minted by the lab's token service, checked by its REST endpoint.

Shape of an app-only v1 token for the Exchange resource (claims as Entra issues them):
aud ``https://outlook.office365.com``, iss ``https://sts.windows.net/<tid>/``, tid, appid,
appidacr (1 = secret, 2 = certificate), oid/sub (the service principal), roles
[Exchange.ManageAsApp], wids (directory roles), iat/nbf/exp, ver 1.0.
"""
import hashlib
import threading
import time
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from . import jose
from .registration import RegisteredApp, Registration

EXCHANGE_RESOURCE = "https://outlook.office365.com"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"  # Office 365 Exchange Online
MANAGE_AS_APP = "Exchange.ManageAsApp"
EXCHANGE_ADMINISTRATOR_ROLE = "29232cdf-9323-42fd-ade2-1d097af3e4de"  # role template id
# GUESS: Entra's default lifetime for app-only tokens is 60-90 minutes (randomised); the lab uses one hour.
TOKEN_LIFETIME = 3599


@dataclass(frozen=True)
class TokenRejected(Exception):
    """Why the REST endpoint refuses a bearer token: HTTP status and a diagnostics reason."""

    status: int
    reason: str
    category: str = "invalid_token"


class AccessTokens:
    def __init__(self, registration: Registration, lifetime: int = TOKEN_LIFETIME, record_path=None):
        self._registration = registration
        # Every issued token is appended here (one a line), so a test can prove none leaked into output.
        self.record_path = record_path
        self._record_lock = threading.Lock()
        self._key = registration.signing_key
        self._lifetime = lifetime
        # Token ids (uti) issued so far, and those a fault plan expired early (expire_all).
        self._issued: set[str] = set()
        self._expired: set[str] = set()
        der = self._key.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        self.key_id = jose.b64url_encode(hashlib.sha1(der).digest())

    def issue(self, app: RegisteredApp, with_certificate: bool, now: float | None = None,
              audience: str = EXCHANGE_RESOURCE, lifetime: int | None = None) -> tuple[str, int]:
        """A signed token for ``app`` and its expires_in (``now``/``lifetime`` let tests mint stale ones)."""
        now = int(time.time() if now is None else now)
        lifetime = self._lifetime if lifetime is None else lifetime
        tenant_id = self._registration.tenant_id
        issuer = f"https://sts.windows.net/{tenant_id}/"
        claims = {
            "aud": audience, "iss": issuer, "iat": now, "nbf": now, "exp": now + lifetime,
            "aio": jose.b64url_encode(uuid.uuid4().bytes),
            "app_displayname": "mailflow.exchange lab", "appid": app.client_id,
            "appidacr": "2" if with_certificate else "1", "idp": issuer, "idtyp": "app",
            "oid": app.service_principal_id, "rh": "0.lab.", "roles": [MANAGE_AS_APP],
            "sid": str(uuid.uuid4()), "sub": app.service_principal_id, "tid": tenant_id,
            "uti": jose.b64url_encode(uuid.uuid4().bytes)[:22], "ver": "1.0",
            "wids": [EXCHANGE_ADMINISTRATOR_ROLE],
        }
        token = jose.sign_rs256(self._key, {"x5t": self.key_id, "kid": self.key_id}, claims)
        if self.record_path is not None:
            with self._record_lock, open(self.record_path, "a", encoding="ascii") as record:
                record.write(token + "\n")
        self._issued.add(claims["uti"])
        return token, lifetime

    def expire_all(self) -> None:
        """Every token issued so far counts as expired from now on (the fault plan's expire_tokens)."""
        self._expired |= self._issued
        self._issued = set()

    def check(self, token: str, now: float | None = None) -> dict:
        """The claims of a token the REST endpoint accepts, else TokenRejected (texts are GUESSes)."""
        now = time.time() if now is None else now
        try:
            jws = jose.parse(token)
        except jose.MalformedToken:
            raise TokenRejected(401, "The token is malformed.") from None
        if jws.header.get("kid") != self.key_id or not jose.signature_valid(jws, self._key.public_key()):
            raise TokenRejected(401, "The token signature is not valid.")
        claims = jws.claims
        if claims.get("aud") not in (EXCHANGE_RESOURCE, EXCHANGE_RESOURCE + "/", EXCHANGE_APP_ID):
            raise TokenRejected(401, f"The audience claim value is invalid '{claims.get('aud')}'.",
                                "invalid_resource")
        expires = claims.get("exp")
        if not isinstance(expires, (int, float)) or expires <= now or claims.get("uti") in self._expired:
            raise TokenRejected(401, "The token has expired.")
        if claims.get("tid") != self._registration.tenant_id:
            raise TokenRejected(401, f"The token was issued for another tenant '{claims.get('tid')}'.",
                                "invalid_tenant")
        if MANAGE_AS_APP not in (claims.get("roles") or []):
            raise TokenRejected(403, f"The token lacks the role {MANAGE_AS_APP}.", "insufficient_claims")
        return claims
