"""Compact JWS (RFC 7515) as Entra ID uses it: RS256 and PS256 over RSA keys, with `cryptography`.

Only what the lab needs: split a token without trusting it, check a signature
with a given public key, and sign the lab's own access tokens (RS256).
"""
import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class MalformedToken(ValueError):
    """Not three base64url parts with JSON header and claims."""


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    # msal pads its x5t values with '=' (EXO-LAB-NOTES); tolerate padding either way.
    text = text.rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Jws:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def parse(token: str) -> Jws:
    """The parts of a compact JWS, nothing verified yet."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise MalformedToken("a JWT has three dot-separated parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedToken(str(exc)) from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise MalformedToken("JWT header and claims must be JSON objects")
    return Jws(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def _padding(alg: str) -> padding.AsymmetricPadding:
    if alg == "RS256":
        return padding.PKCS1v15()
    if alg == "PS256":
        # RFC 7518 3.5: MGF1 with SHA-256, salt as long as the hash.
        return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)
    raise ValueError(f"unsupported JWS algorithm {alg!r}")


def signature_valid(jws: Jws, public_key: rsa.RSAPublicKey) -> bool:
    """True if ``jws`` is signed (RS256 or PS256, per its header) by ``public_key``."""
    try:
        public_key.verify(jws.signature, jws.signing_input, _padding(str(jws.header.get("alg"))), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def sign_rs256(private_key: rsa.RSAPrivateKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    header = {"typ": "JWT", **header, "alg": "RS256"}
    signing_input = ".".join(
        b64url_encode(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url_encode(signature)}"
