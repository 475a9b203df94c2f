"""The contract between the transport (WSMan/PSRP) and the Exchange model.

The transport decodes a PSRP pipeline into ``Command`` objects and hands them to
``Endpoint.invoke``; it serialises the returned objects and error records back
to the client. Scripts never reach the model: the transport refuses them as
Exchange's NoLanguage endpoint does.
"""
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Command:
    """One cmdlet of a pipeline, as the client built it with add_cmdlet/add_parameter."""

    name: str
    # Parameter name -> value as psrpcore deserialised it (str/int/bool/list/dict
    # subclasses, or None for $null). A switch must be sent as True: PowerShell binds a
    # parameter sent without value as -Name:$null.
    parameters: dict[str, Any] = field(default_factory=dict)
    # Positional arguments (add_argument), in order.
    arguments: list[Any] = field(default_factory=list)


class CmdletError(Exception):
    """An error record as Exchange writes it.

    ``exception_type`` is the .NET type name (e.g.
    ``Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException``),
    ``category`` a System.Management.Automation.ErrorCategory name,
    ``error_id`` the FullyQualifiedErrorId.
    """

    def __init__(self, message: str, exception_type: str, category: str, error_id: str,
                 target: Any = None, cmdlet: str = ""):
        super().__init__(message)
        self.message = message
        self.exception_type = exception_type
        self.category = category
        self.error_id = error_id
        self.target = target
        self.cmdlet = cmdlet


@dataclass
class PipelineResult:
    output: list[Any] = field(default_factory=list)        # psrpcore PSObjects / primitives
    errors: list[CmdletError] = field(default_factory=list)  # written as error records, in order
    warnings: list[str] = field(default_factory=list)


class Endpoint(Protocol):
    """What the transport needs from the Exchange model. Must be thread-safe."""

    def invoke(self, commands: list[Command], user: str) -> PipelineResult:
        ...
