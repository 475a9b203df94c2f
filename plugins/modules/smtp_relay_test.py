#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: smtp_relay_test
short_description: Send one test message through an SMTP relay and prove it is accepted or refused
version_added: 0.1.0
description:
  - Connects to an SMTP relay (an Exchange receive connector, Exchange Online Protection's
    C(<tenant>.mail.protection.outlook.com), or any SMTP server), optionally with STARTTLS or implicit TLS,
    a client certificate and AUTH, and sends one message to O(rcpt_to).
  - Reports exactly what happened (the stage where the session ended, the server's reply code, enhanced
    status code and text, each recipient's answer, the TLS session, the EHLO extensions and a transcript),
    so a role can prove that a relay works, or that it refuses what it must refuse.
  - The task fails when the outcome differs from O(expect), O(expect_code) or O(expect_enhanced_code), with
    a message saying what was expected and what the server answered.
  - A refusal by the server (a reply code, or STARTTLS or AUTH not offered) is an outcome to compare with
    O(expect). Failures that test nothing (no connection, a TLS handshake that fails, a dropped connection)
    always fail the task, whatever O(expect) says, with a message naming the option to look at.
  - When the server refuses any recipient the message is sent to none of them, so a test never delivers to
    part of its recipients; every recipient's answer is still reported.
  - The module never reports a change, since sending a test message changes no configuration.
author:
  - mailflow.exchange contributors (@mailflow)
attributes:
  check_mode:
    support: full
    description: Checks the options and the certificate files, builds the message and reports what would be
      sent; nothing is sent and no connection is made.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to compare.
options:
  host:
    description:
      - Name or address of the SMTP server.
      - With TLS and O(validate_certs=true) it must be a name (or address) the server's certificate holds.
    type: str
    required: true
  port:
    description:
      - TCP port. Defaults to 465 with O(tls=implicit), else 25.
      - Exchange's C(Default Frontend) and Exchange Online Protection listen on 25, Exchange's
        C(Client Frontend) (authenticated submission) on 587.
    type: int
  tls:
    description:
      - V(starttls) upgrades the connection with STARTTLS before anything else is sent, and ends the test
        (as a refusal at stage C(starttls)) when the server does not offer it.
      - V(implicit) speaks TLS from the first byte (SMTPS, usually port 465).
      - V(none) sends everything in clear text, like many printers and scanners do.
      - The default is V(starttls) because it is the safe choice that works with every relay this collection
        configures (Exchange receive connectors and Exchange Online Protection offer STARTTLS on 25 and 587);
        a test in clear text must be asked for.
    type: str
    choices: [none, starttls, implicit]
    default: starttls
  validate_certs:
    description:
      - Verify the server's certificate and that it names O(host).
      - Turning it off is reported as a warning.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities trusted for the server's certificate, instead of the system's
        store. For relays with a certificate of a private CA.
    type: path
  tls_server_name:
    description:
      - Name the server's certificate must hold (also sent as SNI), when O(host) is an address or an alias
        the certificate does not name, for example a relay reached through a load balancer's address.
      - Defaults to O(host).
    type: str
  client_pfx:
    description:
      - PKCS#12 (PFX) file with the client certificate and its key, presented during the TLS handshake
        (the Exchange Online certificate-based relay). Needs O(tls) other than V(none).
      - The key is handed to Python's C(ssl) through a temporary file readable only by the current user, with
        the key encrypted by a one-time passphrase, deleted before connecting.
    type: path
  client_pfx_password:
    description:
      - Password of O(client_pfx). Never logged.
    type: str
  client_cert:
    description:
      - PEM file of the client certificate (and its key, when O(client_key) is not set). Needs O(tls) other
        than V(none).
    type: path
  client_key:
    description:
      - PEM file of the unencrypted private key of O(client_cert).
    type: path
  username:
    description:
      - Account for SMTP AUTH (CRAM-MD5, PLAIN or LOGIN, the first the server offers in that order). One
        attempt only, so a wrong password counts one logon failure.
    type: str
  password:
    description:
      - Password of O(username). Never logged, and masked in the transcript with the whole AUTH exchange.
    type: str
  allow_auth_without_tls:
    description:
      - Allow AUTH with O(tls=none), which sends the password in clear text. Meant for labs only.
      - With O(username) and O(password) it also needs O(send_password_in_clear_text=true), so that a real
        password never goes over a plain session by one switch alone.
      - To prove that a relay refuses AUTH before STARTTLS, send no credential at all. Run without O(username)
        and check that RV(ehlo_features) holds no C(AUTH), as the C(onprem_relay) role does.
    type: bool
    default: false
  send_password_in_clear_text:
    description:
      - Confirms that O(password) may be sent in clear text (O(tls=none) with O(allow_auth_without_tls=true)),
        readable by anyone on the network path and by any server that offers AUTH there.
      - Every task that uses it gets a warning. Use it only with a throwaway account in a lab.
    type: bool
    default: false
  source_address:
    description:
      - Local address to send from, to play a given device (for example C(127.0.0.77) on a test
        machine, or the address a printer will use).
    type: str
  helo:
    description:
      - Name sent with EHLO. Defaults to the controller's fully qualified name, or its address in brackets
        when that name has no dot (as Python's C(smtplib) does).
    type: str
  mail_from:
    description:
      - Envelope sender (MAIL FROM), also written as the C(From) header. An empty string sends the null
        sender C(<>).
    type: str
    required: true
  rcpt_to:
    description:
      - Envelope recipients (RCPT TO), also written as the C(To) header.
    type: list
    elements: str
    required: true
  subject:
    description:
      - Subject of the message.
    type: str
    default: mailflow.exchange relay test
  body:
    description:
      - Text of the message.
    type: str
    default: This is a test message sent by the mailflow.exchange.smtp_relay_test Ansible module.
  dsn_notify:
    description:
      - Delivery status notifications to ask for, sent as C(NOTIFY=) with every RCPT (RFC 3461), for example
        V(SUCCESS) and V(FAILURE), like the relay how-tos' OnSuccess and OnFailure.
      - Sent only when the server offers DSN; otherwise a warning says it was left out.
      - V(NEVER) cannot be combined with the others.
    type: list
    elements: str
    choices: [NEVER, SUCCESS, FAILURE, DELAY]
  timeout:
    description:
      - Seconds to wait for the connection and for each reply.
    type: int
    default: 30
  expect:
    description:
      - V(accepted) fails the task unless the server takes the message for every recipient.
      - V(rejected) fails the task unless the server refuses it (at any stage).
      - V(any) only reports.
    type: str
    choices: [accepted, rejected, any]
    default: accepted
  expect_code:
    description:
      - Reply code the deciding answer must have (RV(code)), for example V(550).
    type: int
  expect_enhanced_code:
    description:
      - Enhanced status code the deciding answer must have (RV(enhanced_code)), for example V(5.7.54)
        (Exchange's C(Unable to relay)) or V(5.7.64) (Exchange Online Protection's C(Relay Access Denied)).
    type: str
requirements:
  - cryptography on the controller, for O(client_pfx) and for the details of the server's certificate
notes:
  - >-
    Runs on the controller (C(connection: local) or C(delegate_to: localhost)); the relay sees the
    controller's address, or O(source_address).
  - Uses Python's C(smtplib) and C(ssl); TLS 1.2 is the lowest version offered.
seealso:
  - module: mailflow.exchange.receive_connector
  - plugin: mailflow.exchange.received_hops
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Anonymous relay to an accepted domain works out of the box (Default Frontend)
  mailflow.exchange.smtp_relay_test:
    host: mail1.contoso.com
    tls: none
    mail_from: printer01@contoso.com
    rcpt_to: [helpdesk@contoso.com]
  delegate_to: localhost

- name: Relay to an external domain is refused until the anonymous relay connector exists
  mailflow.exchange.smtp_relay_test:
    host: mail1.contoso.com
    tls: none
    mail_from: printer01@contoso.com
    rcpt_to: [someone@fabrikam.com]
    expect: rejected
    expect_code: 550
    expect_enhanced_code: 5.7.54
  delegate_to: localhost

- name: Authenticated submission on the Client Frontend connector
  mailflow.exchange.smtp_relay_test:
    host: mail.contoso.com
    port: 587
    username: CONTOSO\scanner
    password: "{{ scanner_password }}"
    mail_from: scanner@contoso.com
    rcpt_to: [someone@fabrikam.com]
  delegate_to: localhost

- name: Exchange Online certificate relay, one internal and one external recipient, with DSN
  mailflow.exchange.smtp_relay_test:
    host: contoso-com.mail.protection.outlook.com
    client_pfx: files/relay.contoso.com.pfx
    client_pfx_password: "{{ relay_pfx_password }}"
    helo: relay.contoso.com
    mail_from: app@contoso.com
    rcpt_to: [helpdesk@contoso.com, someone@fabrikam.com]
    dsn_notify: [SUCCESS, FAILURE]
  delegate_to: localhost
  register: relay

- name: Show the TLS session
  ansible.builtin.debug:
    msg: "{{ relay.tls.version }} {{ relay.tls.cipher }}, server certificate {{ relay.tls.peer_certificate.subject }}"
"""

RETURN = r"""
accepted:
  description: Whether the server took the message for every recipient.
  returned: success, and failure after a session
  type: bool
  sample: false
stage:
  description:
    - Where the session ended, one of C(connect), C(ehlo), C(starttls), C(auth), C(mail), C(rcpt), C(data), C(quit)
      (C(quit) when the message was accepted).
  returned: success, and failure after a session
  type: str
  sample: rcpt
code:
  description:
    - Reply code of the deciding answer, the refusal or the answer to the end of the message.
    - Null when the session ended without an answer (STARTTLS or AUTH not offered).
  returned: success, and failure after a session
  type: int
  sample: 550
enhanced_code:
  description: The RFC 3463 enhanced status code the deciding answer starts with, if any.
  returned: success, and failure after a session
  type: str
  sample: 5.7.54
reply:
  description: Text of the deciding answer (lines joined with newlines), without the reply code.
  returned: success, and failure after a session
  type: str
  sample: 5.7.54 SMTP; Unable to relay recipient in non-accepted domain
recipients:
  description: Each recipient's answer to RCPT, in the order of O(rcpt_to); empty when the session ended earlier.
  returned: success, and failure after a session
  type: list
  elements: dict
  contains:
    address:
      description: The recipient.
      type: str
    accepted:
      description: Whether the server accepted the recipient (250 or 251).
      type: bool
    code:
      description: Reply code.
      type: int
    enhanced_code:
      description: Enhanced status code, if any.
      type: str
    reply:
      description: Reply text.
      type: str
  sample:
    - {address: someone@fabrikam.com, accepted: false, code: 550, enhanced_code: 5.7.54,
       reply: "5.7.54 SMTP; Unable to relay recipient in non-accepted domain"}
message_id:
  description: The C(Message-ID) header of the message, to find it in the recipient's mailbox or message trace.
  returned: always, once the options are accepted
  type: str
  sample: <171750312345.12345.6789@contoso.com>
transcript:
  description:
    - The session, one entry per line, C(C:) for the client, C(S:) for the server, C(*) for notes (connection,
      TLS). The message itself is shown as its size; AUTH payloads are replaced by C(********).
  returned: success, and failure after a connection attempt
  type: list
  elements: str
  sample:
    - "* connected to 10.1.2.10 port 25 from 10.1.3.20 port 50123"
    - "S: 220 MAIL1.contoso.com Microsoft ESMTP MAIL Service ready"
    - "C: ehlo printer01.contoso.com"
    - "S: 250-MAIL1.contoso.com Hello [10.1.3.20]"
    - "S: 250 STARTTLS"
tls:
  description: The TLS session, when TLS was used.
  returned: success, when TLS was used
  type: dict
  contains:
    version:
      description: Protocol version, as Python's ssl names it.
      type: str
      sample: TLSv1.2
    cipher:
      description: Cipher suite, OpenSSL's name.
      type: str
      sample: ECDHE-RSA-AES256-GCM-SHA384
    cipher_bits:
      description: Secret bits of the cipher.
      type: int
      sample: 256
    peer_certificate:
      description: The server's certificate (also when it was not validated).
      type: dict
      contains:
        subject:
          description: Subject, most specific part first.
          type: str
          sample: CN=mail.contoso.com
        issuer:
          description: Issuer, most specific part first.
          type: str
          sample: CN=R3, O=Let's Encrypt, C=US
        not_after:
          description: End of validity, ISO 8601 in UTC.
          type: str
          sample: "2025-06-04T23:59:59Z"
        thumbprint:
          description: SHA-1 thumbprint in upper-case hex, the form C(Get-ExchangeCertificate) prints.
          type: str
ehlo_features:
  description: The extensions the last EHLO answer listed (after STARTTLS, when used), as the server wrote them.
  returned: success, when EHLO was answered
  type: list
  elements: str
  sample: [SIZE 37748736, PIPELINING, DSN, ENHANCEDSTATUSCODES, STARTTLS, 8BITMIME, BINARYMIME, CHUNKING]
ehlo_features_before_tls:
  description: The extensions EHLO listed before STARTTLS, to see what the server offers in clear text (AUTH or not).
  returned: when STARTTLS was used
  type: list
  elements: str
would_send:
  description: What the module would send, in check mode.
  returned: check mode
  type: dict
  sample:
    host: mail1.contoso.com
    port: 25
    tls: starttls
    mail_from: printer01@contoso.com
    rcpt_to: [someone@fabrikam.com]
    message: "Message-ID: <...>\r\nDate: ...\r\n..."
"""

import ipaddress
import re

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailflow.exchange.plugins.module_utils._smtp.expect import (
    EXPECTATIONS,
    option_problems,
    outcome_summary,
    unmet_expectations,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._smtp.message import build_message
from ansible_collections.mailflow.exchange.plugins.module_utils._smtp.session import RelaySession, SmtpSessionError
from ansible_collections.mailflow.exchange.plugins.module_utils._smtp.tls import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    TlsSetupError,
    client_context,
)

DEFAULT_PORTS = {"none": 25, "starttls": 25, "implicit": 465}

ARGUMENT_SPEC = dict(
    host=dict(type="str", required=True),
    port=dict(type="int"),
    tls=dict(type="str", default="starttls", choices=["none", "starttls", "implicit"]),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    tls_server_name=dict(type="str"),
    client_pfx=dict(type="path"),
    client_pfx_password=dict(type="str", no_log=True),
    client_cert=dict(type="path"),
    client_key=dict(type="path", no_log=False),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    allow_auth_without_tls=dict(type="bool", default=False),
    send_password_in_clear_text=dict(type="bool", default=False, no_log=False),
    source_address=dict(type="str"),
    helo=dict(type="str"),
    mail_from=dict(type="str", required=True),
    rcpt_to=dict(type="list", elements="str", required=True),
    subject=dict(type="str", default="mailflow.exchange relay test"),
    body=dict(type="str",
              default="This is a test message sent by the mailflow.exchange.smtp_relay_test Ansible module."),
    dsn_notify=dict(type="list", elements="str", choices=["NEVER", "SUCCESS", "FAILURE", "DELAY"]),
    timeout=dict(type="int", default=30),
    expect=dict(type="str", default="accepted", choices=list(EXPECTATIONS)),
    expect_code=dict(type="int"),
    expect_enhanced_code=dict(type="str"),
)


# RFC 5321 4.1.2: a mailbox is Local-part "@" Domain; CR, LF, angle brackets and spaces would end the
# command or the header early (command and header injection), so they are refused outright.
_MAILBOX = re.compile(r"[^\s<>@\x00-\x1f\x7f]+@[^\s<>@\x00-\x1f\x7f]+")
_HELO = re.compile(r"[^\s\x00-\x1f\x7f]+")


def address_problems(params):
    """Envelope addresses, EHLO name, source address and port that cannot be sent as they are."""
    problems = []
    if params["mail_from"] and not _MAILBOX.fullmatch(params["mail_from"]):
        problems.append("mail_from: %r is not a mailbox; use local@domain without spaces, angle brackets or "
                        "line breaks (or an empty string for the null sender)" % params["mail_from"])
    for recipient in params["rcpt_to"] or ():
        if not _MAILBOX.fullmatch(recipient or ""):
            problems.append("rcpt_to: %r is not a mailbox; use local@domain without spaces, angle brackets or "
                            "line breaks" % recipient)
    if params["helo"] is not None and not _HELO.fullmatch(params["helo"]):
        problems.append("helo: %r is not an EHLO name; use a host name or an address literal such as "
                        "[10.1.2.3], without spaces or line breaks" % params["helo"])
    if params["source_address"] is not None:
        try:
            ipaddress.ip_address(params["source_address"])
        except ValueError:
            problems.append("source_address: %r is not an IP address; use an IPv4 or IPv6 address of the "
                            "controller" % params["source_address"])
    if params["port"] is not None and not 1 <= params["port"] <= 65535:
        problems.append("port: %d is not a TCP port; use 1 to 65535" % params["port"])
    return problems


def cleartext_auth_problems(params):
    """AUTH over a plain session sends the password to anyone on the path: it takes two explicit options."""
    if not params["username"] or params["tls"] != "none":
        return []
    if not params["allow_auth_without_tls"]:
        return ["AUTH with tls=none sends the password in clear text: use tls=starttls (or implicit), "
                "or allow_auth_without_tls=true in a lab"]
    if not params["send_password_in_clear_text"]:
        return ["allow_auth_without_tls=true with username and password sends the real password in clear text "
                "to whatever answers on %s: set send_password_in_clear_text=true as well if this is a throwaway lab "
                "account; to prove that AUTH is refused before STARTTLS, send no username and check ehlo_features"
                % params["host"]]
    return []


def cleartext_auth_warning(params):
    """The warning every task that sends a password in clear text gets (None when it sends none)."""
    if params["username"] and params["tls"] == "none":
        return ("send_password_in_clear_text=true: the password of %s is sent in clear text to %s, readable by "
                "anyone on the network path" % (params["username"], params["host"]))
    return None


def option_problems_of(params):
    """Combinations that are unsafe or cannot work, before anything is sent."""
    problems = option_problems(params["expect"], params["expect_code"], params["expect_enhanced_code"])
    if not params["rcpt_to"]:
        problems.append("rcpt_to needs at least one recipient")
    problems.extend(address_problems(params))
    problems.extend(cleartext_auth_problems(params))
    if params["tls"] == "none" and (params["client_pfx"] or params["client_cert"]):
        problems.append("a client certificate is presented during TLS: it needs tls=starttls or tls=implicit")
    if params["dsn_notify"] and "NEVER" in params["dsn_notify"] and len(params["dsn_notify"]) > 1:
        problems.append("dsn_notify NEVER cannot be combined with SUCCESS, FAILURE or DELAY (RFC 3461)")
    if params["timeout"] <= 0:
        problems.append("timeout must be a positive number of seconds")
    return problems


def session_settings(params, context, message):
    """What RelaySession needs, from the module's options."""
    return dict(
        host=params["host"], port=params["port"] or DEFAULT_PORTS[params["tls"]], tls=params["tls"],
        tls_server_name=params["tls_server_name"], context=context, helo=params["helo"], source_address=params["source_address"],
        timeout=params["timeout"], username=params["username"], password=params["password"],
        mail_from=params["mail_from"], rcpt_to=params["rcpt_to"], dsn_notify=params["dsn_notify"],
        message=message,
    )


def would_send(settings, message):
    shown = ("host", "port", "tls", "helo", "source_address", "username", "mail_from", "rcpt_to", "dsn_notify")
    plan = {key: settings[key] for key in shown}
    plan["message"] = message.decode("ascii", "replace")
    return plan


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("client_pfx", "client_cert")],
        required_together=[("username", "password")],
        required_by={"client_key": "client_cert", "client_pfx_password": "client_pfx"},
    )
    params = module.params
    problems = option_problems_of(params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    cleartext_warning = cleartext_auth_warning(params)
    if cleartext_warning:
        module.warn(cleartext_warning)
    if params["client_pfx"] and CRYPTOGRAPHY_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
    if params["tls"] != "none" and not params["validate_certs"]:
        module.warn("validate_certs=false: the relay's certificate is not checked, so the test proves nothing about "
                    "it and the password (if any) may go to an impostor. Use ca_path for a private CA.")

    context = None
    if params["tls"] != "none":
        try:
            context = client_context(params["validate_certs"], params["ca_path"], params["client_cert"],
                                     params["client_key"], params["client_pfx"], params["client_pfx_password"])
        except TlsSetupError as err:
            module.fail_json(msg=str(err))
    message, message_id = build_message(params["mail_from"], params["rcpt_to"], params["subject"], params["body"],
                                        params["helo"])
    settings = session_settings(params, context, message)

    if module.check_mode:
        module.exit_json(changed=False, message_id=message_id, would_send=would_send(settings, message))

    try:
        result = RelaySession(settings).run()
    except SmtpSessionError as err:
        partial = _reportable(module, err.partial)
        module.fail_json(msg=err.message, message_id=message_id, **partial)
    result = _reportable(module, result)
    unmet = unmet_expectations(result, params["expect"], params["expect_code"], params["expect_enhanced_code"])
    if unmet:
        module.fail_json(msg="%s, but %s" % ("; ".join(unmet), outcome_summary(result)), message_id=message_id,
                         **result)
    module.exit_json(changed=False, message_id=message_id, **result)


def _reportable(module, result):
    """The session's result without its warnings, which go to module.warn."""
    result = dict(result)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if result.get("tls") is None:
        result.pop("tls", None)
    return result


if __name__ == "__main__":
    main()
