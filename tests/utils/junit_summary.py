#!/usr/bin/env python
# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Add up the JUnit XML reports of a ``make test`` run into one closing line.

Reads every ``*.xml`` in the given directories (ansible-test writes one per
sanity test, one per unit test run and, through its junit callback, one per
integration target with a case per task; pytest writes ``lab-tests.xml`` and
``packaging*.xml``),
prints a count per kind and then
``tests: N passed, N failed, N skipped``. Exits non-zero if anything failed
or if no test ran at all.

A failed task in an integration report is counted as ``rescued``: the junit
callback records a task that a target provokes on purpose and checks in a
``rescue:`` block as failed, while the playbook (and ansible-test, which ran
before this summary and would have stopped ``make test``) succeeded.
"""

from __future__ import annotations

import collections
import glob
import os
import sys
import xml.etree.ElementTree as ET


def report_kind(path):
    """Name the suite a report file belongs to, from ansible-test's file naming."""
    name = os.path.basename(path)
    if name.startswith('ansible-test-sanity-'):
        return 'sanity'
    if name.endswith('-units.xml'):
        return 'units'
    if name.startswith('ansible-test-'):
        return 'ansible-test'
    if name == 'lab-tests.xml':
        return 'lab-tests'
    if name.startswith('packaging'):
        return 'packaging'
    # ansible-test's junit callback: one file per integration target run, one case per task.
    return 'integration-tasks'


def case_outcome(case):
    """Return 'failed', 'skipped' or 'passed' for a <testcase> element."""
    if case.find('failure') is not None or case.find('error') is not None:
        return 'failed'
    if case.find('skipped') is not None:
        return 'skipped'
    return 'passed'


def count(directories):
    """Return {kind: Counter(outcome)} over all reports in ``directories``."""
    totals = collections.defaultdict(collections.Counter)
    for directory in directories:
        for path in sorted(glob.glob(os.path.join(directory, '*.xml'))):
            kind = report_kind(path)
            for case in ET.parse(path).getroot().iter('testcase'):
                outcome = case_outcome(case)
                if kind == 'integration-tasks' and outcome == 'failed':
                    outcome = 'rescued'
                totals[kind][outcome] += 1
    return totals


def main(directories):
    """Print the summary; return the exit status."""
    totals = count(directories)
    overall = collections.Counter()
    for kind in sorted(totals):
        overall.update(totals[kind])
        rescued = ', %d rescued' % totals[kind]['rescued'] if totals[kind]['rescued'] else ''
        print('%s: %d passed, %d failed, %d skipped%s' % (
            kind, totals[kind]['passed'], totals[kind]['failed'], totals[kind]['skipped'], rescued))
    print('tests: %d passed, %d failed, %d skipped' % (overall['passed'], overall['failed'], overall['skipped']))
    return 1 if overall['failed'] or not overall['passed'] else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
