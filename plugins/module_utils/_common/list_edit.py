# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edits of multi-valued options: a list is the whole value, a dict adds, removes or sets.

An option value is either a list (the whole value, as before) or a dict with ``add`` and/or
``remove`` (lists), or ``set`` alone, the shape microsoft.ad's list options take. Items compare in
canonical form (canonical.py): 10.1.2.0/24 and 10.1.2.0-10.1.2.255 are one value.

IP ranges compare by the addresses they hold:
- ``add`` of a range already covered by an entry is present, so nothing is added;
- ``remove`` of a range takes away every entry inside it, so afterwards none of its addresses is
  accepted; an entry only partly inside it (a wider range that holds it, or one that straddles its
  edge) is refused rather than split into pieces behind the admin's back: removing one printer
  from a /24 the connector accepts would otherwise turn one entry into several;
- an ``add`` inside a range removed in the same edit is what to keep of it; one reaching beyond it is
  refused, since the removed addresses would stay accepted.

Exchange edits a MultiValuedProperty parameter in place with ``@{Add=...; Remove=...}``
(Set-InboundConnector.md, TrustedOrganizations: "To add or remove one or more values without
affecting any existing entries, use the following syntax: @{Add="Value1","Value2"...;
Remove="Value3","Value4"...}"; Exchange Server's "Modifying multivalued properties" article states it
for every multivalued property). Sending only the delta lets two runs that add different values
both land. [Flags] enums (AuthMechanism, PermissionGroups) are not MultiValuedProperty parameters
(their Type in Set-ReceiveConnector.md is AuthMechanisms / PermissionGroups), so they are written
whole: read, edit, write.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple, Optional

from ansible_collections.mailflow.exchange.plugins.module_utils._values.addresses import IpRanges
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import InvalidValue
from ansible_collections.mailflow.exchange.plugins.module_utils._values.scalars import FlagsKind

EDIT_KEYS = ("add", "remove", "set")
ACCEPTED = ("a list (the whole value), or a dict with add and/or remove (lists of values to add or "
            "remove), or with set alone (the whole value)")
NOUN = "a list or a list edit"
# The @odata.type the Exchange Online REST endpoint binds a hashtable parameter with (EXCHANGE.md 5).
ODATA_HASHTABLE = "#Exchange.GenericHashTable"


class ListEdit(NamedTuple):
    """A parsed edit: ``whole`` (the whole value) or ``add``/``remove``, all canonical."""

    whole: Optional[list]
    add: list
    remove: list


class Resolved(NamedTuple):
    """An edit applied to the current value: the value after it, and what changes."""

    after: list
    added: list
    removed: list


def is_edit(value):
    """True for the dict form (add/remove/set), False for a plain list."""
    return isinstance(value, dict)


def parse(option, value, kind):
    """The ListEdit of ``value`` for a multi-valued ``kind``. Raises canonical.InvalidValue."""
    if not is_edit(value):
        if value is not None and not isinstance(value, (list, tuple, str)):
            raise InvalidValue(option, value, ACCEPTED, NOUN)
        return ListEdit(kind.from_input(value, option), [], [])
    return parse_edit_shape(option, value, kind.from_input)


def parse_edit_shape(option, value, canonical):
    """The ListEdit of the dict ``value``, its items made canonical by ``canonical(items, where)``."""
    _check_shape(option, value)
    items = {key: _items(option, key, value[key], canonical) for key in EDIT_KEYS if key in value}
    if "set" in items:
        return ListEdit(items["set"], [], [])
    add, remove = items.get("add", []), items.get("remove", [])
    both = [item for item in add if item in remove]
    if both:
        raise InvalidValue(option, value, ACCEPTED, NOUN, reason="%s is both added and removed" % ", ".join(both))
    return ListEdit(None, add, remove)


def _check_shape(option, value):
    unknown = sorted(str(key) for key in value if key not in EDIT_KEYS)
    if unknown:
        raise InvalidValue(option, value, ACCEPTED, NOUN, reason="unknown key %s" % ", ".join(unknown))
    if not value:
        raise InvalidValue(option, value, ACCEPTED, NOUN, reason="empty")
    if "set" in value and ("add" in value or "remove" in value):
        raise InvalidValue(option, value, ACCEPTED, NOUN, reason="set cannot be combined with add or remove")


def _items(option, key, raw, canonical):
    where = "%s.%s" % (option, key)
    if raw is not None and not isinstance(raw, (list, tuple, str)):
        raise InvalidValue(where, raw, "a list of values", "a list")
    return canonical(raw, where)


def resolve(option, current, edit, kind):
    """Apply ``edit`` to the canonical ``current`` list. Raises InvalidValue for a removal that would
    split an entry (see the module doc)."""
    current = list(current or [])
    if edit.whole is not None:
        return Resolved(list(edit.whole), [item for item in edit.whole if item not in current],
                        [item for item in current if item not in edit.whole])
    covers, overlaps = _comparison(kind)
    _check_add_keeps_removals(option, edit, covers, overlaps)
    removed = []
    for item in edit.remove:
        for entry in current:
            if covers(item, entry):
                if entry not in removed:
                    removed.append(entry)
            elif overlaps(item, entry):
                raise InvalidValue(
                    "%s.remove" % option, item, "a value the list holds, or a range that holds whole entries",
                    "removable", reason="%s on the object holds addresses outside it too; nothing was changed. "
                    "Remove %s and add the ranges to keep, in one task" % (entry, entry))
    kept = [entry for entry in current if entry not in removed]
    added = []
    for item in edit.add:
        if not any(covers(entry, item) for entry in kept + added):
            added.append(item)
    after = kind.from_input(kept + added, option) if added or removed else current
    return Resolved(after, added, removed)


