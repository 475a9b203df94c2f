# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One SMTP session through a relay, recorded stage by stage.

``smtplib`` speaks the protocol; this module drives it one command at a time
so it can say where a session ended (connect, ehlo, starttls, auth, mail,
rcpt, data, quit), with which reply, and keep a transcript with every AUTH
payload masked.

A server's refusal (a reply code, or a missing extension) is an outcome, not
an error: it is returned. Failures that test nothing (no connection, a TLS
handshake that fails, a dropped connection) raise ``SmtpSessionError``.
"""

from __future__ import annotations

import errno
import re
import smtplib
import socket
import ssl

from ansible_collections.mailflow.exchange.plugins.module_utils._smtp.tls import session_details

MASK = "********"
# RFC 3463 enhanced status code at the start of a reply line: class.subject.detail.
_ENHANCED_CODE = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)")
# smtplib's own mechanisms, strongest first (as smtplib.SMTP.login orders them).
# GUESS: Exchange's Client Frontend offers "AUTH NTLM LOGIN" (GSSAPI too with Integrated auth),
# so LOGIN is what runs against Exchange.
_AUTH_MECHANISMS = ("CRAM-MD5", "PLAIN", "LOGIN")
# Certificate trouble the server reports with a TLS alert (OpenSSL reason names).
_CLIENT_CERTIFICATE_ALERTS = ("CERTIFICATE_REQUIRED", "BAD_CERTIFICATE", "UNKNOWN_CA",
                              "CERTIFICATE_UNKNOWN", "UNSUPPORTED_CERTIFICATE", "CERTIFICATE_EXPIRED")


def enhanced_code(reply):
    """The RFC 3463 enhanced status code a reply starts with, or None."""
    match = _ENHANCED_CODE.match(reply or "")
    return match.group(1) if match else None


class SmtpSessionError(Exception):
    """The session failed without a verdict from the server; ``partial`` is the result so far."""

    def __init__(self, message, stage, partial):
        super().__init__(message)
        self.message = message
        self.stage = stage
        self.partial = partial


class _Refused(Exception):
    """The server ended the attempt at ``stage``: a reply, or an extension it does not offer."""

    def __init__(self, stage, code, reply):
        super().__init__(reply)
        self.stage = stage
        self.code = code
        self.reply = reply


class Transcript:
    """Client and server lines as ``C: ...`` / ``S: ...``, notes as ``* ...``, in ``lines``."""

    def __init__(self):
        self.lines = []

    def client(self, line):
        self.lines.append("C: " + line)

    def server(self, code, text):
        lines = text.split("\n") if text else [""]
        for number, line in enumerate(lines, start=1):
            separator = " " if number == len(lines) else "-"
            self.lines.append(("S: %s%s%s" % (code, separator, line)).rstrip())

    def note(self, line):
        self.lines.append("* " + line)


class _Recording:
    """Mixin for smtplib.SMTP that records every command and reply."""

    def __init__(self, transcript, *args, tls_server_name=None, **kwargs):
        self.transcript = transcript
        self.masking_auth = False
        self.message_size = None
        self.tls_server_name = tls_server_name
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        if self.tls_server_name:
            # smtplib checks (and sends as SNI) the name it connected to, kept in _host;
            # a relay reached by address or alias must be checked against its real name.
            self._host = self.tls_server_name
        sock = super()._get_socket(host, port, timeout)
        local, remote = sock.getsockname(), sock.getpeername()
        self.transcript.note("connected to %s port %s from %s port %s" % (remote[0], remote[1], local[0], local[1]))
        if isinstance(sock, ssl.SSLSocket):  # implicit TLS: the handshake is done
            self._note_tls(sock)
        return sock

    def starttls(self, *args, **kwargs):
        answer = super().starttls(*args, **kwargs)
        self._note_tls(self.sock)
        return answer

    def _note_tls(self, sock):
        self.transcript.note("TLS %s %s" % (sock.version(), sock.cipher()[0]))

    def putcmd(self, cmd, args=""):
        self.transcript.client(self._masked(cmd, args))
        super().putcmd(cmd, args)

    def _masked(self, cmd, args):
        line = ("%s %s" % (cmd, args)) if args else cmd
        if not self.masking_auth:
            return line
        if cmd.upper() == "AUTH":
            mechanism = args.split(" ", 1)[0]
            return "AUTH %s %s" % (mechanism, MASK) if " " in args else "AUTH %s" % mechanism
        return MASK  # an answer to a challenge: credentials

    def getreply(self):
        code, message = super().getreply()
        self.transcript.server(code, _text(message))
        if code == 354 and self.message_size is not None:
            self.transcript.client("<message, %d bytes, then .>" % self.message_size)
        return code, message


class RecordingSMTP(_Recording, smtplib.SMTP):
    pass


class RecordingSMTPS(_Recording, smtplib.SMTP_SSL):
    pass


def _text(reply):
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)


class RelaySession:
    """Sends one message through a relay and returns what happened.

    ``settings`` keys: host, port, tls (none/starttls/implicit), context (an
    ssl.SSLContext when tls is used), helo, source_address, timeout, username,
    password, mail_from, rcpt_to, dsn_notify, message (bytes).
    """

    def __init__(self, settings):
        self.settings = settings
        self.transcript = Transcript()
        self.smtp = None
        self.stage = "connect"
        self.result = {
            "accepted": False, "stage": None, "code": None, "enhanced_code": None, "reply": None,
            "recipients": [], "transcript": self.transcript.lines, "tls": None,
            "ehlo_features": [], "warnings": [],
        }

    def run(self):
        try:
            try:
                self._connect()
                self._ehlo()
                if self.settings["tls"] == "starttls":
                    self._starttls()
                if self.settings.get("username"):
                    self._auth()
                self._mail()
                self._rcpt()
                self._data()
            except _Refused as refusal:
                self._record_verdict(refusal.stage, refusal.code, refusal.reply)
            self._quit()
        except (OSError, smtplib.SMTPException) as err:
            self.result["stage"] = self.stage
            raise SmtpSessionError(describe_failure(err, self.stage, self.settings), self.stage, self.result)
        finally:
            if self.smtp is not None:
                self.smtp.close()
        return self.result

    # --- stages ---------------------------------------------------------

    def _connect(self):
        settings = self.settings
        source = (settings["source_address"], 0) if settings.get("source_address") else None
        arguments = dict(host=settings["host"], port=settings["port"], local_hostname=settings.get("helo"),
                         timeout=settings["timeout"], source_address=source,
                         tls_server_name=settings.get("tls_server_name"))
        try:
            if settings["tls"] == "implicit":
                self.smtp = RecordingSMTPS(self.transcript, context=settings["context"], **arguments)
                self._record_tls()
            else:
                self.smtp = RecordingSMTP(self.transcript, **arguments)
        except smtplib.SMTPConnectError as err:  # a banner other than 220
            raise _Refused("connect", err.smtp_code, _text(err.smtp_error))

    def _ehlo(self):
        self.stage = "ehlo"
        code, reply = self.smtp.ehlo()
        if code != 250:
            raise _Refused("ehlo", code, _text(reply))
        self.result["ehlo_features"] = _text(reply).split("\n")[1:]

    def _starttls(self):
        self.stage = "starttls"
        if not self.smtp.has_extn("starttls"):
            raise _Refused("starttls", None, "the server does not offer STARTTLS; tls=none sends without TLS")
        self.result["ehlo_features_before_tls"] = self.result["ehlo_features"]
        try:
            self.smtp.starttls(context=self.settings["context"])
        except smtplib.SMTPResponseException as err:
            raise _Refused("starttls", err.smtp_code, _text(err.smtp_error))
        self._record_tls()
        self._ehlo()  # RFC 3207: forget what EHLO said in clear and ask again.

    def _auth(self):
        self.stage = "auth"
        if not self.smtp.has_extn("auth"):
            when = " before STARTTLS" if self.settings["tls"] == "none" else ""
            raise _Refused("auth", None, "the server does not offer AUTH%s" % when)
        offered = self.smtp.esmtp_features["auth"].upper().split()
        mechanism = next((name for name in _AUTH_MECHANISMS if name in offered), None)
        if mechanism is None:
            raise _Refused("auth", None, "no AUTH mechanism in common: the server offers %s, this module speaks %s"
                           % (" ".join(offered), " ".join(_AUTH_MECHANISMS)))
        # One mechanism, one attempt: smtplib.login would retry with every
        # mechanism, counting several logon failures against the account.
        self.smtp.user, self.smtp.password = self.settings["username"], self.settings["password"]
        authenticate = getattr(self.smtp, "auth_" + mechanism.lower().replace("-", "_"))
        self.smtp.masking_auth = True
        try:
            self.smtp.auth(mechanism, authenticate)
        except smtplib.SMTPAuthenticationError as err:
            raise _Refused("auth", err.smtp_code, _text(err.smtp_error))
        finally:
            self.smtp.masking_auth = False

    def _mail(self):
        self.stage = "mail"
        code, reply = self.smtp.mail(self.settings["mail_from"])
        if code != 250:
            raise _Refused("mail", code, _text(reply))

    def _rcpt(self):
        self.stage = "rcpt"
        options = self._dsn_options()
        for address in self.settings["rcpt_to"]:
            code, reply = self.smtp.rcpt(address, options)
            reply = _text(reply)
            self.result["recipients"].append({
                "address": address, "accepted": code in (250, 251), "code": code,
                "enhanced_code": enhanced_code(reply), "reply": reply,
            })
        refused = [r for r in self.result["recipients"] if not r["accepted"]]
        if refused:
            # All or nothing: a test never delivers to part of its recipients.
            raise _Refused("rcpt", refused[0]["code"], refused[0]["reply"])

    def _dsn_options(self):
        notify = self.settings.get("dsn_notify")
        if not notify:
            return ()
        if not self.smtp.has_extn("dsn"):
            self.result["warnings"].append("the server does not offer DSN: dsn_notify was not sent")
            return ()
        return ("NOTIFY=" + ",".join(notify),)

    def _data(self):
        self.stage = "data"
        message = self.settings["message"]
        self.smtp.message_size = len(message)
        try:
            code, reply = self.smtp.data(message)
        except smtplib.SMTPDataError as err:  # DATA itself refused (no 354)
            raise _Refused("data", err.smtp_code, _text(err.smtp_error))
        if code != 250:
            raise _Refused("data", code, _text(reply))
        self._record_verdict("quit", code, _text(reply), accepted=True)

    def _quit(self):
        self.stage = "quit"
        if self.smtp is None:  # refused at connect: smtplib has closed the socket
            return
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass  # the verdict is in; a lost goodbye changes nothing

    # --- results --------------------------------------------------------

    def _record_verdict(self, stage, code, reply, accepted=False):
        self.result.update(accepted=accepted, stage=stage, code=code, enhanced_code=enhanced_code(reply),
                           reply=reply)

    def _record_tls(self):
        self.result["tls"] = session_details(self.smtp.sock)


def describe_failure(err, stage, settings):
    """A message for a failure that names the option to look at."""
    where = "%s port %s" % (settings["host"], settings["port"])
    if isinstance(err, smtplib.SMTPServerDisconnected) and isinstance(err.__context__, OSError) \
            and not isinstance(err.__context__, smtplib.SMTPException):
        # smtplib turns any socket error while reading a reply into "disconnected"; the cause says more.
        return describe_failure(err.__context__, stage, settings)
    if isinstance(err, ssl.SSLCertVerificationError):
        if err.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
            return ("the TLS certificate of %s does not name %s (%s): connect with a host name the certificate "
                    "holds, or give that name in tls_server_name"
                    % (where, settings.get("tls_server_name") or settings["host"], err.verify_message))
        return ("the TLS certificate of %s is not trusted (%s): set ca_path to the PEM file of the CA that issued "
                "it, or validate_certs=false to skip the check (not recommended)" % (where, err.verify_message))
    if isinstance(err, ssl.SSLError):
        return _describe_tls_failure(err, stage, settings, where)
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return "%s closed the connection during %s: %s" % (where, stage, err)
    if isinstance(err, smtplib.SMTPException):
        return "SMTP failure with %s during %s: %s" % (where, stage, err)
    if isinstance(err, ConnectionRefusedError):
        return "%s refused the connection: nothing listens there; check host and port" % where
    if isinstance(err, socket.timeout):
        return ("no answer from %s within %s seconds during %s: check host, port and firewalls, or raise timeout"
                % (where, settings["timeout"], stage))
    if isinstance(err, socket.gaierror):
        return "cannot resolve host %s: %s" % (settings["host"], err)
    if err.errno == errno.EADDRNOTAVAIL and settings.get("source_address"):
        return "cannot send from source_address %s: it is not an address of this machine" % settings["source_address"]
    return "cannot talk to %s during %s: %s" % (where, stage, err)


def _describe_tls_failure(err, stage, settings, where):
    reason = err.reason or str(err)
    if any(alert in reason for alert in _CLIENT_CERTIFICATE_ALERTS):
        return ("%s refused the TLS client certificate (%s) during %s: check client_pfx or client_cert, and that "
                "the server trusts their CA" % (where, reason, stage))
    if settings["tls"] == "implicit" and stage == "connect":
        return ("TLS handshake with %s failed (%s): the port may not speak implicit TLS; use tls=starttls for "
                "ports 25 and 587, tls=implicit for 465" % (where, reason))
    return "TLS failure with %s during %s: %s" % (where, stage, reason)
