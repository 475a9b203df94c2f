# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What users read or run speaks of the product, not of how it was planned (make test).

Module and role documentation, argument specs, playbooks, the relay report, the README, the guides,
the changelog and the Makefile's help are read by people who never saw the project's notes or its
issue tracker: "seed 002" or "issue 6" means nothing to them. Each scenario has a name instead, such
as "anonymous relay for listed devices" or "Exchange Online relay by certificate".
"""

from __future__ import annotations

import re

import pytest

from conftest import REPO

# Files and trees users read or run, relative to the repository root.
USER_FACING = ('README.md', 'galaxy.yml', 'Makefile', 'requirements.txt', 'bindep.txt', 'plugins', 'roles',
               'playbooks', 'meta', 'extensions', 'changelogs', 'docs')
TEXT_SUFFIXES = ('.py', '.yml', '.yaml', '.md', '.rst', '.txt', '.j2', '.html', '.ps1', '.cfg')
# Planning words: a numbered seed, issue, contract or task of the project's notes.
INTERNAL = re.compile(r'\b(?:seeds?|issues?|contracts?)\s+(?:#?\d+(?:\s*[,/]\s*\d+)*|(?-i:[A-Z])\b)', re.IGNORECASE)
# Links to the issue tracker name issues by URL, which is fine.
ALLOWED = re.compile(r'https?://\S+')


def user_facing_files():
    for name in USER_FACING:
        path = REPO / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(p for p in path.rglob('*') if p.is_file() and (p.suffix in TEXT_SUFFIXES))


def internal_words(text):
    """(line number, match) of every planning word in ``text``."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in INTERNAL.finditer(ALLOWED.sub('', line)):
            found.append((number, match.group(0)))
    return found


@pytest.mark.parametrize('sample', ['seed 002', 'Seeds 000/001/003/004', 'issue 6', 'Contract S',
                                    'seeds 000, 001, 003, 004', '(issue 8)'])
def test_the_check_finds_planning_words(sample):
    assert internal_words('a relay (%s) for printers' % sample)


@pytest.mark.parametrize('sample', ['the issue is the certificate', 'seed the lab with captures', 'seed a lab',
                                    'https://github.com/mailflow/exchange/issues/17', 'a contract between'])
def test_the_check_leaves_ordinary_words(sample):
    assert not internal_words(sample)


def test_no_planning_words_in_what_users_read():
    offenders = ['%s:%d: %s' % (path.relative_to(REPO), number, word)
                 for path in user_facing_files()
                 for number, word in internal_words(path.read_text(encoding='utf-8', errors='replace'))]
    assert not offenders, 'name the scenario instead:\n' + '\n'.join(offenders)


def test_readme_is_a_short_front_page():
    """A newcomer reads the README in minutes: the long material lives in the guides (docs/docsite/rst)."""
    lines = (REPO / 'README.md').read_text(encoding='utf-8').splitlines()
    assert len(lines) <= 250, 'README.md has %d lines: move the detail into a guide' % len(lines)
    in_code = False
    headings, rows = [], []
    for number, line in enumerate(lines):
        if line.startswith('```'):
            in_code = not in_code
        elif not in_code and line.startswith('#'):
            headings.append(line)
            # A heading glued to the text above renders as part of it in some viewers.
            assert number == 0 or not lines[number - 1].strip(), 'no blank line before %r' % line
        elif not in_code and line.startswith('| '):
            rows.append(line.split('|')[1].strip())
    assert len(headings) == len(set(headings)), headings
    assert len(rows) == len(set(rows)), 'a table row repeats: %s' % sorted(r for r in rows if rows.count(r) > 1)


def test_readme_links_every_guide():
    readme = (REPO / 'README.md').read_text(encoding='utf-8')
    guides = sorted(path.name for path in (REPO / 'docs' / 'docsite' / 'rst').glob('*.rst'))
    assert guides
    for guide in guides:
        assert '(docs/docsite/rst/%s)' % guide in readme, guide
