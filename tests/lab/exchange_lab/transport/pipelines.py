"""From a PSRP pipeline to Exchange model calls, the way a NoLanguage endpoint allows.

Exchange's remote PowerShell endpoint runs in NoLanguage mode: a client may
only invoke cmdlets with parameters (``add_cmdlet``/``add_parameter``), alone
or piped. Scripts and anything that is not a plain cmdlet name are refused
before anything runs.
"""
import logging
import re
from typing import Any

from psrpcore.types import ErrorRecord

from ..exchange.api import Command, Endpoint
from . import records

log = logging.getLogger(__name__)

# Verb-Noun, nothing else: no script text, paths, module qualifiers or blanks.
_CMDLET_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*-[A-Za-z][A-Za-z0-9]*$")

# What one run produces, in the order it is written to the client.
Emission = tuple[str, Any]  # ("warning", str) | ("output", obj) | ("error", ErrorRecord)


class PipelineRefused(Exception):
    """The pipeline cannot start; ``record`` is the terminating error to report."""

    def __init__(self, record: ErrorRecord):
        super().__init__(str(record))
        self.record = record


def _decode_command(raw) -> Command:
    """One psrpcore Command -> api.Command (named parameters and positional arguments)."""
    command = Command(name=raw.command_text)
    seen: set[str] = set()
    for name, value in raw.parameters:
        if name is None:
            command.arguments.append(value)
            continue
        if name.lower() in seen:
            raise PipelineRefused(records.parameter_already_bound_record(name, raw.command_text))
        seen.add(name.lower())
        # A name without a leading dash is bound with its argument, even a null one: PowerShell's
        # CommandParameter.ToCommandParameterInternal (CreateParameterWithArgument). So a client's
        # add_parameter("X") or add_parameter("X", None) means -X:$null, never a bare switch.
        command.parameters[name] = value
    return command


def decode_pipeline(metadata) -> list[list[Command]]:
    """The statements of a CreatePipeline message, each a list of piped commands."""
    statements: list[list[Command]] = [[]]
    for raw in metadata.commands:
        if raw.is_script or not _CMDLET_NAME.match(raw.command_text or ""):
            # GUESS: a non-script command whose text is not a cmdlet name would
            # be looked up (CommandNotFoundException) by PowerShell; the lab
            # refuses it as script text, which is what such text usually is.
            raise PipelineRefused(records.scripts_not_allowed_record(raw.command_text or ""))
        statements[-1].append(_decode_command(raw))
        if raw.end_of_statement:
            statements.append([])
    return [statement for statement in statements if statement]


def run_statements(endpoint: Endpoint, statements: list[list[Command]], user: str) -> list[Emission]:
    """Run each statement through the model and list what to write back.

    Warnings come first, then output objects, then error records: the model
    returns them as separate lists, so their interleaving is not known.
    """
    emissions: list[Emission] = []
    for commands in statements:
        try:
            result = endpoint.invoke(commands, user)
        except Exception as exc:  # a model bug must not hang the client
            log.exception("Endpoint.invoke failed for %s", [c.name for c in commands])
            emissions.append(("error", records.internal_error_record(commands[0].name, repr(exc))))
            continue
        emissions.extend(("warning", str(message)) for message in result.warnings)
        emissions.extend(("output", obj) for obj in result.output)
        emissions.extend(
            ("error", records.cmdlet_error_record(error, commands[-1].name)) for error in result.errors
        )
    return emissions
