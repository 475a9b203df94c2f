# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: received_hops
short_description: The path of a message, hop by hop, from its Received headers
version_added: 0.1.0
description:
  - Parses the C(Received) headers of a message into a list of hops, oldest first (the bottom header is
    the first hop), like the hop list of Microsoft's Message Header Analyzer, as data a task can check.
  - Understands the shapes Exchange Server, Exchange Online and Exchange Online Protection write (the HELO
    name and the bare address after C(from), the server and its address after C(by), C(with Microsoft SMTP Server)
    followed by the TLS version and cipher, C(via Frontend Transport)), and those of Postfix, Sendmail and Exim
    (the reverse DNS name and the bracketed address after the HELO name, a C(using TLSv1.3 with cipher) comment,
    C(with ESMTPS), C(for) the recipient).
  - Tolerant of folded lines, nested comments, IPv6 addresses (bracketed, with or without C(IPv6:)) and
    missing parts; what a header does not say is null.
author:
  - mailflow.exchange contributors (@mailflow)
positional: _input
options:
  _input:
    description:
      - The whole message, or only its header block (for example pasted from Outlook's message
        properties). Anything after the first empty line is ignored.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Prove the relay path of the test message (device -> relay -> EOP -> Exchange Online)
  vars:
    hops: "{{ delivered_message | mailflow.exchange.received_hops }}"
  ansible.builtin.assert:
    that:
      - hops[0].from_ip == '10.1.3.20'
      - hops | selectattr('by', 'search', 'mail.protection.outlook.com') | list | length == 1
      - hops | rejectattr('tls', 'none') | map(attribute='tls.version') | reject('in', ['TLSv1.2', 'TLSv1.3'])
        | list | length == 0

- name: Show where the time went
  ansible.builtin.debug:
    msg: "{{ item.index }}: {{ item.from }} -> {{ item.by }} ({{ item.with }}), {{ item.delay_seconds }} s"
  loop: "{{ delivered_message | mailflow.exchange.received_hops }}"
"""

RETURN = r"""
_value:
  description: One entry per C(Received) header, oldest first. Parts the header does not hold are null.
  type: list
  elements: dict
  contains:
    index:
      description: Position in the path, 1 for the first hop (the bottom header).
      type: int
    from:
      description: The name the sending side gave in HELO/EHLO (or the address literal it gave).
      type: str
      sample: printer01.contoso.local
    from_host:
      description: The sending side's name by reverse DNS, when the header gives one (Postfix, Sendmail,
        Exim; C(unknown) gives null). Exchange writes only the address.
      type: str
      sample: relay.fabrikam.com
    from_ip:
      description: The sending side's address, in normalised form.
      type: str
      sample: 10.1.3.20
    by:
      description: The receiving server.
      type: str
      sample: MAIL1.contoso.local
    by_ip:
      description: The receiving server's address, when the header gives one (Exchange does).
      type: str
      sample: 10.1.2.10
    with:
      description: Protocol, for example C(ESMTP), C(ESMTPS), C(ESMTPSA), C(Microsoft SMTP Server), C(HTTPS).
      type: str
    via:
      description: Exchange's C(via) part, for example C(Frontend Transport).
      type: str
    tls:
      description:
        - TLS of the hop, when the header says; null otherwise (C(ESMTPS) alone gives no version or cipher).
        - The version is spelled like Python's ssl (C(TLSv1.2)) when it is recognised, else as written.
      type: dict
      contains:
        version:
          description: Protocol version, for example C(TLSv1.2) (Exchange writes C(TLS1_2)).
          type: str
        cipher:
          description: Cipher suite as the header names it.
          type: str
    id:
      description: The receiving server's identifier of the message or of itself (Exchange writes its build number).
      type: str
    for:
      description: The recipient the header names.
      type: str
    time:
      description: The header's date, ISO 8601 in UTC (C(2024-06-04T07:12:03Z)); null when it cannot be read.
      type: str
    delay_seconds:
      description:
        - Seconds since the previous hop; null for the first hop or when a date is missing.
        - Negative when the two servers' clocks disagree.
      type: int
    raw:
      description: The header's value with its line folding removed.
      type: str
