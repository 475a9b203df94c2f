# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""received_hops on headers in the shapes Exchange, Exchange Online Protection and Postfix write.

The samples are made up for these tests (documentation addresses, invented host names and ids).
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mailflow.exchange.plugins.filter.received_hops import FilterModule, received_hops

TLS12_CIPHER = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"

# A scanner relays through the on-premises anonymous relay connector (Front End Transport on MAIL1),
# which hands the message to the mailbox server MAIL2.
EXCHANGE_ONPREM = (
    "Received: from MAIL1.contoso.local (10.1.2.10) by MAIL2.contoso.local\n"
    " (10.1.2.11) with Microsoft SMTP Server (version=TLS1_2,\n"
    " cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2507.39; Tue, 4 Jun 2024\n"
    " 09:12:05 +0200\n"
    "Received: from scanner07.contoso.local (10.1.3.20) by MAIL1.contoso.local\n"
    " (10.1.2.10) with Microsoft SMTP Server id 15.1.2507.39 via Frontend Transport;\n"
    " Tue, 4 Jun 2024 09:12:01 +0200\n"
    "From: scanner07@contoso.com\n"
    "To: helpdesk@contoso.com\n"
    "Subject: Scanned document\n"
    "Message-ID: <scan-20240604-0912@contoso.com>\n"
    "\n"
    "Received: from body.example (192.0.2.99) by nowhere; Tue, 4 Jun 2024 09:00:00 +0000\n"
)

# Device -> on-premises relay (Postfix) -> Exchange Online Protection -> Exchange Online -> mailbox.
EXCHANGE_ONLINE = (
    "Received: from DB9PR04MB8123.eurprd04.prod.outlook.com (2603:10a6:10:2f1::14) by\n"
    " AS8PR04MB7745.eurprd04.prod.outlook.com with HTTPS; Tue, 4 Jun 2024 07:12:09\n"
    " +0000\n"
    "Received: from AM6P193CA0101.EURP193.PROD.OUTLOOK.COM (2603:10a6:209:88::42)\n"
    " by DB9PR04MB8123.eurprd04.prod.outlook.com (2603:10a6:10:2f1::14) with\n"
    " Microsoft SMTP Server (version=TLS1_2,\n"
    " cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7633.27; Tue, 4 Jun\n"
    " 2024 07:12:08 +0000\n"
    "Received: from AM2PEPF0001C70F.eurprd05.prod.outlook.com\n"
    " (2603:10a6:209:88:cafe::7e) by AM6P193CA0101.outlook.office365.com\n"
    " (2603:10a6:209:88::42) with Microsoft SMTP Server (version=TLS1_3,\n"
    " cipher=TLS_AES_256_GCM_SHA384) id 15.20.7633.27 via Frontend Transport; Tue,\n"
    " 4 Jun 2024 07:12:08 +0000\n"
    "Received: from relay.contoso.com (203.0.113.25) by\n"
    " AM2PEPF0001C70F.mail.protection.outlook.com (10.167.16.74) with Microsoft SMTP\n"
    " Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7633.15 via\n"
    " Frontend Transport; Tue, 4 Jun 2024 07:12:07 +0000\n"
    "Received: from [10.1.3.20] (unknown [10.1.3.20])\n"
    "\tby relay.contoso.com (Postfix) with ESMTP id 4VtX1q3ZPkz9sW4\n"
    "\tfor <helpdesk@contoso.com>; Tue,  4 Jun 2024 09:12:03 +0200 (CEST)\n"
    "Subject: relay test\n"
)

# A message from outside reaching a Postfix MX over IPv6 with TLS 1.3, then local delivery.
POSTFIX = (
    "Received: by mx1.example.org (Postfix, from userid 1001)\n"
    "\tid 4VtX2Y0qLmz9sRv; Tue,  4 Jun 2024 07:12:20 +0000 (UTC)\n"
    "Received: from mail.fabrikam.com (mail.fabrikam.com [IPv6:2001:db8:25::7])\n"
    "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
    "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n"
    "\t(No client certificate requested)\n"
    "\tby mx1.example.org (Postfix) with ESMTPS id 4VtX2X6mDCz9sRt\n"
    "\tfor <alice@example.org>; Tue,  4 Jun 2024 07:12:07 +0000 (UTC)\n"
)


