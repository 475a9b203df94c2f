"""Error records as Exchange's tasks and PowerShell's parameter binder write them.

Two families:
- Exchange task errors: FullyQualifiedErrorId
  "[Server=S,RequestId=<guid>,TimeStamp=<time>] [FailureCategory=Cmdlet-<Exception>] <8 hex>,<task class>"
  (shape seen in real Exchange output, e.g. Cmdlet-AdminLimitExceededException on Set-ReceiveConnector);
- PowerShell binding errors: FullyQualifiedErrorId "<ErrorId>,<Cmdlet-Name>" and the engine's own wording.
"""
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from exchange_lab.exchange.api import CmdletError

TASKS_NAMESPACE = "Microsoft.Exchange.Management.SystemConfigurationTasks"
# The ADPermission tasks live in another namespace (RecipientTasks.AddADPermission, ...).
RECIPIENT_TASKS_NAMESPACE = "Microsoft.Exchange.Management.RecipientTasks"
CONFIGURATION_TASKS = "Microsoft.Exchange.Configuration.Tasks"
_AUTOMATION = "System.Management.Automation"


@dataclass(frozen=True)
class Reporter:
    """Who reports: the server running the cmdlets and the DC it reads from."""

    server: str
    domain_controller: str

    def task_error(self, cmdlet: str, exception_type: str, message: str, category: str = "NotSpecified",
                   target: Any = None, task_namespace: str = TASKS_NAMESPACE) -> CmdletError:
        short_type = exception_type.rsplit(".", 1)[-1]
        # GUESS: en-US time of the server; the 8 hex digits are a hash we derive from the message.
        now = datetime.now(timezone.utc)
        hour = now.hour % 12 or 12
        stamp = (f"{now.month}/{now.day}/{now.year} {hour}:{now.minute:02}:{now.second:02} "
                 f"{'AM' if now.hour < 12 else 'PM'}")
        code = zlib.crc32(f"{short_type}:{message}".encode()) & 0xFFFFFFFF
        error_id = (f"[Server={self.server},RequestId={uuid.uuid4()},TimeStamp={stamp}] "
                    f"[FailureCategory=Cmdlet-{short_type}] {code:08X},{task_namespace}.{cmdlet.replace('-', '')}")
        return CmdletError(message, exception_type, category, error_id, target=target, cmdlet=cmdlet)

    def not_found(self, cmdlet: str, identity: str, task_namespace: str = TASKS_NAMESPACE) -> CmdletError:
        return self.task_error(
            cmdlet, f"{CONFIGURATION_TASKS}.ManagementObjectNotFoundException",
            f"The operation couldn't be performed because object '{identity}' couldn't be found on "
            f"'{self.domain_controller}'.", target=identity, task_namespace=task_namespace)

    def ambiguous(self, cmdlet: str, identity: str, task_namespace: str = TASKS_NAMESPACE) -> CmdletError:
        return self.task_error(
            cmdlet, f"{CONFIGURATION_TASKS}.ManagementObjectAmbiguousException",
            f"The operation couldn't be performed because '{identity}' matches multiple entries.", target=identity,
            task_namespace=task_namespace)


def _binding(cmdlet: str, exception: str, error_id: str, category: str, message: str) -> CmdletError:
    return CmdletError(message, f"{_AUTOMATION}.{exception}", category, f"{error_id},{cmdlet}", cmdlet=cmdlet)


def command_not_found(name: str) -> CmdletError:
    return CmdletError(
        f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable "
        "program. Check the spelling of the name, or if a path was included, verify that the path is correct "
        "and try again.", f"{_AUTOMATION}.CommandNotFoundException", "ObjectNotFound", "CommandNotFoundException",
        target=name, cmdlet=name)


def cannot_convert(cmdlet: str, parameter: str, value: Any, type_name: str, reason: str) -> CmdletError:
    """ParameterArgumentTransformationError (category InvalidData, as a real Set-ReceiveConnector shows)."""
    return _binding(
        cmdlet, "ParameterBindingArgumentTransformationException", "ParameterArgumentTransformationError",
        "InvalidData", f"Cannot process argument transformation on parameter '{parameter}'. Cannot convert value "
        f"\"{display(value)}\" to type \"{type_name}\". Error: \"{reason}\"")


