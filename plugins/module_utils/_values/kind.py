# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Value kinds: one canonical form per Exchange value, for user input and Exchange output alike.

Exchange prints values back in its own form (``36 MB (37,748,736 bytes)``, ``Tls, BasicAuth``,
IP ranges as typed). An idempotent module must compare meanings, not strings, so every option
has a *kind* that turns both the user's input (``from_input``) and Exchange's output
(``from_exchange``) into the same canonical value, and turns a canonical value back into a
parameter Exchange accepts (``to_parameter``).

``from_exchange`` takes a value as psobject.plain_value gives it: ``None``, a primitive, a
string (an object's ``<ToString>`` text), or a list of those for multi-valued properties; an
object with a ``to_string`` attribute is read by that text too.

Only the standard library is used here, so these functions are cheap to test and to reuse.
"""
from __future__ import annotations

from typing import Any


class InvalidValue(ValueError):
    """The user gave a value that the option cannot take.

    The message names the option, the bad value and the accepted form, so the user can fix the
    playbook without reading the code.
    """

    def __init__(self, option, value, accepted, noun="a valid value", reason=None):
        self.option = option
        self.value = value
        self.accepted = accepted
        self.reason = reason
        because = " (%s)" % reason if reason else ""
        super().__init__("%s: %r is not %s%s; use %s" % (option, value, noun, because, accepted))


class UnexpectedExchangeValue(ValueError):
    """Exchange returned a value this collection cannot read (an unknown shape, never user error)."""


class Rejected(Exception):
    """A kind's parser refuses a value; ``from_input``/``from_exchange`` turn it into the right public error."""

    def __init__(self, reason=None):
        super().__init__(reason)
        self.reason = reason


def text_of(raw: Any) -> Any:
    """The user-facing text of a deserialised value: an object's ToString, else the value."""
    if hasattr(raw, "to_string"):
        return raw.to_string
    return raw


def items_of(raw: Any) -> list:
    """A multi-valued value as a list (Nil is the empty list)."""
    if raw is None:
        return []
    if isinstance(raw, (list, tuple)):
        return list(raw)
    return [raw]


def values_from_properties(properties: dict[str, Any], table: dict[str, tuple[str, "Kind"]]) -> dict[str, Any]:
    """Canonical values for ``table`` ({key: (property name, kind)}) from plain property values
    ({property name: value}). A property missing from ``properties`` is left out of the result; a value
    its kind cannot read raises UnexpectedExchangeValue naming the property."""
    values = {}
    for key, (property_name, kind) in table.items():
        if property_name not in properties:
            continue
        try:
            values[key] = kind.from_exchange(properties[property_name])
        except UnexpectedExchangeValue as err:
            raise UnexpectedExchangeValue("%s: %s" % (property_name, err)) from None
    return values


class Kind:
    """A value kind. Subclasses implement ``parse`` (and may override the rest)."""

    multi = False
    noun = "a valid value"
    accepted = ""

    def parse(self, value):
        """Return the canonical value of ``value`` or raise Rejected."""
        raise NotImplementedError

    def _parse_exchange(self, raw):
        return self.parse(text_of(raw))

    def from_input(self, value: Any, option: str) -> Any:
        try:
            return self.parse(value)
        except Rejected as err:
            raise InvalidValue(option, value, self.accepted, self.noun, err.reason) from None

    def from_exchange(self, raw: Any) -> Any:
        try:
            return self._parse_exchange(raw)
        except Rejected as err:
            because = " (%s)" % err.reason if err.reason else ""
            raise UnexpectedExchangeValue(
                "Exchange returned %r, which is not %s%s" % (text_of(raw), self.noun, because)) from None

    def to_parameter(self, canonical: Any) -> Any:
        return canonical

    def __repr__(self):
        return "<%s>" % type(self).__name__


class MultiKind(Kind):
    """A multi-valued kind: a list (or comma-separated string) of items, canonical as a sorted,
    duplicate-free list so two values compare equal whatever order they were given in."""

    multi = True

    def parse_item(self, text):
        """Return the canonical item for ``text`` or raise Rejected."""
        raise NotImplementedError

    def _sort_key(self, item):
        return item

    def _canonical_list(self, items):
        return sorted(set(items), key=self._sort_key)

    def _split(self, value):
        if value is None:
            return []
        if isinstance(value, str):
            return [part for part in (p.strip() for p in value.split(",")) if part]
        if isinstance(value, (list, tuple)):
            return list(value)
        raise Rejected("expected a list or a comma-separated string")

    def from_input(self, value, option):
        try:
            entries = self._split(value)
        except Rejected as err:
            raise InvalidValue(option, value, self.accepted, self.noun, err.reason) from None
        items = []
        for entry in entries:
            try:
                if not isinstance(entry, str):
                    raise Rejected("expected a string")
                items.append(self.parse_item(entry.strip()))
            except Rejected as err:
                # Name the offending entry, not the whole list.
                raise InvalidValue(option, entry, self.accepted, self.noun, err.reason) from None
        return self._canonical_list(items)

    def _parse_exchange(self, raw):
        return self._canonical_list(self.parse_item(str(text_of(item)).strip()) for item in items_of(raw))

    def to_parameter(self, canonical):
        return list(canonical)


class TextKind(Kind):
    """A kind written as text, where empty means unset. Subclasses implement ``parse_text``."""

    def parse(self, value):
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise Rejected()
        return self.parse_text(value)

    def parse_text(self, text):
        """Return the canonical value of the non-empty ``text`` or raise Rejected."""
        raise NotImplementedError
