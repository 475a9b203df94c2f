# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the ``get-pip.py`` script ansible-test bootstraps its venvs with.

ansible-test creates every sanity venv ``--without-pip`` and then runs a
``get-pip.py`` it downloads from a host outside the package registries this
project may use. It looks for a cached copy first
(``~/.ansible/test/cache/get_pip_<version>.py``); ``seed_get_pip.py`` puts
this file there. Like get-pip, it receives pip's install arguments (the
pinned ``pip==<version>`` plus ``--no-setuptools``/``--no-wheel``); it seeds
the interpreter's bundled pip with ``ensurepip`` (no network) and lets that
pip install the pinned one from the package index.
"""

from __future__ import annotations

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ('--no-setuptools', '--no-wheel')


def run(*args):
    """Run ``python -m <args>`` quietly; on failure show its output and stop with its status."""
    result = subprocess.run([sys.executable, '-m'] + list(args), check=False,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if result.returncode:
        sys.stderr.write(result.stdout)
        sys.exit(result.returncode)


def main(argv):
    """Install pip like get-pip.py would, given get-pip.py's arguments."""
    install_args = [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]
    run('ensurepip', '--default-pip')
    run('pip', 'install', '--quiet', *install_args)
    if '--no-setuptools' in argv:
        # ensurepip also brings setuptools; get-pip.py would not have.
        run('pip', 'uninstall', '--quiet', '--yes', 'setuptools')


main(sys.argv[1:])
