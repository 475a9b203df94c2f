"""WinRM message encryption over HTTP: the multipart framing around sealed SOAP.

[MS-WSMV] 2.2.9.1: after NTLM/Kerberos authentication every body travels as
``multipart/encrypted`` with two parts: a header part giving the plain length,
then an octet-stream part holding a 4-byte little-endian signature length, the
signature and the sealed bytes. ``context`` is a pyspnego context created with
``NegotiateOptions.wrapping_winrm``.
"""
import re
import struct
from typing import Any

PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
# [MS-WSMV] 2.2.9.1.1: the protocol a client names after authenticating with the Kerberos scheme.
KERBEROS_PROTOCOL = "application/HTTP-Kerberos-session-encrypted"
PROTOCOLS = (PROTOCOL, KERBEROS_PROTOCOL)
BOUNDARY = "Encrypted Boundary"

_MARKER = b"--" + BOUNDARY.encode()
_OCTET_HEADER = b"\tContent-Type: application/octet-stream\r\n"
_LENGTH = re.compile(rb"Length=(\d+)")


class SealingError(Exception):
    """The body claims to be encrypted but cannot be opened."""


def protocol_of(content_type: str) -> str | None:
    """The encryption protocol a sealed body names, or None for a plain body."""
    value = content_type.lower()
    if not value.startswith("multipart/encrypted"):
        return None
    return next((protocol for protocol in PROTOCOLS if protocol.lower() in value), None)


def unseal(context: Any, body: bytes) -> bytes:
    """Return the plain SOAP inside one encrypted multipart body."""
    # Clients differ in whitespace after "--" (pypsrp notes Exchange does), so
    # split on the boundary with optional blanks.
    parts = re.split(rb"--\s*" + re.escape(BOUNDARY.encode()) + rb"\r\n", body)
    parts = [part for part in parts if part]
    if len(parts) != 2:
        raise SealingError(f"expected 2 MIME parts, got {len(parts)}")
    length_match = _LENGTH.search(parts[0])
    if not length_match or not parts[1].startswith(_OCTET_HEADER):
        raise SealingError("the MIME headers of the encrypted body are not WinRM's")
    payload = parts[1][len(_OCTET_HEADER):]
    end = payload.rfind(_MARKER + b"--")
    if end < 0:
        raise SealingError("the closing boundary is missing")
    payload = payload[:end]
    if len(payload) < 4:
        raise SealingError("the encrypted part is truncated")
    (signature_length,) = struct.unpack("<I", payload[:4])
    signature = payload[4:4 + signature_length]
    sealed = payload[4 + signature_length:]
    try:
        plain = context.unwrap_winrm(signature, sealed)
    except Exception as exc:  # pyspnego raises several types for a bad seal
        raise SealingError(f"decryption failed: {exc}") from exc
    if len(plain) != int(length_match.group(1)):
        raise SealingError("the decrypted length does not match the announced length")
    return plain


def seal(context: Any, plain: bytes, protocol: str = PROTOCOL) -> tuple[str, bytes]:
    """Encrypt ``plain``; return the Content-Type header value and the body (named ``protocol``)."""
    wrapped = context.wrap_winrm(plain)
    length = len(plain) + wrapped.padding_length
    head = (
        f"--{BOUNDARY}\r\n"
        f"\tContent-Type: {protocol}\r\n"
        f"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={length}\r\n"
        f"--{BOUNDARY}\r\n"
    ).encode() + _OCTET_HEADER
    body = head + struct.pack("<I", len(wrapped.header)) + wrapped.header + wrapped.data
    content_type = f'multipart/encrypted;protocol="{protocol}";boundary="{BOUNDARY}"'
    return content_type, body + _MARKER + b"--\r\n"
