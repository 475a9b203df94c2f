# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare and plan over a property table.

A module describes its object as rows (option, Exchange property, value kind,
settable on New, settable on Set). This engine turns the user's options into
canonical values, compares them with what Exchange returned (also canonical),
and builds the New-/Set- parameters of the difference. It never talks to
Exchange itself, so check mode is simply "plan, don't apply".
"""

from __future__ import annotations

from typing import NamedTuple

from ansible_collections.mailflow.exchange.plugins.module_utils._values import canonical


class Row(NamedTuple):
    """One option of a property table: its Exchange property, value kind, and which cmdlets set it."""

    option: str
    property: str
    kind: canonical.Kind
    settable_on_new: bool = True
    settable_on_set: bool = True


# Ansible argument types of the value kinds: multi-valued kinds are raw (a list, a comma-separated
# string, or an add/remove/set dict: list_edit.py checks them), kinds that accept numbers or words too.
_ARGUMENT_TYPES = (
    (canonical.Bool, dict(type="bool")),
    (canonical.Int, dict(type="int")),
    (canonical.UnlimitedInt, dict(type="raw")),
    (canonical.ByteSize, dict(type="raw")),
    (canonical.TimeSpan, dict(type="raw")),
)


def settable(row):
    return row.settable_on_new or row.settable_on_set


def argument_spec(rows):
    """The Ansible argument spec of the settable rows (no defaults: unset means "leave as is")."""
    spec = {}
    for row in rows:
        if not settable(row):
            continue
        if row.kind.multi:
            spec[row.option] = dict(type="raw")
            continue
        spec[row.option] = next((dict(arg) for kind_type, arg in _ARGUMENT_TYPES
                                 if isinstance(row.kind, kind_type)), dict(type="str"))
    return spec


def desired_values(params, rows):
    """Canonical values of the options the user set. Raises canonical.InvalidValue."""
    desired = {}
    for row in rows:
        if settable(row) and params.get(row.option) is not None:
            desired[row.option] = row.kind.from_input(params[row.option], row.option)
    return desired


def readable_values(values, rows):
    """Only the settable options of a read object: the form a module accepts back."""
    return {row.option: values[row.option] for row in rows if settable(row) and row.option in values}


def differences(current, desired):
    """{option: (current value, desired value)} for each option that differs."""
    return {option: (current.get(option), value)
            for option, value in desired.items() if current.get(option) != value}


def merged(current, desired):
    """What the object will look like once the desired values are applied."""
    after = dict(current)
    after.update(desired)
    return after


def parameters(values, rows, options, on_new):
    """New-/Set- parameters for ``options``: {Exchange parameter: value}.

    Options the cmdlet does not take are returned apart, so the caller can
    apply them with a second cmdlet (New then Set) or refuse them.
    """
    by_option = {row.option: row for row in rows}
    accepted, left_over = {}, []
    for option in options:
        row = by_option[option]
        if row.settable_on_new if on_new else row.settable_on_set:
            accepted[row.property] = row.kind.to_parameter(values[option])
        else:
            left_over.append(option)
    return accepted, left_over
