"""Binding a REST cmdlet call's ``Parameters`` object to a cmdlet's declared parameters.

PowerShell's rules that carry over: names are case-insensitive, unknown names and missing
mandatory parameters are binding errors, the common switches (-WhatIf, -Confirm, ...) exist on
every cmdlet.
"""
from dataclasses import dataclass
from typing import Any, Callable

from . import errors, values


@dataclass(frozen=True)
class Param:
    name: str
    convert: Callable[[str, Any], Any]
    mandatory: bool = False


# Common parameters every cmdlet accepts; only WhatIf changes what the lab does.
_COMMON = [Param("WhatIf", values.boolean), Param("Confirm", values.boolean)] + [
    Param(name, lambda _p, raw: raw) for name in (
        "ErrorAction", "WarningAction", "InformationAction", "Verbose", "Debug", "ErrorVariable",
        "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable")]


def bind(declared: list[Param], raw: Any) -> dict[str, Any]:
    """Canonical parameter name -> converted value; CmdletFailure on any binding error."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise errors.CmdletFailure(400, f"{errors.AUTOMATION}.ParameterBindingException",
                                   "Parameters must be a JSON object.")  # GUESS
    by_name = {param.name.lower(): param for param in declared + _COMMON}
    bound: dict[str, Any] = {}
    for name, value in raw.items():
        param = by_name.get(str(name).lstrip("-").lower())
        if param is None:
            raise errors.unknown_parameter(str(name))
        bound[param.name] = param.convert(param.name, value)
    missing = [param.name for param in declared if param.mandatory and bound.get(param.name) in (None, "", [])]
    if missing:
        raise errors.missing_parameters(missing)
    return bound


def identity(parameter: str, raw: Any) -> str | None:
    """An <X>IdParameter: the name or GUID as text."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw.strip()
    raise errors.cannot_convert(parameter, raw, "Microsoft.Exchange.Configuration.Tasks.InboundConnectorIdParameter",
                                "Specify a name or GUID.")  # GUESS


def result_size(parameter: str, raw: Any) -> int | None:
    """Unlimited (None) or a positive count; the docs' default is 1000."""
    if isinstance(raw, str) and raw.strip().lower() == "unlimited":
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return raw
    raise errors.cannot_convert(parameter, raw, "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
                                "The value must be a positive number or Unlimited.")  # GUESS
