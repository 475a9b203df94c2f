"""PowerShell's parameter binding for the lab's cmdlets.

Names match case-insensitively, by alias or by an unambiguous prefix; positional
arguments fill the parameters with a position; common parameters are accepted
and ignored. Values are converted to the parameter's .NET type; a failed
conversion is the engine's ParameterArgumentTransformationError.
"""
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from exchange_lab import variants
from exchange_lab.exchange import errors
from exchange_lab.exchange.api import Command
from exchange_lab.exchange.values import ValueFormatError


class BooleanOnly(Exception):
    """A [bool] parameter got something other than a Boolean or a number."""


@dataclass(frozen=True)
class Param:
    name: str
    convert: Callable[[Any], Any] = lambda value: as_string(value)  # noqa: E731
    type_name: str = "System.String"
    aliases: tuple[str, ...] = ()
    position: Optional[int] = None
    # Mandatory parameters: PowerShell refuses $null, "" and empty collections.
    refuses_empty: bool = False
    switch: bool = False


def bind(cmdlet: str, params: list[Param], command: Command) -> dict[str, Any]:
    """Bind ``command``'s named and positional values; keys are canonical names."""
    table = params + COMMON_PARAMETERS
    bound: dict[str, Any] = {}
    for given, value in command.parameters.items():
        param = _resolve(cmdlet, table, str(given))
        if param.name in bound:
            raise errors.bound_twice(cmdlet, param.name)
        bound[param.name] = _convert(cmdlet, param, value)
    positional = sorted((p for p in params if p.position is not None), key=lambda p: p.position)
    for value in command.arguments:
        free = [p for p in positional if p.name not in bound]
        if not free:
            raise errors.positional_not_found(cmdlet, value)
        bound[free[0].name] = _convert(cmdlet, free[0], value)
    return bound


def _resolve(cmdlet: str, table: list[Param], given: str) -> Param:
    wanted = given.lstrip("-").lower()
    for param in table:
        if wanted in (name.lower() for name in (param.name, *param.aliases)):
            return param
    matches = [p for p in table if any(n.lower().startswith(wanted) for n in (p.name, *p.aliases))]
    if len(matches) == 1 and wanted:
        return matches[0]
    if len(matches) > 1 and wanted:
        raise errors.ambiguous_parameter(cmdlet, given, [p.name for p in matches])
    raise errors.unknown_parameter(cmdlet, given)


def _convert(cmdlet: str, param: Param, value: Any) -> Any:
    if param.switch:
        return as_switch(value)
    if param.refuses_empty:
        if value is None:
            raise errors.null_not_allowed(cmdlet, param.name)
        if isinstance(value, str) and value == "":
            raise errors.null_not_allowed(cmdlet, param.name, "string")
        if isinstance(value, (list, tuple)) and not value:
            raise errors.null_not_allowed(cmdlet, param.name, "collection")
    try:
        return param.convert(value)
    except BooleanOnly:
        raise errors.boolean_only(cmdlet, param.name, value) from None
    except ValueFormatError as failure:
        raise errors.cannot_convert(cmdlet, param.name, value, param.type_name, str(failure)) from None


# --------------------------------------------------------------------------
# Conversions to .NET parameter types
# --------------------------------------------------------------------------
def as_switch(value: Any) -> bool:
    # [switch]$null is not present: -Confirm:$null does not confirm.
    return bool(value)


def as_string(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)  # PowerShell joins with $OFS (a space)
    return str(value)


