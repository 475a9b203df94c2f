"""aiosmtpd hooks of the EOP stand-in: the relay rule at RCPT, delivery with the two Received hops at DATA.

The tenant's inbound connectors and accepted domains are read under the tenant lock at each
RCPT, so a connector created over the REST endpoint counts from the next recipient on.
The client's loopback source 127.a.b.c plays 10.a.b.c (``..smtp.source_map``, the on-premises
lab's convention): SenderIPAddresses name 10.x addresses in the lab, not public ones.
"""
import copy
import email.utils
import logging
from datetime import datetime, timezone
from itertools import count
from typing import Callable, Optional

from cryptography import x509

from ..smtp import headers as smtp_headers
from ..smtp.mailboxes import Mailboxes
from ..smtp.source_map import device_address
from ..smtp.tls import describe
from . import certificates, relay_rule, trace

log = logging.getLogger(__name__)

# GUESS: EOP's acknowledgements and EHLO answer; 5.7.64 is from EXCHANGE.md section 4.
SENDER_OK = "250 2.1.0 Sender OK"
RECIPIENT_OK = "250 2.1.5 Recipient OK"
MAX_SIZE = 157286400  # GUESS: the 150 MB EHLO SIZE of Exchange Online


def banner_ident(now: datetime) -> str:
    # GUESS: EOP greets like Exchange: "220 <host> Microsoft ESMTP MAIL Service ready at <date>".
    return f"Microsoft ESMTP MAIL Service ready at {email.utils.format_datetime(now)}"


class EopRules:
    """aiosmtpd handler for ``<tenant>.mail.protection.outlook.com``."""

    def __init__(self, tenant, mailboxes: Mailboxes,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self._tenant = tenant
        self._mailboxes = mailboxes
        self._clock = clock
        self._ids = count(1)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        lines = [f"{trace.EOP_HOST} Hello [{_client_address(session)}]", f"SIZE {MAX_SIZE}"]
        if server.tls_context is not None and session.ssl is None:
            lines.append("STARTTLS")
        lines += ["ENHANCEDSTATUSCODES", "8BITMIME"]
        return [f"250-{line}" for line in lines[:-1]] + [f"250 {lines[-1]}"]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return SENDER_OK

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = address.rpartition("@")[2]
        with self._tenant.lock:  # a consistent copy; the REST side edits these lists under the lock
            accepted = copy.deepcopy(self._tenant.accepted_domains)
            connectors = copy.deepcopy(self._tenant.inbound_connectors)
        connector = relay_rule.attributed_connector(connectors, _client(session))
        if connector is None and not relay_rule.is_accepted(domain, accepted):
            return relay_rule.RELAY_DENIED
        if connector is not None:
            envelope.eop_connector = connector["Name"]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return RECIPIENT_OK

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content
        tls = describe(session.ssl.get("ssl_object")) if session.ssl else None
        device = str(_client_address(session))
        helo = session.host_name or device
        now = self._clock()
        listener_ip = server.transport.get_extra_info("sockname")[0]
        fields = [trace.exo_received(now), trace.eop_received(helo, device, listener_ip, tls, now)]
        message_id = smtp_headers.message_id_of(content)
        if message_id is None:
            message_id = smtp_headers.new_message_id(trace.EOP_HOST)
            fields.append(f"Message-ID: {message_id}")
        stamped = smtp_headers.prepend(content, fields)
        peer_certificate = _peer_certificate(session)
        record = {"hop": "eop", "server": trace.EOP_HOST, "connector": getattr(envelope, "eop_connector", None),
                  "source": device, "peer": session.peer[0], "helo": session.host_name,
                  "mail_from": envelope.mail_from, "tls": tls,
                  "client_certificate": peer_certificate.subject.rfc4514_string() if peer_certificate else None,
                  "auth_user": None, "message_id": message_id}
        for recipient in envelope.rcpt_tos:
            self._mailboxes.deliver(recipient, stamped, record)
        # GUESS: the shape of EOP's DATA acknowledgement (as Exchange's).
        return (f"250 2.6.0 {message_id} [InternalId={next(self._ids)}, Hostname={trace.EOP_HOST}] "
                "Queued mail for delivery")


def _client_address(session):
    return device_address(session.peer[0])


def _peer_certificate(session) -> Optional[x509.Certificate]:
    ssl_object = session.ssl.get("ssl_object") if session.ssl else None
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return x509.load_der_x509_certificate(der) if der else None


def _client(session) -> relay_rule.Client:
    certificate = _peer_certificate(session)
    names = tuple(certificates.certificate_names(certificate)) if certificate else ()
    return relay_rule.Client(address=_client_address(session), tls=session.ssl is not None, certificate_names=names)
