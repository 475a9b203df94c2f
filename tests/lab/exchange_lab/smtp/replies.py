"""The SMTP replies the lab's Exchange gives, in one place.

Texts marked GUESS are from memory of Exchange protocol logs, not from EXCHANGE.md or
Microsoft's docs.
"""
# EXCHANGE.md section 4 / the seed how-to (anonymous relay to a non-accepted domain).
UNABLE_TO_RELAY = "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"
# GUESS: Exchange's answer to MAIL FROM in a session without ms-Exch-SMTP-Submit.
NOT_AUTHENTICATED = "530 5.7.1 Client was not authenticated"
# GUESS: an authenticated session without ms-Exch-SMTP-Submit.
SUBMIT_DENIED = "550 5.7.1 Client does not have permission to submit mail to this server"
# GUESS: RequireTLS before STARTTLS (Exchange may use 5.7.0 here).
STARTTLS_FIRST = "530 5.7.1 Must issue a STARTTLS command first"
# GUESS: MAIL FROM SIZE= or DATA above MaxMessageSize.
TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size"
# GUESS: AUTH with a mechanism the connector does not offer now (e.g. before STARTTLS).
AUTH_NOT_OFFERED = "504 5.7.4 Unrecognized authentication type"
# GUESS: Exchange's AUTH replies and AUTH LOGIN prompts.
AUTH_OK = "235 2.7.0 Authentication successful"
AUTH_FAILED = "535 5.7.3 Authentication unsuccessful"
AUTH_LOGIN_USERNAME = "Username:"
AUTH_LOGIN_PASSWORD = "Password:"
# GUESS: no enabled connector matches the client; Exchange drops such connections.
NO_CONNECTOR = "421 4.3.2 Service not available, closing transmission channel"
# GUESS: Exchange's acknowledgements.
SENDER_OK = "250 2.1.0 Sender OK"
RECIPIENT_OK = "250 2.1.5 Recipient OK"


def queued(message_id: str, internal_id: int, fqdn: str) -> str:
    # GUESS: the shape of Exchange's DATA acknowledgement.
    return f"250 2.6.0 {message_id} [InternalId={internal_id}, Hostname={fqdn}] Queued mail for delivery"


def hello(fqdn: str, device: str) -> str:
    # GUESS: "250-<fqdn> Hello [<client ip>]" is the first line of Exchange's EHLO/HELO answer.
    return f"{fqdn} Hello [{device}]"


def default_banner(fqdn: str, date: str) -> str:
    # Set-ReceiveConnector.md, -Banner: "220 <ServerName> Microsoft ESMTP MAIL service ready at
    # <RegionalDay-Date-24HourTimeFormat><RegionalTimeZoneOffset>"; the Fqdn parameter is what fills
    # <ServerName> (Set-ReceiveConnector.md, -Fqdn: "used ... in the default SMTP banner").
    # GUESS: "Service" capitalised as real servers print it (the doc writes "service").
    return f"220 {fqdn} Microsoft ESMTP MAIL Service ready at {date}"
