# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every audit module reports: findings with a severity, counts, readable lines, a CI gate.

A finding is data a playbook can act on: ``fix`` is a ready task (module name and parameters) that
removes the finding, or None when no safe change can be derived from what was read (``advice``
then says what a person must decide).
"""

from __future__ import annotations

# Most severe first; fail_on=X fails on X and everything more severe.
SEVERITIES = ("critical", "high", "medium", "low", "info")
FAIL_ON_CHOICES = list(SEVERITIES[:-1]) + ["none"]

AUDIT_SPEC = dict(
    fail_on=dict(type="str", default="none", choices=FAIL_ON_CHOICES),
)


def finding(finding_id, severity, obj, evidence, advice, fix=None):
    """One finding as the modules return it."""
    if severity not in SEVERITIES:
        raise ValueError("unknown severity %r" % severity)
    return dict(id=finding_id, severity=severity, object=obj, evidence=evidence, advice=advice, fix=fix)


def fix_task(module, **params):
    """A ready task: ``{"module": "mailflow.exchange.<module>", "params": {...}}``."""
    return dict(module="mailflow.exchange." + module, params=params)


def ordered(findings):
    """Most severe first; within a severity by object, then id (stable, so reruns compare)."""
    return sorted(findings, key=lambda f: (SEVERITIES.index(f["severity"]), f["object"], f["id"]))


def counts(findings):
    """{severity: number of findings}, every severity present."""
    result = dict((severity, 0) for severity in SEVERITIES)
    for item in findings:
        result[item["severity"]] += 1
    return result


def summary(findings, subject):
    """Readable lines: one headline (``subject``: what was audited), then one line per finding."""
    tally = counts(findings)
    headline = "%s: %s" % (subject, ", ".join("%d %s" % (tally[s], s) for s in SEVERITIES if tally[s])
                           if findings else "no findings")
    lines = [headline]
    for item in findings:
        lines.append("[%s] %s %s: %s" % (item["severity"].upper(), item["id"], item["object"], item["evidence"]))
    return lines


def gate_failures(findings, fail_on):
    """The findings at or above ``fail_on`` (none when fail_on is 'none')."""
    if fail_on == "none":
        return []
    limit = SEVERITIES.index(fail_on)
    return [item for item in findings if SEVERITIES.index(item["severity"]) <= limit]


def report(module, findings, subject, **extra):
    """Exit with the findings; fail (after reporting them all) when the fail_on gate is hit."""
    findings = ordered(findings)
    result = dict(changed=False, findings=findings, counts=counts(findings), summary=summary(findings, subject),
                  **extra)
    failed = gate_failures(findings, module.params["fail_on"])
    if failed:
        module.fail_json(msg="%d finding(s) at or above fail_on=%s: %s"
                             % (len(failed), module.params["fail_on"],
                                ", ".join(sorted(set("%s %s" % (f["id"], f["object"]) for f in failed)))),
                         **result)
    module.exit_json(**result)
