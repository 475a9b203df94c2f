"""The trace headers Exchange adds when it accepts a message."""
import email.utils
import uuid
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Optional

# GUESS: the build Exchange prints after "id" (Exchange 2016 CU23), fixed for the lab.
EXCHANGE_BUILD = "15.1.2507.6"
_MAX_LINE = 78


def received(helo: str, device: str, fqdn: str, listener_ip: str, tls: Optional[dict],
             frontend: bool, when: datetime) -> str:
    """Exchange's Received field (folded, without the trailing CRLF).

    ``Received: from <helo> (<device ip>) by <connector fqdn> (<listener ip>) with Microsoft SMTP
    Server (version=TLS1_2, cipher=<IANA name>) id <build> via Frontend Transport; <date>``
    """
    # GUESS: Exchange writes "with Microsoft SMTP Server" (not RFC 3848's ESMTP/ESMTPS/ESMTPSA),
    # the TLS part only when the session used STARTTLS, and "via Frontend Transport" only on
    # connectors of the Front End Transport service.
    protocol = "Microsoft SMTP Server"
    if tls:
        protocol += f" (version={tls['version']}, cipher={tls['cipher']})"
    via = " via Frontend Transport" if frontend else ""
    value = (f"from {helo} ({device}) by {fqdn} ({listener_ip}) with {protocol} id {EXCHANGE_BUILD}{via}; "
             f"{email.utils.format_datetime(when)}")
    return fold("Received", value)


def new_message_id(fqdn: str) -> str:
    # GUESS: Exchange's own Message-IDs are <32 hex digits@server fqdn>.
    return f"<{uuid.uuid4().hex}@{fqdn}>"


def message_id_of(content: bytes) -> Optional[str]:
    value = BytesHeaderParser(policy=compat32).parsebytes(content).get("Message-ID")
    return str(value).strip() if value else None


def fold(name: str, value: str) -> str:
    """``name: value`` folded at spaces so lines stay within 78 characters where possible (RFC 5322 2.2.3)."""
    lines, line = [], f"{name}:"
    for word in value.split(" "):
        if len(line) + 1 + len(word) > _MAX_LINE and line.strip():
            lines.append(line)
            line = f" {word}"
        else:
            line = f"{line} {word}"
    lines.append(line)
    return "\r\n".join(lines)


def prepend(content: bytes, fields: list[str]) -> bytes:
    """``content`` with header ``fields`` added on top (CRLF line ends, as on the wire)."""
    return "".join(field + "\r\n" for field in fields).encode("ascii", "replace") + content
