"""Cmdlet errors as the Exchange Online REST endpoint returns them.

EXCHANGE.md 5: ``{"error": {"code", "message": "Error executing cmdlet", "details": [{"code":
"Client", "target": "", "message": "<stringId>|<ExceptionType>|<text>"}], "innererror": {...}}}``,
400 for validation and cmdlet errors, 404 for objects not found. Exception types are Exchange's;
the texts of validation errors are not public and marked GUESS where they are built.
"""
import json
import zlib
from dataclasses import dataclass

from .. import variants

CONFIGURATION_TASKS = "Microsoft.Exchange.Configuration.Tasks"
AUTOMATION = "System.Management.Automation"
# GUESS: the domain controller name EXO puts into "couldn't be found on '...'" (one of its forest DCs).
DOMAIN_CONTROLLER = "AM7PR04A011DC01.EURPR04A011.PROD.OUTLOOK.COM"


@dataclass(frozen=True)
class CmdletFailure(Exception):
    status: int
    exception_type: str
    text: str

    @property
    def string_id(self) -> str:
        # GUESS: EXO prefixes an 8-hex-digit id of the localized string; a stable hash stands in.
        return f"Ex{zlib.crc32(self.exception_type.encode()) & 0xFFFFFF:06X}"

    def detail(self) -> str:
        """details[0].message: ``<id>|<ExceptionType>|<text>``, or under the variant exo-error-details-json a
        JSON object (GUESS: its keys, named as .NET serialises an error record's fields)."""
        if variants.is_active("exo-error-details-json"):
            return json.dumps({"ErrorId": self.string_id, "ExceptionType": self.exception_type, "Message": self.text})
        return f"{self.string_id}|{self.exception_type}|{self.text}"

    def body(self) -> dict:
        detail = self.detail()
        code = {400: "BadRequest", 404: "NotFound"}.get(self.status, "BadRequest")  # GUESS: NotFound
        return {"error": {
            "code": code,
            "message": "Error executing cmdlet",
            "details": [{"code": "Client", "target": "", "message": detail}],
            # GUESS: innererror's keys (OData's usual message/type/stacktrace).
            "innererror": {"message": "Error executing cmdlet",
                           "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                           "stacktrace": "", "internalexception": {
                               "message": self.text, "type": self.exception_type, "stacktrace": ""}},
        }}


def not_found(identity: str) -> CmdletFailure:
    return CmdletFailure(404, f"{CONFIGURATION_TASKS}.ManagementObjectNotFoundException",
                         f"The operation couldn't be performed because object '{identity}' couldn't be found "
                         f"on '{DOMAIN_CONTROLLER}'.")


def unknown_cmdlet(name: str) -> CmdletFailure:
    # GUESS: the endpoint answers an unknown cmdlet like PowerShell's CommandNotFoundException.
    return CmdletFailure(400, f"{AUTOMATION}.CommandNotFoundException",
                         f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, "
                         "or operable program. Check the spelling of the name, or if a path was included, verify "
                         "that the path is correct and try again.")


def unknown_parameter(name: str) -> CmdletFailure:
    return CmdletFailure(400, f"{AUTOMATION}.ParameterBindingException",
                         f"A parameter cannot be found that matches parameter name '{name}'.")


def missing_parameters(names: list[str]) -> CmdletFailure:
    return CmdletFailure(400, f"{AUTOMATION}.ParameterBindingException",
                         "Cannot process command because of one or more missing mandatory parameters: "
                         f"{' '.join(names)}.")


def cannot_convert(parameter: str, value: object, type_name: str, reason: str) -> CmdletFailure:
    return CmdletFailure(400, f"{AUTOMATION}.ParameterBindingArgumentTransformationException",
                         f"Cannot process argument transformation on parameter '{parameter}'. Cannot convert "
                         f"value \"{value}\" to type \"{type_name}\". Error: \"{reason}\"")


def validation(text: str) -> CmdletFailure:
    # GUESS: task-level validation failures surface as DataValidationException.
    return CmdletFailure(400, "Microsoft.Exchange.Data.DataValidationException", text)


def already_exists(name: str) -> CmdletFailure:
    # GUESS: exception type and wording for a second connector with the same name.
    return CmdletFailure(400, "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
                         f"An inbound connector with the name '{name}' already exists.")


def inbound_connectors_restricted() -> CmdletFailure:
    # GUESS: exception type and wording; New-InboundConnector.md only says creation "is restricted
    # in Microsoft 365 E5 developer subscriptions" and that a support ticket won't help.
    return CmdletFailure(400, "Microsoft.Exchange.Management.Tasks.ConnectorRestrictedException",
                         "Creation of inbound connectors is restricted for this subscription (Microsoft 365 E5 "
                         "developer). New-InboundConnector can't be run in this organization.")
