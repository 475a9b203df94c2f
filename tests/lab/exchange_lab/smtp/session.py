"""One SMTP connection as the receive connector that takes it says (aiosmtpd does the protocol).

``ExchangeSMTP`` picks the connector when the client connects (its source mapped to the
device it plays) and configures banner and STARTTLS certificate from it; ``ConnectorRules``
holds aiosmtpd's hooks, which enforce what that connector allows: EHLO features, AUTH,
permissions (ms-Exch-SMTP-Submit, ms-Exch-SMTP-Accept-Any-Recipient), RequireTLS, size.
"""
import email.utils
import hmac
import logging
from datetime import datetime, timezone
from itertools import count
from typing import Callable, Optional

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword

from ..transport.credentials import LabCredentials
from . import headers, replies
from .mailboxes import Mailboxes
from .selection import ListenerKey, select_connector
from .source_map import device_address
from .tls import ContextCache, describe

log = logging.getLogger(__name__)

SUBMIT = "ms-exch-smtp-submit"
ACCEPT_ANY_RECIPIENT = "ms-exch-smtp-accept-any-recipient"
AUTH_MECHANISMS = ("LOGIN", "PLAIN")

# aiosmtpd warns about its own deprecated Session.login_data on every successful AUTH.
logging.getLogger("mail.log").addFilter(lambda record: "login_data is deprecated" not in record.getMessage())


