# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The relay report as a browser shows it: every label of the picture fits its box.

The installed collection renders a report whose connector and host names are as long as Exchange allows
(64 characters, mostly wide capitals); headless Chromium (Debian's chromium package) opens it, saves a
screenshot for a human to look at ($(BUILD_DIR)/relay-report-browser/, else .build/relay-report-browser/)
and, through a script added to a copy of the page (the report itself has none), measures every <text>
with getBBox() against the shape it is drawn on. Under CI (CI=true) a missing chromium fails the test;
CHROMIUM=<path> names another binary.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import REPO, clean_environment, run_playbook

CHROMIUM = os.environ.get('CHROMIUM') or shutil.which('chromium') or '/usr/bin/chromium'
CHROMIUM_TIMEOUT = 90
SHOTS = Path(os.environ.get('BUILD_DIR') or REPO / '.build') / 'relay-report-browser'

# Exchange caps connector names at 64 characters (New-ReceiveConnector.md, -Name); W is the widest capital.
LONG_CONNECTOR = 'ANONYMOUS RELAY WIN-CTD3L0RGEN4 ' + 'W' * 32
LONG_HOST = 'WIN-CTD3L0RGEN4.' + 'w' * 37 + '.contoso.com'
LONG_RECIPIENT = 'someone.with.a.long.mailbox.name@' + 'w' * 19 + '.example.net'
LONG_NAMES = (LONG_CONNECTOR, LONG_HOST, LONG_RECIPIENT)
# The browser's own sans-serif (Liberation Sans on Debian), and the widest common one.
FONTS = ('sans-serif', 'DejaVu Sans')

MESSAGE = (
    'Received: from relay.contoso.com (203.0.113.10) by EOP.mail.protection.outlook.com (10.0.0.9) with Microsoft '
    'SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.1.1; '
    'Tue, 4 Jun 2024 07:12:05 +0000\n'
    'Received: from printer01 (10.1.2.3) by %s (10.1.2.10) with Microsoft SMTP Server id 15.1.2507.6 '
    'via Frontend Transport; Tue, 4 Jun 2024 07:12:03 +0000\n'
    'Subject: test\n\nbody\n' % LONG_HOST)

PLAY = [{
    'name': 'Write a relay report with long names', 'hosts': 'localhost', 'connection': 'local',
    'gather_facts': False,
    'tasks': [{'name': 'Write the report', 'ansible.builtin.copy': {
        'dest': '{{ report_path }}', 'mode': '0644',
        'content': "{{ [{'title': 'Exchange Server: anonymous relay for a listed device', 'connector': connector,"
                   " 'recipient': recipient, 'result': '250 2.6.0 Queued mail for delivery',"
                   " 'hops': message | mailflow.exchange.received_hops}]"
                   " | mailflow.exchange.relay_report('Relay paths') }}"}}],
}]

# Added to a copy of the page: each <text>'s box, the shape (<rect>) under its centre, and whether the text
# lies inside it; labels on no shape (the arrows') must touch none. Written into the DOM for --dump-dom.
MEASURE = """
<script>
const rects = [...document.querySelectorAll('svg rect')].map(rect => rect.getBBox());
const inside = (box, rect) => box.x >= rect.x && box.x + box.width <= rect.x + rect.width
  && box.y >= rect.y && box.y + box.height <= rect.y + rect.height;
const overlaps = (box, rect) => box.x < rect.x + rect.width && rect.x < box.x + box.width
  && box.y < rect.y + rect.height && rect.y < box.y + box.height;
const labels = [...document.querySelectorAll('svg text')].map(text => {
  const box = text.getBBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const shape = rects.find(rect => cx >= rect.x && cx <= rect.x + rect.width && cy >= rect.y && cy <= rect.y + rect.height);
  return {text: text.textContent, width: box.width, x: box.x,
          shape: shape ? {x: shape.x, width: shape.width} : null,
          fits: shape ? inside(box, shape) : !rects.some(rect => overlaps(box, rect))};
});
const out = document.createElement('pre');
out.id = 'label-measurements';
out.textContent = JSON.stringify(labels);
document.body.appendChild(out);
</script>
"""


class _Measurements(HTMLParser):
    """The JSON in <pre id="label-measurements"> of the dumped DOM."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.text = ''

    def handle_starttag(self, tag, attrs):
        self.inside = tag == 'pre' and ('id', 'label-measurements') in attrs

    def handle_endtag(self, tag):
        self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.text += data


def chromium(*args, user_data_dir):
    command = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               '--user-data-dir=%s' % user_data_dir] + list(args)
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=CHROMIUM_TIMEOUT, check=True)


@pytest.fixture
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get('CI', '').lower() in ('1', 'true', 'yes'):
            pytest.fail('%s is missing: CI must install Debian\'s chromium package (.ci/run does)' % CHROMIUM)
        pytest.skip('%s is missing (apt-get install chromium)' % CHROMIUM)
    return CHROMIUM


@pytest.fixture
def report(tmp_path, installed_collection):
    """The report, rendered by the installed collection's filters."""
    playbook, settings, page = tmp_path / 'report.yml', tmp_path / 'settings.yml', tmp_path / 'relay-report.html'
    playbook.write_text(yaml.safe_dump(PLAY, sort_keys=False), encoding='utf-8')
    settings.write_text(yaml.safe_dump({'report_path': str(page), 'connector': LONG_CONNECTOR,
                                        'recipient': LONG_RECIPIENT, 'message': MESSAGE}), encoding='utf-8')
    result = run_playbook([str(playbook), '-e', '@%s' % settings], env=clean_environment(installed_collection),
                          cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    return page


def test_every_label_fits_its_box_in_chromium(tmp_path, browser, report):
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(report, SHOTS / 'relay-report.html')
    chromium('--hide-scrollbars', '--window-size=2400,900', '--screenshot=%s' % (SHOTS / 'relay-report.png'),
             report.as_uri(), user_data_dir=tmp_path / 'profile-shot')
    assert (SHOTS / 'relay-report.png').stat().st_size > 0

    for font in FONTS:
        labels = measure_labels(report, font, tmp_path)
        measurements = SHOTS / ('label-measurements-%s.json' % font.replace(' ', '-'))
        measurements.write_text(json.dumps(labels, indent=1), encoding='utf-8')
        assert len(labels) >= 8, labels
        overflowing = [label for label in labels if not label['fits']]
        assert not overflowing, 'in %s, labels wider than their box: %s' % (font, json.dumps(overflowing, indent=1))
        # The names show whole, not cut to fit (the <title> tooltip is no substitute for the visible text).
        shown = ' | '.join(label['text'] for label in labels)
        assert all(name in shown for name in LONG_NAMES), shown


def measure_labels(report, font, tmp_path):
    """Each label of the report's pictures in ``font``, measured by Chromium (MEASURE)."""
    measured = tmp_path / ('measured-%s.html' % font.replace(' ', '-'))
    style = '<style>svg { font-family: %s; }</style>' % font
    measured.write_text(report.read_text(encoding='utf-8').replace('</body>', style + MEASURE + '</body>'),
                        encoding='utf-8')
    dom = chromium('--dump-dom', measured.as_uri(), user_data_dir=tmp_path / ('profile-%s' % font.replace(' ', '-')))
    parser = _Measurements()
    parser.feed(dom.stdout)
    return json.loads(parser.text)
