"""The WinRM faults the lab answers with, worded like a real server.

Numeric codes are the Windows ERROR_WSMAN_* values (pypsrp and PowerShell
branch on them); wording comes from real server output where we found it.
"""
from .soap import WSManFault

# ERROR_WSMAN_OPERATION_TIMEDOUT (0x80338029): pypsrp's poll loop retries on it.
OPERATION_TIMED_OUT = 2150858793
# ERROR_WSMAN_INVALID_RESOURCE_URI (0x8033803B): PowerShell's client turns this
# code into "Cannot find the <name> session configuration" (WSManTransportManager).
INVALID_RESOURCE_URI = 2150858811
# 0x8033805B: the code a real WinRM server sent with the "shell was not found"
# message below (WinRb/WinRM issue #253); pypsrp's is_alive() reads it as closed.
SHELL_NOT_FOUND = 2150858843
# ERROR_WSMAN_INVALID_ACTIONURI (0x80338001).
INVALID_ACTION = 2150858753


def operation_timed_out() -> WSManFault:
    return WSManFault(
        OPERATION_TIMED_OUT,
        "w:TimedOut",
        "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
        receiver=True,
    )


def unknown_configuration(resource_uri: str) -> WSManFault:
    # Wording from Microsoft's Unregister-PSSessionConfiguration help (example of
    # connecting to a removed configuration).
    # GUESS: the SOAP subcode; WS-Management names DestinationUnreachable for an
    # unknown resource URI.
    return WSManFault(
        INVALID_RESOURCE_URI,
        "a:DestinationUnreachable",
        f"The WS-Management service cannot process the request. The resource URI ({resource_uri}) was not "
        "found in the WS-Management catalog. The catalog contains the metadata that describes resources, "
        "or logical endpoints.",
    )


def shell_not_found(shell_id: str) -> WSManFault:
    # GUESS: the subcode.
    return WSManFault(
        SHELL_NOT_FOUND,
        "w:InvalidSelectors",
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not "
        "found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer "
        "exists on the server. Provide the correct ShellId or create a new shell and retry the operation.",
    )


def action_not_supported(action: str) -> WSManFault:
    # GUESS: wording; the lab implements only what pypsrp needs for PSRP.
    return WSManFault(
        INVALID_ACTION,
        "a:ActionNotSupported",
        f"The WS-Management service cannot process the request. The WS-Addressing action URI {action} is "
        "not supported by this resource.",
    )


def invalid_request(detail: str) -> WSManFault:
    # GUESS: code and wording for a request the lab cannot make sense of.
    return WSManFault(
        2150858810,  # ERROR_WSMAN_INVALID_PARAMETER
        "w:InvalidParameter",
        f"The WS-Management service cannot process the request. {detail}",
    )


def internal_error(detail: str) -> WSManFault:
    # GUESS: code and wording; only a bug in the lab gets here.
    return WSManFault(
        2147500037,  # E_FAIL (0x80004005), the generic failure HRESULT
        "w:InternalError",
        f"The WS-Management service cannot process the request. Internal error in the Exchange lab: {detail}",
        receiver=True,
    )


def injected_internal_error() -> WSManFault:
    # GUESS: WinRM's w:InternalError with E_FAIL, as a server-side failure looks to a client;
    # only the fault plan (kind wsman_fault) sends it.
    return WSManFault(
        2147500037,
        "w:InternalError",
        "The WS-Management service cannot process the request. The service encountered an internal error.",
        receiver=True,
    )


# What a refused Create says. The text is Exchange's ErrorMaxRunspacesLimit string as users report
# it ("Fail to create a runspace because you have exceeded the maximum number of connections
# allowed : 18 for the policy party : MaxConcurrency"), built from PowerShellMaxConcurrency and the
# policy part "MaxConcurrency".
# GUESS: the exact wording, and the WSMan code and subcode that carry it (Exchange's
# authorization plugin refuses the shell; the lab sends E_FAIL). Clients branch on the text.


def runspaces_exceeded(limit: int) -> WSManFault:
    return WSManFault(
        2147500037,
        "w:InternalError",
        f"Fail to create a runspace because you have exceeded the maximum number of connections allowed : "
        f"{limit} for the policy party : MaxConcurrency. Please close existing runspace and try again later.",
        receiver=True,
    )