class ExchangeSMTP(SMTP):
    """aiosmtpd's SMTP protocol for one connection, configured by the connector that takes it."""

    AuthLoginUsernameChallenge = replies.AUTH_LOGIN_USERNAME
    AuthLoginPasswordChallenge = replies.AUTH_LOGIN_PASSWORD

    def __init__(self, rules: "ConnectorRules", listener: ListenerKey, loop):
        self.listener = listener
        self.connector = None
        self.fqdn = None            # the name the connector answers with
        self.device = None          # the device address the client plays
        self.peer = None            # the client's real (loopback) address
        self.listener_ip = None     # the local address the Received header names
        self._rules = rules
        self._refused = False
        # Size, AUTH-over-TLS and STARTTLS are the connector's business: aiosmtpd's own
        # checks are switched off and the hooks in ConnectorRules decide.
        super().__init__(rules, loop=loop, hostname="localhost", data_size_limit=None,
                         auth_require_tls=False, authenticator=rules.authenticate)

    def connection_made(self, transport) -> None:
        if self.transport is None:  # the TCP connection (not the TLS layer STARTTLS puts on it)
            self._rules.attach(self, transport)
            if self.connector is None:
                self._refused = True
                transport.write((replies.NO_CONNECTOR + "\r\n").encode())
                transport.close()
                return
        super().connection_made(transport)

    def connection_lost(self, error) -> None:
        self._rules.detach(self)
        if not self._refused:
            super().connection_lost(error)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class ConnectorRules:
    """aiosmtpd handler: what the session's connector allows, read live from the Exchange model."""

    def __init__(self, view, org, credentials: LabCredentials, mailboxes: Mailboxes,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc).astimezone()):
        self._view = view
        self._org = org
        self._credentials = credentials
        self._mailboxes = mailboxes
        self._clock = clock
        self._tls = ContextCache()
        self._internal_ids = count(1)
        self.live: set[ExchangeSMTP] = set()

    # -- connection ------------------------------------------------------------------------------
    def attach(self, server: ExchangeSMTP, transport) -> None:
        """Pick the connector for this connection and set banner and STARTTLS certificate."""
        self.live.add(server)
        peer, local = transport.get_extra_info("peername")[0], transport.get_extra_info("sockname")[0]
        listener = server.listener
        server.peer = peer
        server.device = device_address(peer)
        server.listener_ip = str(listener.address) if listener.address is not None else local
        try:
            connector = select_connector(self._view.connectors(self._org), listener.server, listener.address,
                                         listener.port, server.device)
            server.connector = connector
            if connector is not None:
                # GUESS: an empty Fqdn means the server's own name (the model knows no domain for it).
                server.fqdn = connector.fqdn or connector.server
                server.tls_context = self._tls_context(connector)
                server.hostname, server.__ident__ = _banner_parts(connector.banner, server.fqdn, self._clock())
        except Exception:  # a broken model read must not kill the listener: refuse this client
            log.exception("cannot choose a receive connector for %s", peer)
            server.connector = None

    def detach(self, server: ExchangeSMTP) -> None:
        self.live.discard(server)

    def _tls_context(self, connector):
        # STARTTLS is offered when the connector has Tls and the certificate its TlsCertificateName
        # names exists (Set-ReceiveConnector.md, -TlsCertificateName: "<I>X.500Issuer<S>X.500Subject").
        if "Tls" not in connector.auth_mechanism or connector.tls_certificate is None:
            return None
        issuer, subject = connector.tls_certificate
        material = self._view.tls_material(self._org, connector.server, issuer, subject)
        return self._tls.get(*material) if material else None

    # -- greeting ---------------------------------------------------------------------------------
    async def handle_HELO(self, server, session, envelope, hostname):
        session.host_name = hostname
        return "250 " + replies.hello(server.fqdn, str(server.device))

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        connector = server.connector
        lines = [replies.hello(server.fqdn, str(server.device))]
        if connector.max_message_size:
            lines.append(f"SIZE {connector.max_message_size}")
        lines.append("ENHANCEDSTATUSCODES")
        if server.tls_context is not None and session.ssl is None:
            lines.append("STARTTLS")
        if _basic_auth_offered(connector, session):
            lines.append("AUTH " + " ".join(AUTH_MECHANISMS))
        lines.append("8BITMIME")
        return [f"250-{line}" for line in lines[:-1]] + [f"250 {lines[-1]}"]

    # -- authentication ---------------------------------------------------------------------------
    async def handle_AUTH(self, server, session, envelope, args):
        self._record_auth_attempt(server, session, args)
        if server.connector.require_tls and session.ssl is None:
            return replies.STARTTLS_FIRST
        if not _basic_auth_offered(server.connector, session) or args[0].upper() not in AUTH_MECHANISMS:
            return replies.AUTH_NOT_OFFERED
        return MISSING  # aiosmtpd runs the LOGIN/PLAIN exchange, then calls authenticate()

    def _record_auth_attempt(self, server, session, args) -> None:
        # Recorded before any answer: an AUTH PLAIN initial response already carries the password,
        # whatever the connector then replies. Only the mechanism is kept, never the arguments.
        self._mailboxes.record_auth_attempt({
            "server": server.connector.server, "connector": server.connector.name, "source": str(server.device),
            "peer": server.peer, "tls": session.ssl is not None, "mechanism": args[0].upper() if args else None,
            "with_credential": len(args) > 1})

    def authenticate(self, server, session, envelope, mechanism: str, auth_data: LoginPassword) -> AuthResult:
        """The lab account (LAB\\exadmin, exadmin or exadmin@lab.test) with its password."""
        login = auth_data.login.decode("utf-8", "replace")
        user = self._credentials.canonical_user(login)
        if user is not None and hmac.compare_digest(auth_data.password, self._credentials.password.encode()):
            return AuthResult(success=True, auth_data=user, message=replies.AUTH_OK)
        return AuthResult(success=False, handled=False, message=replies.AUTH_FAILED)

    # -- envelope ---------------------------------------------------------------------------------
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        connector = server.connector
        if connector.require_tls and session.ssl is None:
            return replies.STARTTLS_FIRST
        user = _user(session)
        if SUBMIT not in self._rights(connector, user):
            return replies.NOT_AUTHENTICATED if user is None else replies.SUBMIT_DENIED
        declared = _declared_size(mail_options)
        if connector.max_message_size and declared and declared > connector.max_message_size:
            return replies.TOO_BIG
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return replies.SENDER_OK

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = address.rpartition("@")[2].lower()
        if not self._accepted(domain) and ACCEPT_ANY_RECIPIENT not in self._rights(server.connector, _user(session)):
            return replies.UNABLE_TO_RELAY
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return replies.RECIPIENT_OK

    async def handle_DATA(self, server, session, envelope):
        connector = server.connector
        content = envelope.original_content
        if connector.max_message_size and len(content) > connector.max_message_size:
            return replies.TOO_BIG
        tls = describe(session.ssl.get("ssl_object")) if session.ssl else None
        fields = [headers.received(session.host_name or str(server.device), str(server.device), server.fqdn,
                                   server.listener_ip, tls, connector.transport_role == "FrontendTransport",
                                   self._clock())]
        message_id = headers.message_id_of(content)
        if message_id is None:
            message_id = headers.new_message_id(server.fqdn)
            fields.append(f"Message-ID: {message_id}")
        stamped = headers.prepend(content, fields)
        record = {"server": connector.server, "connector": connector.name, "identity": connector.identity,
                  "source": str(server.device), "peer": server.peer, "helo": session.host_name,
                  "mail_from": envelope.mail_from, "tls": tls, "auth_user": _user(session),
                  "message_id": message_id}
        for recipient in envelope.rcpt_tos:
            self._mailboxes.deliver(recipient, stamped, record)
        return replies.queued(message_id, next(self._internal_ids), server.fqdn)

    # -- model reads ------------------------------------------------------------------------------
    def _rights(self, connector, user: Optional[str]) -> frozenset:
        return self._view.session_rights(self._org, connector.identity, user)

    def _accepted(self, domain: str) -> bool:
        for accepted, _type in self._view.accepted_domains(self._org):
            if domain == accepted or (accepted.startswith("*.") and domain.endswith(accepted[1:])):
                return True
        return False


def _user(session) -> Optional[str]:
    return session.auth_data if session.authenticated else None


def _basic_auth_offered(connector, session) -> bool:
    # AuthMechanism BasicAuth offers AUTH; with BasicAuthRequireTLS only once STARTTLS is done
    # (Set-ReceiveConnector.md, -AuthMechanism; EXCHANGE.md section 4).
    if "BasicAuth" not in connector.auth_mechanism:
        return False
    return "BasicAuthRequireTLS" not in connector.auth_mechanism or session.ssl is not None


def _declared_size(mail_options: list[str]) -> Optional[int]:
    for option in mail_options:
        name, _, value = option.partition("=")
        if name.upper() == "SIZE" and value.isdigit():
            return int(value)
    return None


def _banner_parts(banner: Optional[str], fqdn: str, now: datetime) -> tuple[str, str]:
    """(hostname, rest): aiosmtpd greets with "220 <hostname> <rest>"."""
    banner = banner or replies.default_banner(fqdn, email.utils.format_datetime(now))
    text = banner[4:] if banner.startswith("220 ") else banner.removeprefix("220")
    hostname, _, rest = text.partition(" ")
    return hostname, rest
