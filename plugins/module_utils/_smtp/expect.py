# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare what the relay did with what the task expected."""

from __future__ import annotations

import re

EXPECTATIONS = ("accepted", "rejected", "any")
ENHANCED_CODE_FORMAT = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def option_problems(expect, expect_code, expect_enhanced_code):
    """Expectations that cannot be met whatever the server does."""
    problems = []
    if expect_enhanced_code is not None and not ENHANCED_CODE_FORMAT.match(expect_enhanced_code):
        problems.append("expect_enhanced_code %r is not an RFC 3463 code like 5.7.54" % expect_enhanced_code)
    if expect_code is not None:
        if not 200 <= expect_code <= 599:
            problems.append("expect_code %d is not an SMTP reply code (200-599)" % expect_code)
        elif expect == "accepted" and expect_code >= 400:
            problems.append("expect=accepted with expect_code %d: an accepted message ends with a 2xx reply"
                            % expect_code)
        elif expect == "rejected" and expect_code < 400:
            problems.append("expect=rejected with expect_code %d: a refusal is a 4xx or 5xx reply" % expect_code)
    return problems


def outcome_summary(result):
    """One line saying what the server did, for failure messages."""
    answer = " ".join(str(part) for part in (result.get("code"), result.get("reply")) if part not in (None, ""))
    if result.get("accepted"):
        return "the server accepted it (%s)" % answer
    refused = [r for r in result.get("recipients", []) if not r["accepted"]]
    subject = " for %s" % refused[0]["address"] if result.get("stage") == "rcpt" and refused else ""
    return "the server refused it at %s%s (%s)" % (result.get("stage"), subject, answer or "no reply")


def unmet_expectations(result, expect, expect_code=None, expect_enhanced_code=None):
    """What differs from the expectation, as a list of sentences (empty when all is met)."""
    unmet = []
    if expect == "accepted" and not result["accepted"]:
        unmet.append("expected the relay to accept the message")
    elif expect == "rejected" and result["accepted"]:
        unmet.append("expected the relay to refuse the message")
    if expect_code is not None and result["code"] != expect_code:
        unmet.append("expected reply code %d, got %s" % (expect_code, result["code"]))
    if expect_enhanced_code is not None and result["enhanced_code"] != expect_enhanced_code:
        unmet.append("expected enhanced status code %s, got %s" % (expect_enhanced_code, result["enhanced_code"]))
    return unmet
