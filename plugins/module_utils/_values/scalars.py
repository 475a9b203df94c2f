# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scalar kinds: text, booleans, whole numbers, .NET enums and [Flags] enums.

Each reads the user's input and Exchange's output into one canonical value (see kind.py).
"""
from __future__ import annotations

import re

from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    Kind,
    MultiKind,
    Rejected,
    text_of,
)


class String(Kind):
    """Free text; empty means unset (Exchange prints an unset Banner/Comment as '' or Nil)."""

    noun = "a string"

    def __init__(self, max_length=None):
        self.max_length = max_length
        self.accepted = "text" if max_length is None else "text of at most %d characters" % max_length

    def parse(self, value):
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise Rejected("expected text")
        if self.max_length is not None and len(value) > self.max_length:
            raise Rejected("longer than %d characters" % self.max_length)
        return value


# The boolean spellings Ansible accepts (ansible.module_utils.parsing.convert_bool).
_TRUE_WORDS = frozenset(("y", "yes", "on", "1", "true", "t"))
_FALSE_WORDS = frozenset(("n", "no", "off", "0", "false", "f"))


class Bool(Kind):
    noun = "a boolean"
    accepted = "true or false (yes/no, on/off, 1/0 also work)"

    def parse(self, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE_WORDS:
                return True
            if word in _FALSE_WORDS:
                return False
        raise Rejected()


def range_text(minimum: int | None, maximum: int | None) -> str:
    """The bounds as the words of an accepted form (" from 1 to 100", " of at least 1"), or ""."""
    if minimum is not None and maximum is not None:
        return " from %d to %d" % (minimum, maximum)
    if minimum is not None:
        return " of at least %d" % minimum
    if maximum is not None:
        return " of at most %d" % maximum
    return ""


def whole_number(value: object) -> int:
    """An int from an int or a string of digits (bool is not a number here)."""
    if isinstance(value, bool):
        raise Rejected()
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    raise Rejected()


def check_bounds(number: int, minimum: int | None, maximum: int | None) -> int:
    """``number`` if within the bounds (None: unbounded), else Rejected."""
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise Rejected("out of range")
    return number


class Int(Kind):
    def __init__(self, minimum=None, maximum=None):
        self.minimum = minimum
        self.maximum = maximum
        self.noun = "a whole number" + range_text(minimum, maximum)
        self.accepted = self.noun

    def parse(self, value):
        return check_bounds(whole_number(value), self.minimum, self.maximum)


UNLIMITED = "Unlimited"


def is_unlimited(value: object) -> bool:
    """Whether ``value`` is the word Unlimited (any case)."""
    return isinstance(value, str) and value.strip().lower() == "unlimited"


class UnlimitedInt(Kind):
    """Exchange's Unlimited<int>: a number or the word Unlimited."""

    def __init__(self, minimum=None, maximum=None):
        self.minimum = minimum
        self.maximum = maximum
        self.noun = "a whole number%s or Unlimited" % range_text(minimum, maximum)
        self.accepted = self.noun

    def parse(self, value):
        if is_unlimited(value):
            return UNLIMITED
        return check_bounds(whole_number(value), self.minimum, self.maximum)

    def to_parameter(self, canonical):
        # A string binds to Unlimited<int> through its Parse method, for numbers and 'Unlimited'.
        return str(canonical)


class EnumKind(Kind):
    """One name of a .NET enum. Input is case-insensitive; canonical is Exchange's spelling."""

    noun = "a known value"

    def __init__(self, names):
        self.names = tuple(names)
        self._by_lower = {name.lower(): name for name in self.names}
        self.accepted = "one of " + ", ".join(self.names)

    def parse(self, value):
        if isinstance(value, str) and value.strip().lower() in self._by_lower:
            return self._by_lower[value.strip().lower()]
        raise Rejected()

    def _parse_exchange(self, raw):
        text = text_of(raw)
        if not isinstance(text, str) or not text:
            raise Rejected()
        # A name Exchange knows but this collection does not is still a fact to report.
        return self._by_lower.get(text.lower(), text)


class FlagsKind(MultiKind):
    """A .NET [Flags] enum (AuthMechanism, PermissionGroups): canonical is the list of set names,
    in the enum's declared (bit) order, the order Exchange prints them; None is the empty list."""

    noun = "a known value"

    def __init__(self, names):
        self.names = tuple(names)
        self._by_lower = {name.lower(): name for name in self.names}
        self._order = {name: index for index, name in enumerate(self.names)}
        self.accepted = ("one or more of %s (a list or a comma-separated string; None only by itself)"
                         % ", ".join(self.names))

    def _sort_key(self, item):
        return (self._order.get(item, len(self._order)), item)

    def parse_item(self, text):
        name = self._by_lower.get(text.lower())
        if name is None:
            raise Rejected("unknown name")
        return name

    def from_input(self, value, option):
        names = super().from_input(value, option)
        # "You can only use the value None by itself." (Set-ReceiveConnector.md, AuthMechanism)
        if "None" in names and len(names) > 1:
            raise InvalidValue(option, value, self.accepted, self.noun, "None cannot be combined")
        return [name for name in names if name != "None"]

    def _parse_exchange(self, raw):
        text = text_of(raw)
        if text is None:
            return []
        if isinstance(text, (list, tuple)):
            parts = [str(text_of(item)) for item in text]
        else:
            parts = str(text).split(",")
        names = []
        for part in (p.strip() for p in parts):
            if part and part != "None":
                # Keep a name this collection does not know rather than hide it.
                names.append(self._by_lower.get(part.lower(), part))
        return self._canonical_list(names)

    def to_parameter(self, canonical):
        # The enum's own text form ("Tls, BasicAuth"), which Enum.Parse reads back.
        return ", ".join(canonical) if canonical else "None"


STRING = String()
BOOL = Bool()
INT = Int()
UNLIMITED_INT = UnlimitedInt()