"""

import email.policy
import ipaddress
import re
from datetime import timezone
from email.parser import HeaderParser
from email.utils import parsedate_to_datetime

from ansible.errors import AnsibleFilterError

_CLAUSES = ("from", "by", "via", "with", "id", "for")
# "rdns [ip]", "[ip]", "unknown [IPv6:ip]" (Postfix, Sendmail, Exim).
_HOST_AND_LITERAL = re.compile(r"^(?:(?P<host>[^\s\[\]()]+)\s+)?\[(?:IPv6:)?(?P<ip>[0-9A-Fa-f:.]+)\]", re.I)
_EXCHANGE_TLS_VERSION = re.compile(r"\bversion=([\w.]+)", re.I)
_EXCHANGE_TLS_CIPHER = re.compile(r"\bcipher=([\w-]+)", re.I)
_POSTFIX_TLS = re.compile(r"\busing\s+(\S+)\s+with\s+cipher\s+(\S+)", re.I)
_TLS_VERSION = re.compile(r"^TLS\s*v?\s*1[._](\d)$", re.I)


def received_hops(message):
    """The hops of ``message``'s Received headers, oldest first."""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    if not isinstance(message, str):
        raise AnsibleFilterError("received_hops expects the message or its headers as a string, not %s"
                                 % type(message).__name__)
    # Pasted headers often start with blank lines, which would end the header block at once.
    headers = HeaderParser(policy=email.policy.compat32).parsestr(message.lstrip())
    values = [_unfold(value) for value in headers.get_all("Received", [])]
    hops = []
    for index, raw in enumerate(reversed(values), start=1):
        hop = parse_received(raw)
        hop["index"] = index
        hop["delay_seconds"] = _delay(hops[-1] if hops else None, hop)
        hops.append(hop)
    for hop in hops:
        del hop["_when"]
    return hops


def parse_received(raw):
    """One Received header value as a hop (without index and delay)."""
    clauses, date_text = _clauses(" ".join(raw.split()))
    sender = clauses.get("from", _EMPTY)
    receiver = clauses.get("by", _EMPTY)
    from_host, from_ip = _sender_address(sender)
    when = _date(date_text)
    return {
        "from": _first(sender["words"]),
        "from_host": from_host,
        "from_ip": from_ip,
        "by": _first(receiver["words"]),
        "by_ip": next(filter(None, (_ip(comment) for comment in receiver["comments"])), None),
        "with": _protocol(clauses.get("with", _EMPTY)["words"]),
        "via": " ".join(clauses.get("via", _EMPTY)["words"]) or None,
        "tls": _tls(clauses),
        "id": _first(clauses.get("id", _EMPTY)["words"]),
        "for": _recipient(clauses.get("for", _EMPTY)["words"]),
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None,
        "raw": raw,
        "_when": when,
    }


_EMPTY = {"words": [], "comments": []}


def _unfold(value):
    # RFC 5322 unfolding: a line break followed by white space is just the white space.
    return re.sub(r"\r?\n(?=[ \t])", "", value).strip()


def _clauses(text):
    """The header's clauses (keyword -> words and comments) and the date after its last ';'."""
    tokens, semicolon = _tokens(text)
    date_text = text[semicolon + 1:] if semicolon is not None else ""
    clauses, current = {}, None
    for kind, value, position in tokens:
        if semicolon is not None and position > semicolon:
            break
        if kind == "word" and value.lower() in _CLAUSES and value.lower() not in clauses:
            current = clauses[value.lower()] = {"words": [], "comments": []}
        elif current is not None:
            current["words" if kind == "word" else "comments"].append(value)
    return clauses, date_text