def test_exchange_onprem_hops_oldest_first():
    hops = received_hops(EXCHANGE_ONPREM)
    assert len(hops) == 2  # the line in the body is not a header
    device, internal = hops
    assert device == {
        "index": 1, "from": "scanner07.contoso.local", "from_host": None, "from_ip": "10.1.3.20",
        "by": "MAIL1.contoso.local", "by_ip": "10.1.2.10", "with": "Microsoft SMTP Server",
        "via": "Frontend Transport", "tls": None, "id": "15.1.2507.39", "for": None,
        "time": "2024-06-04T07:12:01Z", "delay_seconds": None,
        "raw": "from scanner07.contoso.local (10.1.3.20) by MAIL1.contoso.local (10.1.2.10) with Microsoft SMTP "
               "Server id 15.1.2507.39 via Frontend Transport; Tue, 4 Jun 2024 09:12:01 +0200",
    }
    assert internal["index"] == 2
    assert (internal["from"], internal["from_ip"], internal["by"], internal["by_ip"]) == (
        "MAIL1.contoso.local", "10.1.2.10", "MAIL2.contoso.local", "10.1.2.11")
    assert internal["tls"] == {"version": "TLSv1.2", "cipher": TLS12_CIPHER}
    assert internal["via"] is None
    assert internal["time"] == "2024-06-04T07:12:05Z"
    assert internal["delay_seconds"] == 4


