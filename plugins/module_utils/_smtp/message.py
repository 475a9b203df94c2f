# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test message the relay test sends."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

# CRLF line ends; 7-bit transfer encoding so the message needs no 8BITMIME from the relay.
_WIRE_POLICY = policy.SMTP.clone(cte_type="7bit")


def build_message(mail_from, rcpt_to, subject, body, helo=None):
    """The message as bytes ready for DATA, and its Message-ID."""
    message = EmailMessage(policy=_WIRE_POLICY)
    message_id = make_msgid(domain=_id_domain(mail_from, helo))
    message["Message-ID"] = message_id
    message["Date"] = formatdate(usegmt=True)
    if mail_from:  # an empty one is the null reverse-path (MAIL FROM:<>), not a header
        message["From"] = mail_from
    message["To"] = ", ".join(rcpt_to)
    message["Subject"] = subject
    message.set_content(body)
    return message.as_bytes(), message_id


def _id_domain(mail_from, helo):
    # The sender's domain, like a mail client; make_msgid would otherwise look up the FQDN.
    domain = mail_from.rpartition("@")[2] if "@" in mail_from else ""
    return domain or helo or "localhost"