def _tokens(text):
    """Words, comments (nested parentheses) and the position of the last top-level ';'."""
    tokens, semicolon, position = [], None, 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
        elif char == ";":
            semicolon = position
            position += 1
        elif char == "(":
            end = _comment_end(text, position)
            tokens.append(("comment", text[position + 1:end].strip(), position))
            position = end + 1
        else:
            # [literal] and <address> are single words even with spaces inside.
            closer = {"[": "]", "<": ">"}.get(char)
            if closer and closer in text[position:]:
                end = text.index(closer, position) + 1
            else:
                end = position
                while end < len(text) and not text[end].isspace() and text[end] not in "();":
                    end += 1
            tokens.append(("word", text[position:end], position))
            position = end
    return tokens, semicolon


def _comment_end(text, start):
    depth, position = 0, start
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return position
        position += 1
    return len(text)  # unbalanced: the comment runs to the end


def _first(words):
    return words[0] if words else None


def _ip(text):
    candidate = text.strip().strip("[]")
    if candidate.lower().startswith("ipv6:"):
        candidate = candidate[5:]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _sender_address(clause):
    """(reverse-DNS name, address) of the sending side, from the from-clause's comments or literal."""
    for comment in clause["comments"]:
        match = _HOST_AND_LITERAL.match(comment)
        if match and _ip(match.group("ip")):
            host = match.group("host")
            return (None if not host or host.lower() == "unknown" else host), _ip(match.group("ip"))
        # GUESS: Exchange writes the sender's address alone, without reverse DNS (from memory of real
        # headers; EXCHANGE.md section 4 gives the generic "(<rdns> [<ip>])" shape, handled above).
        if _ip(comment):
            return None, _ip(comment)
    literal = _first(clause["words"])
    return None, (_ip(literal) if literal and literal.startswith("[") else None)


def _protocol(words):
    # Exim appends "tls <cipher>" to the protocol; that is TLS, not protocol.
    lowered = [word.lower() for word in words]
    if "tls" in lowered[1:]:
        words = words[:lowered.index("tls", 1)]
    return " ".join(words) or None


def _tls(clauses):
    comments = [c for clause in clauses.values() for c in clause["comments"]]
    version = cipher = None
    for comment in comments:
        postfix = _POSTFIX_TLS.search(comment)
        if postfix:
            version, cipher = postfix.groups()
            break
        exchange_version, exchange_cipher = _EXCHANGE_TLS_VERSION.search(comment), _EXCHANGE_TLS_CIPHER.search(comment)
        if exchange_version or exchange_cipher:
            version = exchange_version.group(1) if exchange_version else None
            cipher = exchange_cipher.group(1) if exchange_cipher else None
            break
    else:
        version, cipher = _exim_tls(clauses.get("with", _EMPTY))
    if version is None and cipher is None:
        return None
    return {"version": _tls_version(version), "cipher": cipher}


def _exim_tls(clause):
    """Exim: "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384"."""
    lowered = [word.lower() for word in clause["words"]]
    if "tls" not in lowered[1:]:
        return None, None
    position = lowered.index("tls", 1)
    cipher = clause["words"][position + 1] if position + 1 < len(lowered) else None
    version = next((c for c in clause["comments"] if _TLS_VERSION.match(c)), None)
    return version, cipher


def _tls_version(version):
    if version is None:
        return None
    match = _TLS_VERSION.match(version)
    return "TLSv1.%s" % match.group(1) if match else version


def _recipient(words):
    if not words:
        return None
    return " ".join(words).strip().strip("<>").strip() or None


def _date(text):
    text = " ".join(re.sub(r"\([^()]*\)", " ", text).split())  # drop "(UTC)"-style comments
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC with no claim about the local zone (RFC 5322)
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _delay(previous, hop):
    if previous is None or previous["_when"] is None or hop["_when"] is None:
        return None
    return int((hop["_when"] - previous["_when"]).total_seconds())


class FilterModule:
    """mailflow.exchange's message header filters."""

    def filters(self):
        return {"received_hops": received_hops}