def test_exchange_online_path_through_eop():
    hops = received_hops(EXCHANGE_ONLINE)
    assert [hop["by"] for hop in hops] == [
        "relay.contoso.com",
        "AM2PEPF0001C70F.mail.protection.outlook.com",
        "AM6P193CA0101.outlook.office365.com",
        "DB9PR04MB8123.eurprd04.prod.outlook.com",
        "AS8PR04MB7745.eurprd04.prod.outlook.com",
    ]
    device, eop, frontend, mailbox, store = hops
    # Postfix relay: the device gave an address literal as HELO and has no reverse DNS.
    assert (device["from"], device["from_host"], device["from_ip"]) == ("[10.1.3.20]", None, "10.1.3.20")
    assert device["with"] == "ESMTP"
    assert device["for"] == "helpdesk@contoso.com"
    assert device["time"] == "2024-06-04T07:12:03Z"
    # EOP sees the relay's public address and records TLS 1.3.
    assert (eop["from"], eop["from_ip"], eop["by_ip"]) == ("relay.contoso.com", "203.0.113.25", "10.167.16.74")
    assert eop["tls"] == {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384"}
    assert eop["via"] == "Frontend Transport"
    assert eop["delay_seconds"] == 4
    # Inside Exchange Online the addresses are IPv6, unbracketed.
    assert frontend["from_ip"] == "2603:10a6:209:88:cafe::7e"
    assert frontend["by_ip"] == "2603:10a6:209:88::42"
    assert mailbox["tls"] == {"version": "TLSv1.2", "cipher": TLS12_CIPHER}
    assert mailbox["id"] == "15.20.7633.27"
    assert (store["with"], store["by_ip"], store["tls"]) == ("HTTPS", None, None)
    assert [hop["delay_seconds"] for hop in hops] == [None, 4, 1, 0, 1]


def test_postfix_with_ipv6_literal_and_tls_comment():
    external, local = received_hops(POSTFIX)
    assert external["from"] == "mail.fabrikam.com"
    assert external["from_host"] == "mail.fabrikam.com"
    assert external["from_ip"] == "2001:db8:25::7"
    assert external["by"] == "mx1.example.org"
    assert external["by_ip"] is None  # "(Postfix)" is the software, not an address
    assert external["with"] == "ESMTPS"
    assert external["tls"] == {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384"}
    assert external["id"] == "4VtX2X6mDCz9sRt"
    assert external["for"] == "alice@example.org"
    assert external["time"] == "2024-06-04T07:12:07Z"
    # Local delivery: no from-clause at all.
    assert (local["from"], local["from_ip"], local["by"], local["with"]) == (None, None, "mx1.example.org", None)
    assert local["id"] == "4VtX2Y0qLmz9sRv"
    assert local["delay_seconds"] == 13


def test_headers_only_pasted_with_crlf_and_leading_blank_lines():
    pasted = "\r\n\r\n" + EXCHANGE_ONPREM.partition("From:")[0].replace("\n", "\r\n")
    hops = received_hops(pasted)
    assert [hop["from"] for hop in hops] == ["scanner07.contoso.local", "MAIL1.contoso.local"]
    assert "\r" not in hops[1]["raw"] and "\n" not in hops[1]["raw"]


def test_exim_shape():
    header = ("Received: from host.fabrikam.com ([198.51.100.7] helo=smtp.fabrikam.com)\n"
              "\tby mx.example.net with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n"
              "\t(Exim 4.96) (envelope-from <bob@fabrikam.com>) id 1sEAbC-0007xY-2Q\n"
              "\tfor carol@example.net; Tue, 04 Jun 2024 07:12:07 +0000\n")
    (hop,) = received_hops(header)
    assert (hop["from"], hop["from_host"], hop["from_ip"]) == ("host.fabrikam.com", None, "198.51.100.7")
    assert hop["with"] == "esmtps"
    assert hop["tls"] == {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384"}
    assert hop["id"] == "1sEAbC-0007xY-2Q"
    assert hop["for"] == "carol@example.net"


def test_missing_and_broken_parts_are_null():
    headers = ("Received: from a.example (192.0.2.1) by b.example; not a date at all\n"
               "Received: (qmail 4711 invoked by uid 89); Tue, 4 Jun 2024 07:12:00 -0000\n"
               "Received: from c.example (c.example [192.0.2.3] (may be forged) by d.example\n")
    unbalanced, qmail, dated = received_hops(headers)
    assert (unbalanced["from"], unbalanced["from_ip"], unbalanced["by"], unbalanced["time"]) == (
        "c.example", "192.0.2.3", None, None)  # the unclosed comment swallows the rest
    assert qmail["from"] is None and qmail["by"] is None
    assert qmail["time"] == "2024-06-04T07:12:00Z"
    assert qmail["delay_seconds"] is None  # the previous hop has no date
    assert dated["time"] is None and dated["delay_seconds"] is None
    assert (dated["from_ip"], dated["by"]) == ("192.0.2.1", "b.example")


def test_clock_skew_gives_a_negative_delay():
    headers = ("Received: from b.example (192.0.2.2) by c.example (192.0.2.3); Tue, 4 Jun 2024 07:11:50 +0000\n"
               "Received: from a.example (192.0.2.1) by b.example (192.0.2.2); Tue, 4 Jun 2024 09:12:00 +0200\n")
    assert [hop["delay_seconds"] for hop in received_hops(headers)] == [None, -10]


def test_no_received_headers():
    assert received_hops("From: a@example.org\nSubject: hi\n\nbody\n") == []
    assert received_hops("") == []


def test_bytes_are_read_as_utf8():
    assert received_hops(EXCHANGE_ONPREM.encode())[0]["from_ip"] == "10.1.3.20"


@pytest.mark.parametrize("value", [None, 42, ["Received: from a by b; Tue, 4 Jun 2024 07:12:00 +0000"]])
def test_non_text_is_refused(value):
    with pytest.raises(AnsibleFilterError, match="expects the message or its headers as a string"):
        received_hops(value)


def test_registered_under_its_name():
    assert FilterModule().filters()["received_hops"] is received_hops
