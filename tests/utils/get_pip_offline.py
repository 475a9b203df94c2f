# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the ``get-pip.py`` script ansible-test bootstraps its venvs with.

ansible-test creates every sanity venv ``--without-pip`` and then runs a
``get-pip.py`` it downloads from a host outside the package registries this
project may use. It looks for a cached copy first
(``~/.ansible/test/cache/get_pip_<version>.py``); ``seed_get_pip.py`` puts
this file there. Like get-pip, it receives pip's install arguments (the
pinned ``pip==<version>`` plus ``--no-setuptools``/``--no-wheel``).

Like get-pip.py, which carries pip's wheel and unpacks it, it unpacks the
pinned pip's wheel into the venv: pip's wheel is pure Python and needs
nothing else. The wheel is the interpreter's bundled one (``ensurepip``) when
that is the pinned version, else one fetched once from the package index, by
the bundled pip run from its own wheel, into the cache next to this file.
Installing pip with pip instead (``ensurepip``, then ``pip install``) costs
about 5 CPU seconds a venv, and a CI run with an empty HOME makes 22 venvs.
Any other request (setuptools or wheel too) is installed by pip, as before.
"""

from __future__ import annotations

import ensurepip
import glob
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

GET_PIP_ONLY_OPTIONS = ('--no-setuptools', '--no-wheel')
PINNED_PIP = re.compile(r'^pip==(\d+(?:\.\d+)*)$')
CACHE = os.path.expanduser(os.path.join('~', '.ansible', 'test', 'cache'))


def run(*args):
    """Run ``python <args>`` quietly; on failure show its output and stop with its status."""
    result = subprocess.run([sys.executable] + list(args), check=False,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if result.returncode:
        sys.stderr.write(result.stdout)
        sys.exit(result.returncode)


def bundled_wheel():
    """The pip wheel this interpreter's ensurepip carries."""
    return glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', 'pip-*.whl'))[0]


def pip_wheel(version):
    """Path of the wheel of pip ``version``: the bundled one, a cached one, or one fetched into the cache."""
    name = 'pip-%s-py3-none-any.whl' % version
    bundled = bundled_wheel()
    if os.path.basename(bundled) == name:
        return bundled
    cached = os.path.join(CACHE, name)
    if not os.path.exists(cached):
        os.makedirs(CACHE, exist_ok=True)
        # Fetched into a directory of its own and renamed, so runs side by side never see half a file.
        with tempfile.TemporaryDirectory(dir=CACHE) as download:
            run(os.path.join(bundled, 'pip'), 'download', '--quiet', '--disable-pip-version-check', '--no-deps',
                '--only-binary', ':all:', '--dest', download, 'pip==%s' % version)
            os.replace(os.path.join(download, name), cached)
    return cached


def install_by_pip(argv):
    """The general case: pip installs what get-pip.py was asked for."""
    install_args = [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]
    run('-m', 'ensurepip', '--default-pip')
    run('-m', 'pip', 'install', '--quiet', *install_args)
    if '--no-setuptools' in argv:
        # ensurepip also brings setuptools; get-pip.py would not have.
        run('-m', 'pip', 'uninstall', '--quiet', '--yes', 'setuptools')


def main(argv):
    """Install pip like get-pip.py would, given get-pip.py's arguments."""
    requested = [arg for arg in argv if not arg.startswith('-')]
    pinned = PINNED_PIP.match(requested[0]) if len(requested) == 1 else None
    if pinned is None or not set(GET_PIP_ONLY_OPTIONS) <= set(argv):
        install_by_pip(argv)
        return
    with zipfile.ZipFile(pip_wheel(pinned.group(1))) as wheel:
        wheel.extractall(sysconfig.get_paths()['purelib'])


main(sys.argv[1:])
