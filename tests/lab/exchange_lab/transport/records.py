"""PowerShell error records as a remote client receives them.

pypsrp shows a record's FullyQualifiedErrorId as ``.fq_error``, the category
number as ``.category``, the reason (exception short name) as ``.reason``, the
category line as ``.message`` and the exception object as ``.exception``.
"""
import psrpcore
from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    NETException,
    PipelineState,
    PSInvocationState,
)

from ..exchange.api import CmdletError

# System.Exception's HResult (COR_E_EXCEPTION).
# GUESS: Exchange's own exception types may carry other HResults.
DEFAULT_HRESULT = -2146233088
# SystemException's HResult (COR_E_SYSTEM), inherited by PowerShell's RuntimeException family.
SYSTEM_HRESULT = -2146233087


class CategoryInfo(ErrorCategoryInfo):
    """ErrorCategoryInfo whose text is PowerShell's ``Category: (Target:Type) [Activity], Reason``.

    psrpcore's own text drops the colon after the category; pypsrp exposes this
    text as ``ErrorRecord.message``.
    """

    def __str__(self) -> str:
        return (
            f"{self.Category.name}: ({self.TargetName or ''}:{self.TargetType or ''}) "
            f"[{self.Activity or ''}], {self.Reason or ''}"
        )


def net_exception(type_names: list[str], message: str, hresult: int = DEFAULT_HRESULT) -> NETException:
    """A serialisable .NET exception whose TypeNames start with ``type_names``."""
    exception = NETException(Message=message, HResult=hresult)
    exception.PSObject.type_names = list(type_names) + [
        name for name in exception.PSTypeNames if name not in type_names
    ]
    # .NET's Exception.ToString(): "<type>: <message>" (the stack trace is not known here).
    exception.PSObject.to_string = f"{type_names[0]}: {message}"
    return exception


def category_of(name: str) -> ErrorCategory:
    try:
        return ErrorCategory[name]
    except KeyError:
        return ErrorCategory.NotSpecified


def _target_type(target) -> str:
    """The short .NET type name PowerShell prints for a target object."""
    if target is None:
        return ""
    if isinstance(target, str):
        return "String"
    type_names = getattr(target, "PSTypeNames", None)
    if type_names:
        return type_names[0].rsplit(".", 1)[-1]
    return type(target).__name__


def cmdlet_error_record(error: CmdletError, command_name: str) -> ErrorRecord:
    """The record Exchange writes for a cmdlet error (CategoryInfo as PowerShell builds it)."""
    activity = error.cmdlet or command_name
    category = CategoryInfo(
        Category=category_of(error.category),
        Activity=activity,
        Reason=error.exception_type.rsplit(".", 1)[-1],
        TargetName="" if error.target is None else str(error.target),
        TargetType=_target_type(error.target),
    )
    return ErrorRecord(
        Exception=net_exception([error.exception_type], error.message),
        CategoryInfo=category,
        TargetObject=error.target,
        FullyQualifiedErrorId=error.error_id,
    )


def scripts_not_allowed_record(script_text: str) -> ErrorRecord:
    """What a NoLanguage endpoint (Exchange's) answers to a script or expression.

    Message, category (ParserError, target = the text, ParseException) and
    FullyQualifiedErrorId ``ScriptsNotAllowed`` as shown in Microsoft's
    about_Language_Modes and about_Session_Configuration_Files help.
    """
    category = CategoryInfo(
        Category=ErrorCategory.ParserError,
        Activity="",
        Reason="ParseException",
        TargetName=script_text,
        TargetType="String",
    )
    exception = net_exception(
        [
            "System.Management.Automation.ParseException",
            "System.Management.Automation.RuntimeException",
            "System.SystemException",
        ],
        "The syntax is not supported by this runspace. This might be because it is in no-language mode.",
        hresult=SYSTEM_HRESULT,
    )
    return ErrorRecord(
        Exception=exception,
        CategoryInfo=category,
        TargetObject=script_text,
        FullyQualifiedErrorId="ScriptsNotAllowed",
    )


def parameter_already_bound_record(parameter: str, command_name: str) -> ErrorRecord:
    """PowerShell's binding error for a parameter given twice (terminating)."""
    category = CategoryInfo(
        Category=ErrorCategory.InvalidArgument,
        Activity=command_name,
        Reason="ParameterBindingException",
        TargetName="",
        TargetType="",
    )
    exception = net_exception(
        [
            "System.Management.Automation.ParameterBindingException",
            "System.Management.Automation.RuntimeException",
            "System.SystemException",
        ],
        f"Cannot bind parameter because parameter '{parameter}' is specified more than once. To provide "
        "multiple values to parameters that can accept multiple values, use the array syntax. For example, "
        '"-parameter value1,value2,value3".',
        hresult=SYSTEM_HRESULT,
    )
    # GUESS: PowerShell appends the cmdlet's .NET class name; the lab knows only its name.
    return ErrorRecord(
        Exception=exception,
        CategoryInfo=category,
        FullyQualifiedErrorId=f"ParameterAlreadyBound,{command_name}",
    )


def internal_error_record(command_name: str, detail: str) -> ErrorRecord:
    """A lab fault (a bug in the model) surfaced as a RuntimeException, never a hang."""
    category = CategoryInfo(
        Category=ErrorCategory.NotSpecified, Activity=command_name, Reason="RuntimeException"
    )
    return ErrorRecord(
        Exception=net_exception(
            ["System.Management.Automation.RuntimeException", "System.SystemException"],
            f"Exchange lab internal error: {detail}",
        ),
        CategoryInfo=category,
        FullyQualifiedErrorId="ExchangeLabInternalError",
    )


def write_record(pipe: psrpcore.ServerPipeline, record: ErrorRecord) -> None:
    """Write ``record`` to the pipeline's error stream (a non-terminating error)."""
    pipe.write_error(
        exception=record.Exception,
        category_info=record.CategoryInfo,
        target_object=record.TargetObject,
        fully_qualified_error_id=record.FullyQualifiedErrorId,
    )


def fail_pipeline(pipe: psrpcore.ServerPipeline, record: ErrorRecord) -> None:
    """End ``pipe`` with a terminating error, as PowerShell does for a parse error.

    psrpcore 0.3.1 has no public call for a failed pipeline (only complete/stop),
    so this queues the PIPELINE_STATE message [MS-PSRP 2.2.2.21] itself, with
    state Failed and the record as ExceptionAsErrorRecord, through the public
    prepare_message(), and records the state on the pipeline object. pypsrp then
    sets ``had_errors`` and adds the record to ``streams.error``.
    """
    pipe.prepare_message(
        PipelineState(PipelineState=int(PSInvocationState.Failed), ExceptionAsErrorRecord=record)
    )
    pipe.state = PSInvocationState.Failed


def transient_directory_error_record(command_name: str) -> ErrorRecord:
    """The fault plan's ``write_error``: the cmdlet fails before writing, as when a domain controller
    is unreachable.

    GUESS: wording and error id; the exception type is Exchange's ADTransientException.
    """
    exception_type = "Microsoft.Exchange.Data.Directory.ADTransientException"
    category = CategoryInfo(Category=ErrorCategory.NotSpecified, Activity=command_name,
                            Reason="ADTransientException")
    return ErrorRecord(
        Exception=net_exception([exception_type], "Active Directory operation failed on DC01.exlab.dom. "
                                "The supplied credential is valid but the server is not available."),
        CategoryInfo=category,
        FullyQualifiedErrorId=f"[Server=WIN-CTD3L0RGEN4],1D2B3C4E,{command_name}",
    )
