#!/usr/bin/env python
# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the collection's HTML documentation site offline (make docs).

``antsibull-docs sphinx-init`` writes a Sphinx project for the collection that Ansible can
find (ANSIBLE_COLLECTIONS_PATH), its ``build.sh`` renders the plugin pages and runs Sphinx with
warnings as errors. The generated configuration fetches Ansible's and Python's intersphinx
inventories from the web, which this build must not need: they are replaced by a small local
inventory of the few Ansible documentation labels the generated pages link to. A label missing
from it fails the build, so a new reference is noticed rather than silently left dangling. Links
between the site's own pages (plugin pages and the guides of docs/docsite) are checked after the
build: a page or anchor that does not exist fails it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from urllib.parse import urlsplit

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
# label -> (page#anchor, title) in Ansible's documentation, as antsibull-docs links to them.
ANSIBLE_LABELS = {
    'common_return_values': ('reference_appendices/common_return_values.html#common-return-values',
                             'Return Values'),
    'ansible_configuration_settings': ('reference_appendices/config.html#ansible-configuration-settings',
                                       'Ansible Configuration Settings'),
    # The pages of the modules that have an action plugin (backup) say so and link here.
    'action_plugins': ('plugins/action.html#action-plugins', 'Action plugins'),
}
# Ansible's own environment variables the connection plugins document as option sources.
ANSIBLE_ENVVARS = ('ANSIBLE_PERSISTENT_COMMAND_TIMEOUT', 'ANSIBLE_PERSISTENT_CONNECT_TIMEOUT')


def write_inventory(path):
    """A Sphinx (intersphinx) inventory, version 2, holding ANSIBLE_LABELS and ANSIBLE_ENVVARS."""
    lines = ''.join('%s std:label -1 %s %s\n' % (label, uri, title)
                    for label, (uri, title) in sorted(ANSIBLE_LABELS.items()))
    lines += ''.join('%s std:envvar -1 reference_appendices/config.html#envvar-%s -\n' % (name, name)
                     for name in ANSIBLE_ENVVARS)
    with open(path, 'wb') as handle:
        handle.write(b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
                     b'# The remainder of this file is compressed using zlib.\n')
        handle.write(zlib.compress(lines.encode('utf-8')))


def use_local_inventory(conf_path, inventory):
    """Point the generated conf.py's intersphinx_mapping at the local inventory only."""
    with open(conf_path, encoding='utf-8') as handle:
        conf = handle.read()
    mapping = 'intersphinx_mapping = {\n    %r: (%r, %r),\n}' % ('ansible_devel', ANSIBLE_DOCS, inventory)
    conf, count = re.subn(r'^intersphinx_mapping = \{.*?^\}', lambda match: mapping, conf, flags=re.S | re.M)
    if count != 1:
        sys.exit('%s: no intersphinx_mapping to replace (antsibull-docs changed its template?)' % conf_path)
    with open(conf_path, 'w', encoding='utf-8') as handle:
        handle.write(conf)


class _Links(HTMLParser):
    """The link targets (href, src) and the anchors (id, name) of one HTML page."""

    def __init__(self):
        super().__init__()
        self.targets, self.anchors = [], set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ('href', 'src') and value:
                self.targets.append(value)
            elif name in ('id', 'name') and value:
                self.anchors.add(value)


def broken_links(site):
    """Every link inside the site whose page or anchor does not exist, as 'page: target'.

    Links that leave the site (a scheme such as https:, mailto:) are not followed: the build is offline.
    """
    pages = {}
    for folder, _dirs, files in os.walk(site):
        for name in files:
            if name.endswith('.html'):
                path = os.path.join(folder, name)
                parser = _Links()
                with open(path, encoding='utf-8') as handle:
                    parser.feed(handle.read())
                pages[os.path.normpath(path)] = parser
    broken = []
    for path, parser in sorted(pages.items()):
        for target in parser.targets:
            parts = urlsplit(target)
            if parts.scheme or parts.netloc:
                continue
            page = os.path.normpath(os.path.join(os.path.dirname(path), parts.path)) if parts.path else path
            if not os.path.exists(page):
                broken.append('%s: %s' % (os.path.relpath(path, site), target))
            elif parts.fragment and page in pages and parts.fragment not in pages[page].anchors:
                broken.append('%s: %s' % (os.path.relpath(path, site), target))
    return broken


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--work', required=True, help='directory for the generated Sphinx project')
    parser.add_argument('--out', required=True, help='where the HTML site goes')
    parser.add_argument('--collection', default='mailflow.exchange')
    args = parser.parse_args(argv)

    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work, mode=0o700)  # antsibull-docs wants it private
    subprocess.run(['antsibull-docs', 'sphinx-init', '--use-current', '--squash-hierarchy', '--fail-on-error',
                    '--dest-dir', args.work, '--project', args.collection, '--title', args.collection,
                    args.collection], check=True, stdout=subprocess.DEVNULL)
    inventory = os.path.join(os.path.abspath(args.work), 'ansible_devel.inv')
    write_inventory(inventory)
    use_local_inventory(os.path.join(args.work, 'conf.py'), inventory)
    subprocess.run(['bash', os.path.join(args.work, 'build.sh')], check=True)

    shutil.rmtree(args.out, ignore_errors=True)
    shutil.copytree(os.path.join(args.work, 'build', 'html'), args.out)
    broken = broken_links(args.out)
    if broken:
        sys.exit('broken links in the docs site:\n' + '\n'.join(broken))
    print('docs site: %s' % os.path.join(args.out, 'index.html'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