def as_bool(value: Any) -> bool:
    """[bool] parameters take only Booleans and numbers (PowerShell's rule)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    raise BooleanOnly()


def as_int32(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        number = int(value)
    else:
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueFormatError("Input string was not in a correct format.")  # .NET's message
        number = int(text)
    if not -(2**31) <= number < 2**31:
        raise ValueFormatError("Value was either too large or too small for an Int32.")  # .NET's message
    return number


def as_identity(value: Any) -> Optional[str]:
    """An *IdParameter: a string, or an object whose Identity names it."""
    if value is None:
        return None
    identity = _property(value, "Identity")
    return str(identity if identity is not None else value)


def name_pattern(name: str) -> re.Pattern:
    """How the name part of an identity matches object names (case-insensitive)."""
    if variants.is_active("literal-identities"):
        # The -Identity pages' "Accept wildcard characters: False": every character is itself.
        return re.compile("^" + re.escape(name) + "$", re.IGNORECASE)
    # GUESS: Exchange identities accept "*" wildcards in the name part (ADIdParameter); "?" and "[" are
    # plain characters. The docs say "Accept wildcard characters: False" (variant literal-identities).
    return re.compile("^" + ".*".join(re.escape(part) for part in name.split("*")) + "$", re.IGNORECASE)


def _property(value: Any, name: str) -> Any:
    meta = getattr(value, "PSObject", None)
    if meta is None:
        return None
    for prop in meta.adapted_properties + meta.extended_properties:
        if prop.name == name:
            return prop.get_value(value)
    return None


# --------------------------------------------------------------------------
# Common parameters (accepted, ignored) and the ShouldProcess switches
# --------------------------------------------------------------------------
def switch(name: str, *aliases: str) -> Param:
    return Param(name, as_switch, "System.Management.Automation.SwitchParameter", aliases, switch=True)


COMMON_PARAMETERS = [
    switch("Verbose", "vb"), switch("Debug", "db"), Param("ErrorAction", aliases=("ea",)),
    Param("WarningAction", aliases=("wa",)), Param("InformationAction", aliases=("infa",)),
    Param("ErrorVariable", aliases=("ev",)), Param("WarningVariable", aliases=("wv",)),
    Param("InformationVariable", aliases=("iv",)), Param("OutVariable", aliases=("ov",)),
    Param("OutBuffer", aliases=("ob",)), Param("PipelineVariable", aliases=("pv",)),
    Param("DomainController"),
]
CONFIRM = switch("Confirm", "cf")
WHATIF = switch("WhatIf", "wi")


# --------------------------------------------------------------------------
# Multi-valued parameters: a list replaces, @{Add=...; Remove=...} edits
# --------------------------------------------------------------------------
_ADD_KEYS = ("add", "+")  # GUESS: MultiValuedProperty's AddKeys/RemoveKeys include the symbols.
_REMOVE_KEYS = ("remove", "-")


@dataclass
class MultiValue:
    replace: Optional[list] = None
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)

    def apply(self, current: list) -> list:
        """MultiValuedProperty.CopyChangesFrom: removals, then additions of absent values."""
        if self.replace is not None:
            return list(self.replace)
        result = [item for item in current if item not in self.removed]
        result.extend(item for item in self.added if item not in result)
        return result


def multi_valued(parse_item: Callable[[Any], Any]) -> Callable[[Any], MultiValue]:
    def parse(raw: Any) -> Any:
        # An object (say an IPRange a client got from Get-ReceiveConnector) converts through its ToString.
        return parse_item(raw if isinstance(raw, (str, int)) else str(raw))

    def convert(value: Any) -> MultiValue:
        if isinstance(value, dict):
            return _changes(parse, value)
        items = list(value) if isinstance(value, (list, tuple)) else ([] if value is None else [value])
        parsed: list = []
        for raw in items:
            if raw is None:
                continue
            item = parse(raw)
            if item in parsed:
                # GUESS: DataStrings.ErrorValueAlreadyPresent wording.
                raise ValueFormatError(f"The value \"{raw}\" is already present in the collection.")
            parsed.append(item)
        return MultiValue(replace=parsed)
    return convert


def _changes(parse_item: Callable[[Any], Any], table: dict) -> MultiValue:
    """A changes-only copy: adding a present or removing an absent value is no error."""
    change = MultiValue()
    for key, raw in table.items():
        values = list(raw) if isinstance(raw, (list, tuple)) else [raw]
        operation = str(key).lower()
        if operation not in _ADD_KEYS + _REMOVE_KEYS:
            # GUESS: DataStrings.ErrorUnknownOperation wording.
            raise ValueFormatError(
                f"The operation '{key}' isn't supported. Use one of 'Add', '+' or 'Remove', '-'.")
        for value in values:
            if value is None:
                continue
            item = parse_item(value)
            if operation in _ADD_KEYS:
                _move(item, change.removed, change.added)
            else:
                _move(item, change.added, change.removed)
    return change


def _move(item: Any, cancels: list, target: list) -> None:
    if item in cancels:
        cancels.remove(item)
    elif item not in target:
        target.append(item)

