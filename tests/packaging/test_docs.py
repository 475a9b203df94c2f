# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-doc renders every plugin and role of the installed collection, with its examples and return
values (make docs). Plugins are listed by ansible-doc itself, so new ones are checked without edits here."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import clean_environment, tool

# Plugin types ansible-doc can list; those marked True must not be empty for this collection.
PLUGIN_TYPES = {'module': True, 'filter': True, 'role': True, 'connection': False, 'lookup': False,
                'inventory': False, 'callback': False, 'test': False, 'httpapi': False}
NEEDS_RETURN = ('module', 'filter', 'lookup', 'test')
NEEDS_EXAMPLES = ('module', 'filter', 'lookup', 'test', 'inventory')


def ansible_doc(installed_collection, tmp_path, *args):
    result = subprocess.run([tool('ansible-doc')] + list(args), env=clean_environment(installed_collection),
                            cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    # ansible-doc reports documentation it cannot parse as warnings and goes on.
    assert '[WARNING]' not in result.stderr, result.stderr
    return result.stdout


@pytest.mark.parametrize('plugin_type', sorted(PLUGIN_TYPES))
def test_ansible_doc_renders_every_plugin(plugin_type, installed_collection, tmp_path):
    listed = json.loads(ansible_doc(installed_collection, tmp_path, '-t', plugin_type, '-l', '--json',
                                    'mailflow.exchange'))
    names = sorted(name for name in listed if name.startswith('mailflow.exchange.'))
    if PLUGIN_TYPES[plugin_type]:
        assert names, 'no %s in mailflow.exchange' % plugin_type
    if not names:
        return
    # One ansible-doc run renders them all as text, one more gives their documentation as data.
    text = ansible_doc(installed_collection, tmp_path, '-t', plugin_type, *names)
    docs = json.loads(ansible_doc(installed_collection, tmp_path, '-t', plugin_type, '--json', *names))
    for name in names:
        assert name in text
        doc = docs[name]
        if plugin_type == 'role':
            entry_points = doc['entry_points']
            assert entry_points['main']['short_description'] and entry_points['main']['options'], name
            continue
        assert doc['doc']['short_description'] and doc['doc']['description'], name
        if plugin_type in NEEDS_EXAMPLES:
            assert (doc.get('examples') or '').strip(), '%s has no EXAMPLES' % name
        if plugin_type in NEEDS_RETURN:
            assert doc.get('return'), '%s has no RETURN' % name
