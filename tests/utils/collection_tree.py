#!/usr/bin/env python
# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lay out this checkout as ``<dest>/ansible_collections/mailflow/exchange``.

ansible-test only runs inside such a tree, and it must be a real directory:
ansible-test resolves the working directory, so a symlink back to the checkout
would lose the ``ansible_collections`` parent. ``build`` therefore copies the
files git knows about (tracked plus untracked-but-not-ignored, so work in
progress is tested too) and gives the copy its own ``git init`` so ansible-test
lists files from the copy and not from the enclosing checkout.

``link`` makes the cheap variant for ansible-playbook (``make demo``), whose
collection loader is happy with a symlink and then always sees the live
checkout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

NAMESPACE = 'mailflow'
NAME = 'exchange'

# The lab is a standalone dev tool with its own pytest suite (make lab-tests), and
# tests/packaging tests the built artifact from outside (make galaxy-install-test,
# make packaging-tests): neither is part of the collection (galaxy.yml build_ignore)
# and ansible-test's collection rules are not meant for them.
EXCLUDED_PREFIXES = ('tests/lab/', 'tests/packaging/')


def collection_root(dest):
    """Return the collection directory inside ``dest``."""
    return os.path.join(dest, 'ansible_collections', NAMESPACE, NAME)


def list_source_files(repo):
    """Return the repository files git tracks or would track, relative to ``repo``."""
    output = subprocess.run(
        ['git', '-C', repo, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
        check=True, stdout=subprocess.PIPE,
    ).stdout.decode('utf-8')
    paths = sorted(set(path for path in output.split('\0') if path))
    # A file deleted from the work tree but still in the index is gone for the test run too.
    return [path for path in paths
            if not path.startswith(EXCLUDED_PREFIXES) and os.path.lexists(os.path.join(repo, path))]


def build(repo, dest):
    """Copy the checkout's files into a fresh collection tree and return its path."""
    root = collection_root(dest)
    if os.path.lexists(root):
        if os.path.islink(root):
            os.unlink(root)
        else:
            shutil.rmtree(root)
    os.makedirs(root)
    for path in list_source_files(repo):
        target = os.path.join(root, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(repo, path), target, follow_symlinks=False)
    subprocess.run(['git', 'init', '-q', root], check=True)
    return root


def link(repo, dest):
    """Point ``dest``'s collection directory at the checkout and return its path."""
    root = collection_root(dest)
    if os.path.islink(root):
        os.unlink(root)
    elif os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(os.path.dirname(root), exist_ok=True)
    os.symlink(os.path.abspath(repo), root)
    return root


def main(argv=None):
    """Command line entry point: print the collection directory that was made."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('action', choices=('build', 'link'))
    parser.add_argument('dest', help='directory that will hold ansible_collections/')
    parser.add_argument('--repo', default=os.getcwd(), help='checkout to lay out (default: cwd)')
    args = parser.parse_args(argv)
    action = build if args.action == 'build' else link
    print(action(args.repo, args.dest))
    return 0


if __name__ == '__main__':
    sys.exit(main())
