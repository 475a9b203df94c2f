# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sizes and time spans: Exchange's ByteQuantifiedSize (``36 MB (37,748,736 bytes)``) and EnhancedTimeSpan
(``1.00:00:00``), read from what users type and what Exchange prints.
"""
from __future__ import annotations

import re

from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import Kind, Rejected
from ansible_collections.mailflow.exchange.plugins.module_utils._values.scalars import (
    UNLIMITED,
    check_bounds,
    is_unlimited,
    range_text,
    whole_number,
)


_BYTE_UNITS = {"b": 1, "kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3, "tb": 1024 ** 4}
# "36 MB (37,748,736 bytes)": Exchange's ByteQuantifiedSize text; the count in brackets is exact.
# Any separators in the count are dropped, so a culture that groups digits differently still reads.
_PRINTED_SIZE = re.compile(r"[\d.,]+\s*[KMGT]?B\s*\((?P<count>[\d.,\s\u00a0']+)\s*bytes\)", re.IGNORECASE)
_TYPED_SIZE = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[KMGT]?B)?", re.IGNORECASE)


class ByteSize(Kind):
    """Exchange's ByteQuantifiedSize (binary units: 1 KB = 1024 bytes). Canonical: an int of
    bytes, or 'Unlimited' for an Unlimited<ByteQuantifiedSize>."""

    noun = "a size"

    def __init__(self, minimum=None, maximum=None, unlimited=False):
        self.minimum = minimum
        self.maximum = maximum
        self.unlimited = unlimited
        self.accepted = "a byte count or a number with B, KB, MB, GB or TB (37748736, 36MB, 512 KB)"
        if minimum is not None or maximum is not None:
            self.accepted += ", %s bytes" % range_text(minimum, maximum).strip()
        if unlimited:
            self.accepted += ", or Unlimited"

    def parse(self, value):
        if self.unlimited and is_unlimited(value):
            return UNLIMITED
        if isinstance(value, bool):
            raise Rejected()
        if isinstance(value, int):
            count = value
        elif isinstance(value, str):
            count = self._count_from_text(value.strip())
        else:
            raise Rejected()
        if count < 0:
            raise Rejected()
        return check_bounds(count, self.minimum, self.maximum)

    @staticmethod
    def _count_from_text(text):
        printed = _PRINTED_SIZE.fullmatch(text)
        if printed:
            return int(re.sub(r"\D", "", printed.group("count")))
        typed = _TYPED_SIZE.fullmatch(text)
        if typed is None:
            raise Rejected()
        number = typed.group("number")
        multiplier = _BYTE_UNITS[(typed.group("unit") or "b").lower()]
        whole, _dot, fraction = number.partition(".")
        numerator = int(whole + fraction) * multiplier
        denominator = 10 ** len(fraction)
        if numerator % denominator:
            raise Rejected("not a whole number of bytes")
        return numerator // denominator

    def to_parameter(self, canonical):
        # A plain byte count: "Unqualified values are typically treated as bytes"
        # (Set-ReceiveConnector.md, MaxMessageSize/MaxHeaderSize).
        return str(canonical)


_TIMESPAN = re.compile(r"(?:(?P<days>\d+)\.)?(?P<hours>\d{1,2}):(?P<minutes>\d{2}):(?P<seconds>\d{2})")


class TimeSpan(Kind):
    """Exchange's EnhancedTimeSpan, canonical as Exchange prints it: ``hh:mm:ss`` or
    ``d.hh:mm:ss`` (Set-ReceiveConnector.md: "enter it as a time span: dd.hh:mm:ss")."""

    noun = "a time span"

    def __init__(self, minimum=None, maximum=None):
        # Bounds in seconds.
        self.minimum = minimum
        self.maximum = maximum
        bounds = ""
        if minimum is not None or maximum is not None:
            bounds = " (from %s to %s)" % (
                self._format(minimum) if minimum is not None else "00:00:00",
                self._format(maximum) if maximum is not None else "any")
        self.accepted = "hh:mm:ss, d.hh:mm:ss or a number of seconds%s" % bounds

    @staticmethod
    def _format(total):
        days, rest = divmod(total, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        clock = "%02d:%02d:%02d" % (hours, minutes, seconds)
        return "%d.%s" % (days, clock) if days else clock

    def seconds(self, value):
        """The number of seconds of a time span as typed or printed; raises Rejected."""
        if isinstance(value, str):
            match = _TIMESPAN.fullmatch(value.strip())
            if match:
                hours, minutes, seconds = (int(match.group(n)) for n in ("hours", "minutes", "seconds"))
                if hours > 23 or minutes > 59 or seconds > 59:
                    raise Rejected("hours 0-23, minutes and seconds 0-59")
                return int(match.group("days") or 0) * 86400 + hours * 3600 + minutes * 60 + seconds
        # A bare number is seconds (never days, as .NET's TimeSpan.Parse would read "300").
        return whole_number(value)

    def parse(self, value):
        total = self.seconds(value)
        if total < 0:
            raise Rejected()
        return self._format(check_bounds(total, self.minimum, self.maximum))


BYTE_SIZE = ByteSize(unlimited=True)
TIMESPAN = TimeSpan()
