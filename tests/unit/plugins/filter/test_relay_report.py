# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one-page relay report."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mailflow.exchange.plugins.filter.received_hops import received_hops
from ansible_collections.mailflow.exchange.plugins.filter.relay_report import relay_report

MESSAGE = (
    "Received: from relay.contoso.com (203.0.113.10) by EOP.mail.protection.outlook.com (10.0.0.9) with Microsoft "
    "SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.1.1; "
    "Tue, 4 Jun 2024 07:12:05 +0000\n"
    "Received: from printer (10.1.2.3) by MAIL1.contoso.local (10.1.2.10) with Microsoft SMTP Server id 15.1.2507.6 "
    "via Frontend Transport; Tue, 4 Jun 2024 07:12:03 +0000\n"
    "Subject: test\n\nbody\n"
)


def test_the_page_shows_the_path_the_hops_and_the_preview():
    preview = dict(connector="RELAY <MAIL1>", reason="most specific", candidates=[
        dict(name="RELAY <MAIL1>", selected=True, reason="most specific"),
        dict(name="Default Frontend MAIL1", selected=False, reason="less specific")])
    page = relay_report([dict(title="Printer & co", hops=received_hops(MESSAGE), connector="RELAY <MAIL1>",
                              recipient="someone@example.net", result="250 2.6.0 queued", preview=preview)],
                        "Relay <report>")
    assert page.startswith("<!DOCTYPE html>")
    assert "Relay &lt;report&gt;" in page and "Printer &amp; co" in page
    assert "<script" not in page and "RELAY <MAIL1>" not in page
    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    texts = [element.text for element in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    # device -> relay (with its connector) -> EOP -> recipient, and the TLS of each hop on the arrows
    assert texts[:2] == ["device", "10.1.2.3"]
    assert "connector: RELAY <MAIL1>" in texts
    assert "plain SMTP" in texts and "TLSv1.2" in texts
    assert texts[-2:] == ["recipient", "someone@example.net"]
    assert "less specific" in page


def test_input_must_be_a_list_of_dicts():
    with pytest.raises(AnsibleFilterError):
        relay_report("not a list")


def _boxes(page):
    """(rect width, [texts], title) of each box of the first picture."""
    svg = ElementTree.fromstring(page[page.index("<svg"):page.index("</svg>") + len("</svg>")])
    namespace = "{http://www.w3.org/2000/svg}"
    return [(int(group.find(namespace + "rect").get("width")), [text.text for text in group.iter(namespace + "text")],
             group.find(namespace + "title").text) for group in svg.iter(namespace + "g")]


def _report(connector, host):
    message = MESSAGE.replace("MAIL1.contoso.local", host)
    return relay_report([dict(title="t", hops=received_hops(message), connector=connector,
                              recipient="someone@example.net")])


def test_a_box_grows_with_its_text_and_shows_names_of_64_characters_whole():
    connector, host = "ANONYMOUS RELAY WIN-CTD3L0RGEN4 " + "W" * 32, "WIN-CTD3L0RGEN4." + "w" * 37 + ".contoso.com"
    short_width = _boxes(_report("RELAY", "MAIL1"))[1][0]
    width, texts, title = _boxes(_report(connector, host))[1]
    assert texts == [host, "connector: " + connector]
    assert width > short_width
    assert title == "%s connector: %s" % (host, connector)


def test_a_longer_text_is_shortened_and_its_tooltip_keeps_it_whole():
    host = "relay-" + "x" * 120 + ".contoso.com"
    width, texts, title = _boxes(_report("RELAY", host))[1]
    assert texts[0].endswith("\u2026") and len(texts[0]) == 80 and host.startswith(texts[0][:-1])
    assert host in title
