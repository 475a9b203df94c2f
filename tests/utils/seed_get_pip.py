#!/usr/bin/env python
# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put ``get_pip_offline.py`` where ansible-test looks for its cached get-pip.py.

A real get-pip.py already there is left alone; an older copy of our stand-in
is refreshed. The pip version in the file name is the one the installed
ansible-test pins, so a newer ansible-core gets a matching seed.
"""

from __future__ import annotations

import os
import shutil
import sys
import types

from ansible_test._internal.python_requirements import get_venv_packages

# Identifies our stand-in (its docstring) as opposed to a real get-pip.py.
MARKER = b'Stand-in for the ``get-pip.py`` script ansible-test'


def cache_path(python_version):
    """Return the path ansible-test reads the bootstrap script from."""
    pip_version = get_venv_packages(types.SimpleNamespace(version=python_version))['pip']
    name = 'get_pip_%s.py' % pip_version.replace('.', '_')
    return os.path.expanduser(os.path.join('~', '.ansible', 'test', 'cache', name))


def read_bytes(path):
    """Return the content of ``path``, or None if it cannot be read."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except OSError:
        return None


def main():
    """Seed the cache for the running Python's version."""
    target = cache_path('%d.%d' % sys.version_info[:2])
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'get_pip_offline.py')
    current = read_bytes(target)
    if current is None or (current != read_bytes(source) and MARKER in current):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target + '.tmp')
        os.replace(target + '.tmp', target)
        print('seeded %s' % target)
    return 0


if __name__ == '__main__':
    sys.exit(main())
