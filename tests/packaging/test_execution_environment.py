# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/execution-environment.yml: `ansible-builder create` makes a build context that installs our
requirements and bindep, and another EE that installs the collection finds the same lists."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from conftest import REPO, tool

META = REPO / 'meta'


def requirement_lines(path):
    """The requirement lines of a pip or bindep file, without comments and blank lines."""
    lines = path.read_text(encoding='utf-8').splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith('#')]


def requires_ansible():
    """meta/runtime.yml's ansible-core range, e.g. ``>=2.19.0,<2.22.0``."""
    return yaml.safe_load((META / 'runtime.yml').read_text(encoding='utf-8'))['requires_ansible']


def test_requirements_are_ranges_that_leave_ansible_core_alone():
    """Users install requirements.txt next to their own Ansible: no pins, no ansible-core."""
    for requirement in requirement_lines(REPO / 'requirements.txt'):
        assert not requirement.lower().startswith('ansible'), requirement
        assert '==' not in requirement and '>=' in requirement, requirement


def test_definition_is_version_3_with_our_files():
    definition = yaml.safe_load((META / 'execution-environment.yml').read_text(encoding='utf-8'))
    assert definition['version'] == 3
    assert definition['dependencies']['python'] == 'requirements.txt'
    assert definition['dependencies']['system'] == 'bindep.txt'
    # `create -f` reads meta/<file>, introspection of an installed collection reads <root>/<file>.
    assert requirement_lines(META / 'requirements.txt') == requirement_lines(REPO / 'requirements.txt')
    assert requirement_lines(META / 'bindep.txt') == requirement_lines(REPO / 'bindep.txt')


def test_bindep_has_kerberos_for_dpkg_and_rpm():
    lines = requirement_lines(REPO / 'bindep.txt')
    for package, platform in (('krb5-user', 'dpkg'), ('libkrb5-dev', 'dpkg'), ('krb5-workstation', 'rpm'),
                              ('krb5-devel', 'rpm'), ('krb5-libs', 'rpm')):
        assert any(line.split()[0] == package and 'platform:%s' % platform in line for line in lines), package
    for profile in ('dpkg', 'rpm'):
        # bindep exits 2 on a file it cannot parse; 0/1 tell whether packages are missing here.
        result = subprocess.run([tool('bindep'), '-f', str(REPO / 'bindep.txt'), '-l', 'newline', 'compile',
                                 'platform:%s' % profile], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, check=False, timeout=60)
        assert result.returncode in (0, 1), result.stderr


def test_ansible_builder_create_makes_a_context_with_our_requirements(tmp_path):
    context = tmp_path / 'context'
    result = subprocess.run([tool('ansible-builder'), 'create', '-f', str(META / 'execution-environment.yml'),
                             '--context', str(context), '--output-filename', 'Containerfile'],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout
    containerfile = (context / 'Containerfile').read_text(encoding='utf-8')
    assert 'COPY _build/requirements.txt requirements.txt' in containerfile
    assert 'COPY _build/bindep.txt bindep.txt' in containerfile
    assert '--user-pip=requirements.txt --user-bindep=bindep.txt' in containerfile
    # The EE takes any ansible-core the collection is tested with, as users do (meta/runtime.yml).
    assert 'ansible-core%s ' % requires_ansible() in containerfile
    assert requirement_lines(context / '_build' / 'requirements.txt') == requirement_lines(REPO / 'requirements.txt')
    assert requirement_lines(context / '_build' / 'bindep.txt') == requirement_lines(REPO / 'bindep.txt')
    galaxy = yaml.safe_load((context / '_build' / 'requirements.yml').read_text(encoding='utf-8'))
    assert {'name': 'mailflow.exchange'} in galaxy['collections']


def test_the_builder_stage_has_the_headers_of_the_ees_python(tmp_path):
    """gssapi and krb5 ship no Linux wheels: the builder compiles them for the EE's interpreter, so the
    headers of that Python (python3.12-devel for /usr/bin/python3.12) are installed before `assemble`."""
    definition = yaml.safe_load((META / 'execution-environment.yml').read_text(encoding='utf-8'))
    python = definition['dependencies']['python_interpreter']['python_path'].rsplit('/', 1)[-1]
    context = tmp_path / 'context'
    subprocess.run([tool('ansible-builder'), 'create', '-f', str(META / 'execution-environment.yml'),
                    '--context', str(context), '--output-filename', 'Containerfile'],
                   stdout=subprocess.PIPE, check=True, timeout=300)
    containerfile = (context / 'Containerfile').read_text(encoding='utf-8')
    builder = containerfile[containerfile.index(' AS builder'):containerfile.index('RUN /output/scripts/assemble')]
    assert re.search(r'^RUN \$PKGMGR install -y (\S+ )*%s-devel\b' % re.escape(python), builder, re.M), builder


def test_the_ee_takes_ranges_not_pins():
    """The EE installs what users install: ranges (exact pins stay in CI's constraints files)."""
    dependencies = yaml.safe_load((META / 'execution-environment.yml').read_text(encoding='utf-8'))['dependencies']
    for tool_name in ('ansible_core', 'ansible_runner'):
        requirement = dependencies[tool_name]['package_pip']
        assert '==' not in requirement and '>=' in requirement and '<' in requirement, requirement


def test_an_ee_that_installs_the_collection_finds_its_requirements(tmp_path, installed_collection):
    """The introspection script ansible-builder runs inside every EE build, on the installed tarball."""
    context = tmp_path / 'context'
    subprocess.run([tool('ansible-builder'), 'create', '-f', str(META / 'execution-environment.yml'),
                    '--context', str(context)], stdout=subprocess.PIPE, check=True, timeout=300)
    pip_out, bindep_out = tmp_path / 'pip.txt', tmp_path / 'bindep.txt'
    subprocess.run([sys.executable, str(context / '_build' / 'scripts' / 'introspect.py'), 'introspect',
                    '--write-pip', str(pip_out), '--write-bindep', str(bindep_out), str(installed_collection)],
                   stdout=subprocess.PIPE, check=True, timeout=120)
    pip_lines = pip_out.read_text(encoding='utf-8')
    for requirement in requirement_lines(REPO / 'requirements.txt'):
        if not requirement.startswith('ansible-core'):  # ansible-builder leaves ansible-core to the image
            assert requirement in pip_lines
    assert 'krb5-devel [platform:rpm compile]' in bindep_out.read_text(encoding='utf-8')
