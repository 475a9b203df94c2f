"""Entra ID's v2.0 endpoints for the client-credentials flow, as an unmodified msal uses them.

- ``GET /<tenant>/v2.0/.well-known/openid-configuration``: msal reads authorization_endpoint
  and token_endpoint from it (once per application object).
- ``POST /<tenant>/oauth2/v2.0/token``: grant_type=client_credentials with a client assertion
  (private_key_jwt: RS256 + x5t, or PS256 + x5t#S256/x5c as msal sends with public_certificate)
  or a client secret (documented by Microsoft for Entra, unsupported for Exchange but working).

``<tenant>`` is the tenant GUID or its onmicrosoft.com domain; metadata always names the GUID.
"""
import hashlib
import hmac
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import aadsts, jose
from .access_tokens import EXCHANGE_APP_ID, EXCHANGE_RESOURCE, AccessTokens
from .registration import RegisteredApp, Registration

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALLOWED_SCOPES = {f"{EXCHANGE_RESOURCE}/.default", f"{EXCHANGE_APP_ID}/.default"}


class TokenService:
    def __init__(self, registration: Registration, tokens: AccessTokens):
        self._registration = registration
        self._tokens = tokens

    def _tenant_id(self, tenant: str) -> str:
        if not self._registration.names_tenant(tenant):
            raise aadsts.unknown_tenant(tenant)
        return self._registration.tenant_id

    def token_endpoint(self, base_url: str) -> str:
        return f"{base_url}/{self._registration.tenant_id}/oauth2/v2.0/token"

    def openid_configuration(self, base_url: str, tenant: str) -> dict:
        tenant_id = self._tenant_id(tenant)
        root = f"{base_url}/{tenant_id}"
        return {
            "token_endpoint": self.token_endpoint(base_url),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": f"{base_url}/{tenant_id}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{root}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base_url}/oidc/userinfo",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "ver"],
            "kerberos_endpoint": f"{root}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    def token(self, base_url: str, tenant: str, form: dict[str, str], now: float | None = None) -> dict:
        """The token response for a client-credentials request, else an EntraError."""
        now = time.time() if now is None else now
        tenant_id = self._tenant_id(tenant)
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise aadsts.missing_parameter("grant_type")
        if grant_type != "client_credentials":
            raise aadsts.unsupported_grant(grant_type)
        client_id = form.get("client_id", "")
        if not client_id:
            raise aadsts.missing_parameter("client_id")
        app = self._registration.app(client_id)
        if app is None:
            raise aadsts.unknown_client(client_id, tenant_id)
        self._check_scope(form.get("scope", ""))
        if form.get("client_assertion"):
            accepted_audiences = {self.token_endpoint(base_url), f"{base_url}/{tenant}/oauth2/v2.0/token"}
            self._check_assertion(app, form, accepted_audiences, now)
            with_certificate = True
        elif form.get("client_secret"):
            if not any(hmac.compare_digest(form["client_secret"], known) for known in app.secrets):
                raise aadsts.invalid_secret(app.client_id)
            with_certificate = False
        else:
            raise aadsts.missing_credential()
        access_token, expires_in = self._tokens.issue(app, with_certificate, now=now)
        return {"token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in,
                "access_token": access_token}

    def _check_scope(self, scope: str) -> None:
        scopes = scope.split()
        if not scopes:
            raise aadsts.missing_parameter("scope")
        for item in scopes:
            if not item.endswith("/.default"):
                raise aadsts.invalid_scope(item)
            if item not in ALLOWED_SCOPES:
                # GUESS: the lab tenant only knows the Exchange Online resource.
                raise aadsts.unknown_resource(item[: -len("/.default")], self._registration.tenant_domain)

    def _check_assertion(self, app: RegisteredApp, form: dict[str, str], audiences: set[str], now: float) -> None:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise aadsts.missing_parameter("client_assertion_type")
        try:
            jws = jose.parse(form["client_assertion"])
        except jose.MalformedToken:
            raise aadsts.malformed_assertion() from None
        certificate, thumbprint = _find_certificate(app, jws.header)
        if certificate is None:
            raise aadsts.key_not_found(thumbprint, app.client_id)
        if jws.header.get("alg") not in ("RS256", "PS256") or not jose.signature_valid(jws, certificate.public_key()):
            raise aadsts.bad_signature(thumbprint, app.client_id)
        claims = jws.claims
        audience = claims.get("aud")
        audience_list = audience if isinstance(audience, list) else [audience]
        if not any(item in audiences for item in audience_list):
            raise aadsts.wrong_audience(str(audience))
        if claims.get("iss") != app.client_id:
            raise aadsts.issuer_mismatch(str(claims.get("iss")), app.client_id)
        if claims.get("sub") != app.client_id:
            raise aadsts.subject_mismatch(str(claims.get("sub")), app.client_id)
        expires, not_before = claims.get("exp"), claims.get("nbf", claims.get("iat", now))
        if not isinstance(expires, (int, float)) or not isinstance(not_before, (int, float)):
            raise aadsts.malformed_assertion()
        # GUESS: no clock-skew allowance (Entra is said to allow a few minutes); deterministic for tests.
        if expires <= now or not_before > now + 300:
            raise aadsts.not_in_time_range(now, not_before, expires)


def _find_certificate(app: RegisteredApp, header: dict) -> tuple[x509.Certificate | None, str]:
    """The registered certificate the header's x5t (SHA-1) or x5t#S256 names, and that thumbprint in hex."""
    for name, digest in (("x5t#S256", hashlib.sha256), ("x5t", hashlib.sha1)):
        value = header.get(name)
        if not isinstance(value, str):
            continue
        try:
            wanted = jose.b64url_decode(value)
        except ValueError:
            return None, value
        for certificate in app.certificates:
            if digest(certificate.public_bytes(serialization.Encoding.DER)).digest() == wanted:
                return certificate, wanted.hex().upper()
        return None, wanted.hex().upper()
    return None, ""
