# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: relay_report
short_description: A one-page HTML report of relay paths, with a picture of each
version_added: 0.1.0
description:
  - Renders relay proofs as one self-contained HTML page (no scripts, no external files). For each path it shows an
    inline SVG picture I(device -> connector -> EOP/Exchange Online -> recipient), the hop table from
    the message's C(Received) headers, and the connector-selection preview with the reason each candidate lost.
  - The hops are the output of the P(mailflow.exchange.received_hops#filter) filter; the preview is the result of
    M(mailflow.exchange.receive_connector_preview) or M(mailflow.exchange.inbound_connector_preview).
  - Every value is HTML-escaped.
author:
  - mailflow.exchange contributors (@mailflow)
positional: _input, title
options:
  _input:
    description:
      - The paths, each a dict with C(title), C(hops) (from P(mailflow.exchange.received_hops#filter)), and
        optionally C(connector) (the connector that took the message), C(recipient), C(result) (the server's
        answer), C(preview) (a preview module's result) and C(note).
    type: list
    elements: dict
    required: true
  title:
    description: Title of the page.
    type: str
    default: Relay report
"""

EXAMPLES = r"""
- name: Write the report of the relay proof
  ansible.builtin.copy:
    dest: /tmp/relay-report.html
    mode: "0644"
    content: >-
      {{ [{'title': 'Printer via MAIL1', 'connector': 'ANONYMOUS RELAY MAIL1', 'recipient': 'someone@example.net',
           'result': '250 2.6.0 Queued mail for delivery', 'hops': message | mailflow.exchange.received_hops,
           'preview': preview}]
         | mailflow.exchange.relay_report('Relays of contoso') }}
"""

RETURN = r"""
_value:
  description: The HTML page.
  type: str
"""

import math
import unicodedata
from html import escape

from ansible.errors import AnsibleFilterError

# Picture geometry in pixels. Boxes and the gaps between them grow with their text.
_MIN_BOX_WIDTH = 160
_BOX_HEIGHT = 58
_BOX_PADDING = 14
_MIN_GAP = 54
_MARGIN = 12
# Font sizes, one name a line: ansible-doc warns on a tuple unpacked at the top level (failing its sanity test).
_LABEL_SIZE = 12
_DETAIL_SIZE = 10
_ARROW_SIZE = 9
# Longer texts are shortened with an ellipsis; the box's <title> (a tooltip) keeps them whole.
_LONGEST_TEXT = 80
# Advance widths in em, rounded up: the wider of DejaVu Sans Bold and Liberation Sans (Arial's metrics), as
# Chromium measured them, so a box sized from them holds its text in the usual sans-serif fonts, bold or not.
_EM_WIDTHS = {
    0.35: " 'ijl", 0.4: ",./:;I\\|", 0.45: "-f", 0.5: "!()[]`rt", 0.55: '"*', 0.6: "J_csz", 0.65: "?Lx",
    0.7: "$0123456789EFTaekovy", 0.75: "CPSYZbdghnpqu{}", 0.8: "ABKRVX", 0.85: "#+<=>DGHNOQU^~", 0.9: "&",
    0.95: "w", 1.0: "M", 1.05: "%@m", 1.15: "W",
}
_CHAR_EM = {char: width for width, chars in _EM_WIDTHS.items() for char in chars}
# Anything else (accents, other scripts, symbols) counts as wide as the widest letter.
_OTHER_EM = 1.15
_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 70em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } .won { background: #e8f5e9; } .muted { color: #666; }
"""


def _text(value):
    return escape("" if value is None else str(value))


def _nodes(path):
    """The boxes of the picture: (label, sub-label) from the device through each hop to the recipient."""
    hops = path.get("hops") or []
    nodes = []
    if hops:
        first = hops[0]
        nodes.append(("device", first.get("from_ip") or first.get("from") or "?"))
    for number, hop in enumerate(hops):
        label = hop.get("by") or "?"
        detail = hop.get("by_ip") or ""
        if number == 0 and path.get("connector"):
            detail = "connector: %s" % path["connector"]
        nodes.append((label, detail))
    if path.get("recipient"):
        nodes.append(("recipient", path["recipient"]))
    return nodes


def _arrow_labels(path, count):
    hops = path.get("hops") or []
    labels = []
    for number in range(count - 1):
        hop = hops[number] if number < len(hops) else None
        if hop is None:
            labels.append("delivered")
        elif hop.get("tls"):
            labels.append(hop["tls"].get("version") or "TLS")
        else:
            labels.append("plain SMTP")
    return labels


def _text_width(text, size):
    """An upper bound of the text's width in pixels at font size ``size`` (accented letters as their base)."""
    return size * sum(_CHAR_EM.get(unicodedata.normalize("NFKD", char)[:1], _OTHER_EM) for char in text)


def _shorten(text):
    text = str(text or "")
    return text if len(text) <= _LONGEST_TEXT else text[:_LONGEST_TEXT - 1] + "\u2026"


def _box_width(label, detail):
    text = max(_text_width(_shorten(label), _LABEL_SIZE), _text_width(_shorten(detail), _DETAIL_SIZE))
    return max(_MIN_BOX_WIDTH, int(math.ceil(text)) + 2 * _BOX_PADDING)


def _gap_width(arrow_label):
    return max(_MIN_GAP, int(math.ceil(_text_width(arrow_label, _ARROW_SIZE))) + 12)


def _box(left, top, width, node, highlighted):
    """One box with its two lines; its <title> (a tooltip) holds both texts in full."""
    label, detail = node
    middle = left + width // 2
    return ('<g><title>%s</title>'
            '<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s" stroke="#555"/>'
            '<text x="%d" y="%d" font-size="%d" text-anchor="middle" font-weight="bold">%s</text>'
            '<text x="%d" y="%d" font-size="%d" text-anchor="middle">%s</text></g>'
            % (_text("%s %s" % (label, detail)), left, top, width, _BOX_HEIGHT, "#e3f2fd" if highlighted else "#fff8e1",
               middle, top + 23, _LABEL_SIZE, _text(_shorten(label)),
               middle, top + 41, _DETAIL_SIZE, _text(_shorten(detail))))


def _arrow(start, top, gap, label):
    middle = top + _BOX_HEIGHT // 2
    return ('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555" marker-end="url(#arrow)"/>'
            '<text x="%d" y="%d" font-size="%d" text-anchor="middle">%s</text>'
            % (start, middle, start + gap - 2, middle, start + gap // 2, top - 6, _ARROW_SIZE, _text(label)))


def _svg(path):
    nodes = _nodes(path)
    if not nodes:
        return ""
    labels = _arrow_labels(path, len(nodes))
    widths = [_box_width(label, detail) for label, detail in nodes]
    gaps = [_gap_width(label) for label in labels]
    top = _MARGIN + 18
    parts = []
    left = _MARGIN
    for number, node in enumerate(nodes):
        parts.append(_box(left, top, widths[number], node, number in (0, len(nodes) - 1)))
        left += widths[number]
        if number < len(gaps):
            parts.append(_arrow(left, top, gaps[number], labels[number]))
            left += gaps[number]
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="relay path">'
            '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
            '<path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>%s</svg>'
            % (left + _MARGIN, top + _BOX_HEIGHT + _MARGIN, "".join(parts)))


def _hop_table(hops):
    if not hops:
        return '<p class="muted">No Received headers.</p>'
    rows = ["<tr><th>#</th><th>from</th><th>by</th><th>with</th><th>TLS</th><th>time</th></tr>"]
    for hop in hops:
        tls = hop.get("tls") or {}
        rows.append("<tr><td>%s</td><td>%s %s</td><td>%s %s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            _text(hop.get("index")), _text(hop.get("from")), _text(hop.get("from_ip")), _text(hop.get("by")),
            _text(hop.get("by_ip")), _text(" ".join(filter(None, (hop.get("with"), hop.get("via"))))),
            _text(" ".join(filter(None, (tls.get("version"), tls.get("cipher"))))), _text(hop.get("time"))))
    return "<table>%s</table>" % "".join(rows)


def _preview_table(preview):
    if not preview:
        return ""
    rows = ["<tr><th>connector</th><th>taken?</th><th>why</th></tr>"]
    for candidate in preview.get("candidates") or []:
        rows.append('<tr class="%s"><td>%s</td><td>%s</td><td>%s</td></tr>' % (
            "won" if candidate.get("selected") else "", _text(candidate.get("name")),
            "yes" if candidate.get("selected") else "no", _text(candidate.get("reason"))))
    return "<p>Connector-selection preview: <b>%s</b>, %s</p><table>%s</table>" % (
        _text(preview.get("connector") or "none"), _text(preview.get("reason")), "".join(rows))


def relay_report(paths, title="Relay report"):
    if not isinstance(paths, (list, tuple)) or not all(isinstance(path, dict) for path in paths):
        raise AnsibleFilterError("relay_report expects a list of dicts (title, hops, connector, recipient, "
                                 "result, preview), got %s" % type(paths).__name__)
    sections = []
    for path in paths:
        summary = []
        if path.get("result"):
            summary.append("answer: <code>%s</code>" % _text(path["result"]))
        if path.get("note"):
            summary.append(_text(path["note"]))
        sections.append("<h2>%s</h2>%s<p>%s</p>%s%s" % (
            _text(path.get("title") or "Relay path"), _svg(path), " &middot; ".join(summary),
            _hop_table(path.get("hops") or []), _preview_table(path.get("preview"))))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style>"
            "</head><body><h1>%s</h1>%s</body></html>\n" % (_text(title), _STYLE, _text(title), "".join(sections)))


class FilterModule:
    def filters(self):
        return {"relay_report": relay_report}