def boolean_only(cmdlet: str, parameter: str, value: Any) -> CmdletError:
    return _binding(
        cmdlet, "ParameterBindingArgumentTransformationException", "ParameterArgumentTransformationError",
        "InvalidData", f"Cannot process argument transformation on parameter '{parameter}'. Cannot convert value "
        f"\"{dotnet_type(value)}\" to type \"System.Boolean\". Boolean "
        "parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.")


def missing_mandatory(cmdlet: str, names: Iterable[str]) -> CmdletError:
    return _binding(cmdlet, "ParameterBindingException", "MissingMandatoryParameter", "InvalidArgument",
                    "Cannot process command because of one or more missing mandatory parameters: "
                    f"{' '.join(names)}.")


def ambiguous_parameter_set(cmdlet: str) -> CmdletError:
    return _binding(cmdlet, "ParameterBindingException", "AmbiguousParameterSet", "InvalidArgument",
                    "Parameter set cannot be resolved using the specified named parameters.")


def unknown_parameter(cmdlet: str, name: str) -> CmdletError:
    return _binding(cmdlet, "ParameterBindingException", "NamedParameterNotFound", "InvalidArgument",
                    f"A parameter cannot be found that matches parameter name '{name}'.")


def ambiguous_parameter(cmdlet: str, name: str, matches: Iterable[str]) -> CmdletError:
    return _binding(cmdlet, "ParameterBindingException", "AmbiguousParameter", "InvalidArgument",
                    f"Parameter cannot be processed because the parameter name '{name}' is ambiguous. "
                    f"Possible matches include: {' '.join('-' + m for m in matches)}.")


def positional_not_found(cmdlet: str, value: Any) -> CmdletError:
    return _binding(cmdlet, "ParameterBindingException", "PositionalParameterNotFound", "InvalidArgument",
                    f"A positional parameter cannot be found that accepts argument '{display(value)}'.")


def bound_twice(cmdlet: str, name: str) -> CmdletError:
    return _binding(cmdlet, "ParameterBindingException", "ParameterAlreadyBound", "InvalidArgument",
                    f"Cannot bind parameter because parameter '{name}' is specified more than once. To provide "
                    "multiple values to parameters that can accept multiple values, use the array syntax. For "
                    "example, \"-parameter value1,value2,value3\".")


def null_not_allowed(cmdlet: str, parameter: str, empty: str = "") -> CmdletError:
    """Mandatory parameters refuse $null, "" and @() (ParameterBindingValidationException)."""
    kinds = {"": ("null", "NullNotAllowed"), "string": ("an empty string", "EmptyStringNotAllowed"),
             "collection": ("an empty collection", "EmptyCollectionNotAllowed")}
    text, suffix = kinds[empty]
    return _binding(cmdlet, "ParameterBindingValidationException", f"ParameterArgumentValidationError{suffix}",
                    "InvalidData", f"Cannot bind argument to parameter '{parameter}' because it is {text}.")


def confirmation_needed(cmdlet: str, action: str, target: str) -> CmdletError:
    # GUESS: over PSRP without an interactive host ShouldProcess cannot prompt and fails like this.
    return CmdletError(
        "A command that prompts the user failed because the host program or the command type does not support "
        "user interaction. The host was attempting to request confirmation with the following message: "
        f"Are you sure you want to perform this action?\r\n{action} \"{target}\".",
        f"{_AUTOMATION}.Host.HostException", "NotSpecified", f"HostException,{cmdlet}", target=target, cmdlet=cmdlet)


def dotnet_type(value: Any) -> str:
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    if isinstance(value, (list, tuple)):
        return "System.Object[]"
    if isinstance(value, int):
        return "System.Int32"
    return "System.Management.Automation.PSObject"


def display(value: Any) -> str:
    """How PowerShell prints a value inside "Cannot convert value "...""."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (str, int)):
        return str(value)
    return dotnet_type(value)