def _check_add_keeps_removals(option, edit, covers, overlaps):
    """Refuse an added range that would accept again part of a range removed in the same edit.

    An add inside a removed range is what to keep of it (remove 10.1.2.0/24, add 10.1.2.5); one that
    reaches beyond it (add 10.1.2.0/24, remove 10.1.2.5) would leave the removed addresses accepted.
    """
    for item in edit.add:
        for gone in edit.remove:
            if overlaps(item, gone) and not covers(gone, item):
                raise InvalidValue(
                    "%s.add" % option, item, "values apart from the removed ones, or inside them (what to keep)",
                    "addable with this remove", reason="it holds %s, which the same task removes; nothing was "
                    "changed" % gone)


def _comparison(kind):
    """(covers, overlaps) for items of ``kind``: address spans for IP ranges, equality otherwise."""
    if isinstance(kind, IpRanges):
        return _span_covers, _span_overlaps
    return (lambda outer, inner: outer == inner), (lambda first, second: False)


def _span(item):
    """(version, low, high) of a canonical IP item: an address, low-high, or CIDR."""
    if "/" in item:
        network = ipaddress.ip_network(item, strict=False)
        return network.version, int(network[0]), int(network[-1])
    if "-" in item:
        low, high = (ipaddress.ip_address(part) for part in item.split("-", 1))
        return low.version, int(low), int(high)
    address = ipaddress.ip_address(item)
    return address.version, int(address), int(address)


def _span_covers(outer, inner):
    (version, low, high), (inner_version, inner_low, inner_high) = _span(outer), _span(inner)
    return version == inner_version and low <= inner_low and inner_high <= high


def _span_overlaps(first, second):
    (version, low, high), (other_version, other_low, other_high) = _span(first), _span(second)
    return version == other_version and low <= other_high and other_low <= high


def sends_delta(kind):
    """Whether Exchange takes ``@{Add=...; Remove=...}`` for a parameter of ``kind``.

    Every multi-valued kind is a MultiValuedProperty parameter except the [Flags] enums
    (Set-ReceiveConnector.md: AuthMechanism is "Type: AuthMechanisms", PermissionGroups "Type:
    PermissionGroups"), which Exchange reads as one enum value.
    """
    return kind.multi and not isinstance(kind, FlagsKind)


def delta_parameter(kind, resolved, odata=False):
    """The hashtable Exchange edits a MultiValuedProperty with: {"Add": [...], "Remove": [...]}.

    ``odata``: for the Exchange Online REST endpoint, which binds a JSON object to a hashtable
    parameter by its @odata.type (EXCHANGE.md 5).
    """
    table = {}
    if odata:
        table["@odata.type"] = ODATA_HASHTABLE
    if resolved.added:
        table["Add"] = kind.to_parameter(resolved.added)
    if resolved.removed:
        table["Remove"] = kind.to_parameter(resolved.removed)
    return table


def check_single_valued(given, rows):
    """Refuse a dict or a list ``given`` (the task's arguments as written) to a single-valued option.

    Ansible would pass it on as its text ("{'add': ['x']}"), which would then be written as the value.
    Raises InvalidValue.
    """
    for row in rows:
        value = given.get(row.option)
        if not row.kind.multi and isinstance(value, (dict, list)):
            raise InvalidValue(row.option, value, row.kind.accepted or "one value", row.kind.noun,
                               reason="%s only fits a multi-valued option" % ("an edit" if is_edit(value) else "a list"))


def parse_options(params, rows, given=None):
    """Split the multi-valued options given as add/remove edits from the rest.

    Returns ({option: ListEdit} of the add/remove edits, the params with each edit left out and each
    ``set`` dict turned into its list), so engine.desired_values reads the rest as before.
    ``given``: the task's arguments as written (argspec.arguments_as_written), checked by check_single_valued.
    Raises InvalidValue.
    """
    check_single_valued(given or {}, rows)
    edits, plain = {}, dict(params)
    for row in rows:
        value = params.get(row.option)
        if not row.kind.multi or not is_edit(value):
            continue
        edit = parse(row.option, value, row.kind)
        if edit.whole is not None:
            plain[row.option] = edit.whole
        else:
            edits[row.option] = edit
            plain[row.option] = None
    return edits, plain


def resolve_options(edits, current, rows):
    """{option: Resolved} of ``edits`` against the current values (``current`` None: a new object)."""
    kinds = {row.option: row.kind for row in rows}
    return {option: resolve(option, (current or {}).get(option), edit, kinds[option])
            for option, edit in edits.items()}


def delta_parameters(parameters, resolved, rows, odata=False):
    """Set- ``parameters`` with each edited MultiValuedProperty sent as its Add/Remove delta.

    Options whose value did not change are not in ``parameters`` and stay out; [Flags] options keep
    their whole value (read, edit, write).
    """
    result = dict(parameters)
    for row in rows:
        delta = resolved.get(row.option)
        if delta is not None and row.property in result and sends_delta(row.kind):
            result[row.property] = delta_parameter(row.kind, delta, odata)
    return result
