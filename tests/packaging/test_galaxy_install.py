# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Galaxy artifact: what it holds, and the demo run against the installed copy (make galaxy-install-test)."""

from __future__ import annotations

import re
import shutil
import tarfile

from conftest import REPO, clean_environment, run_playbook

# Development-only paths that must never ship (galaxy.yml build_ignore).
NOT_SHIPPED = ('.venv/', '.venv-', '.build/', '.lab/', '.git/', '.ci/', 'tests/lab/', 'tests/output/', 'tests/packaging/',
               'tests/integration/', 'Makefile', 'constraints.txt', 'requirements-dev.txt',
               # only works against the lab: make demo's playbooks, the benchmark, the lab helpers
               'playbooks/demo.yml', 'playbooks/lab_', 'tests/bench/', 'tests/secrets/', 'tests/utils/')
# Shipped pieces users rely on (the AWX credential types and the execution environment definition).
SHIPPED = ('MANIFEST.json', 'FILES.json', 'meta/runtime.yml', 'meta/execution-environment.yml', 'bindep.txt',
           'requirements.txt', 'extensions/awx/credential_types/exchange_onprem.yml',
           'extensions/awx/credential_types/exchange_online_certificate.yml', 'playbooks/onprem_relay.yml',
           'playbooks/online_relay.yml')
MAX_TARBALL_BYTES = 1024 * 1024


def tarball_members(tarball):
    with tarfile.open(tarball) as archive:
        return [member.name for member in archive.getmembers()]


def test_tarball_holds_the_collection_and_no_development_files(collection_tarball):
    members = tarball_members(collection_tarball)
    leaked = [name for name in members if name.startswith(NOT_SHIPPED) or name in NOT_SHIPPED]
    assert not leaked
    assert not [name for name in SHIPPED if name not in members]
    assert not [name for name in members if '__pycache__' in name or name.endswith('.pyc')]
    assert collection_tarball.stat().st_size < MAX_TARBALL_BYTES


def test_demo_runs_from_the_installed_copy(tmp_path, installed_collection, lab):
    installed = installed_collection / 'ansible_collections' / 'mailflow' / 'exchange'
    env = clean_environment(installed_collection, LAB_JSON=lab['lab_json'], **lab['env'])
    # The demo's playbooks only work against the lab and do not ship: a copy of them, outside the
    # checkout, drives the installed collection.
    playbooks = tmp_path / 'playbooks'
    shutil.copytree(REPO / 'playbooks', playbooks)
    # -vvv names every module file Ansible ships to the controller's Python.
    result = run_playbook(['-vvv', str(playbooks / 'demo.yml')], env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    assert re.search(r'localhost\s*:\s*ok=\d+\s+changed=[1-9]\d*\s+unreachable=0\s+failed=0', result.stdout)

    module_files = re.findall(r'Using module file (\S+)', result.stdout)
    ours = [path for path in module_files if '/mailflow/exchange/' in path]
    assert ours, 'no mailflow.exchange module ran'
    assert all(path.startswith(str(installed) + '/') for path in ours), ours
    # The checkout appears only as the virtualenv's interpreter, never as a source of content.
    from_checkout = set(re.findall(re.escape(str(REPO)) + r'/(?!\.venv/)\S*', result.stdout))
    assert not from_checkout
