# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the packaging tests: the collection as users get it, and a lab to run it against.

``installed_collection`` builds the Galaxy tarball from this checkout and installs it into an
empty directory, once per run; the tests run Ansible with ANSIBLE_COLLECTIONS_PATH set to that
directory only, from a working directory outside the checkout, so nothing can come from the
source tree. ``lab`` is one Exchange lab for the run (tests/utils/lab_process.py), the same
arguments as `make lab-start`.
"""

from __future__ import annotations

import collections
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LAB_ARGS = ['--port', '0', '--https-port', '0', '--reset',
            '--certificate', 'mail.contoso.lab', '--expired-certificate', 'expired.contoso.lab']
LAB_TIMEOUT = '60'
# Everything that could point Ansible at another copy of the collection or at the checkout.
LEAKY_VARIABLES = ('PYTHONPATH', 'ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_PATHS', 'ANSIBLE_CONFIG',
                   'ANSIBLE_ROLES_PATH', 'ANSIBLE_LIBRARY', 'ANSIBLE_MODULE_UTILS')


def tool(name):
    """A command of this virtualenv (ansible-playbook, ansible-galaxy, ...)."""
    return str(BIN / name)


def clean_environment(collections_path, **extra):
    """The environment of a user who installed the collection: no EXCHANGE_*/EXO_* settings,
    no PYTHONPATH, only ``collections_path`` as collection path."""
    env = {name: value for name, value in os.environ.items()
           if name not in LEAKY_VARIABLES and not name.startswith(('EXCHANGE_', 'EXO_'))}
    env.update(
        PATH='%s:%s' % (BIN, env.get('PATH', '')),
        ANSIBLE_COLLECTIONS_PATH=str(collections_path),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
        ANSIBLE_LOCALHOST_WARNING='false',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_LOCAL_TEMP=str(Path(collections_path).parent / 'ansible-tmp'),
    )
    env.update(extra)
    return env


@pytest.fixture(scope='session')
def collection_tarball(tmp_path_factory):
    """The artifact `ansible-galaxy collection build` makes from this checkout."""
    out = tmp_path_factory.mktemp('artifact')
    subprocess.run([tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(out), str(REPO)],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    (tarball,) = glob.glob(str(out / 'mailflow-exchange-*.tar.gz'))
    return Path(tarball)


@pytest.fixture(scope='session')
def installed_collection(tmp_path_factory, collection_tarball):
    """An empty directory with only the installed tarball: use it as ANSIBLE_COLLECTIONS_PATH."""
    root = tmp_path_factory.mktemp('installed')
    collections = root / 'collections'
    collections.mkdir()
    subprocess.run([tool('ansible-galaxy'), 'collection', 'install', '--offline', '-p', str(collections),
                    str(collection_tarball)],
                   check=True, cwd=str(root), env=clean_environment(collections),
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert (collections / 'ansible_collections' / 'mailflow' / 'exchange' / 'MANIFEST.json').is_file()
    return collections


@pytest.fixture(scope='session')
def lab(tmp_path_factory):
    """A running lab for the whole run; yields its parsed lab.json."""
    base = tmp_path_factory.mktemp('lab')
    control = [sys.executable, str(REPO / 'tests' / 'utils' / 'lab_process.py'), '--state', str(base / 'state'),
               '--pid-file', str(base / 'lab.pid'), '--log-file', str(base / 'lab.log'),
               '--command', tool('exchange-lab'), '--timeout', LAB_TIMEOUT]
    subprocess.run(control + ['start', '--'] + LAB_ARGS, check=True, timeout=120)
    try:
        with open(base / 'state' / 'lab.json', encoding='utf-8') as handle:
            data = json.load(handle)
        data['lab_json'] = str(base / 'state' / 'lab.json')
        yield data
    finally:
        subprocess.run(control + ['stop'], check=False, timeout=120)


def lab_stats(lab):
    """The lab's cumulative counters (stats.json); a counter not written yet is 0."""
    with open(lab['stats'], encoding='utf-8') as handle:
        return collections.Counter(json.load(handle))


def run_playbook(args, env, cwd, timeout=600):
    """Run ansible-playbook; return the completed process (output in .stdout, text)."""
    return subprocess.run([tool('ansible-playbook')] + args, env=env, cwd=str(cwd), timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
