# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One exception type for everything Exchange answers with an error.

On-premises (PSRP error records) and Exchange Online (REST error bodies) both
end up as ``ExchangeError`` so modules handle them the same way.
"""

from __future__ import annotations

# System.Management.Automation.ErrorCategory, by value (PSRP sends the number).
_ERROR_CATEGORIES = (
    "NotSpecified", "OpenError", "CloseError", "DeviceError", "DeadlockDetected",
    "InvalidArgument", "InvalidData", "InvalidOperation", "InvalidResult", "InvalidType",
    "MetadataError", "NotImplemented", "NotInstalled", "ObjectNotFound", "OperationStopped",
    "OperationTimeout", "SyntaxError", "ParserError", "PermissionDenied", "ResourceBusy",
    "ResourceExists", "ResourceUnavailable", "ReadError", "WriteError", "FromStdErr",
    "SecurityError", "ProtocolError", "ConnectionError", "AuthenticationError",
    "LimitsExceeded", "QuotaExceeded", "NotEnabled",
)


def category_name(value):
    """The ErrorCategory name for PSRP's number (names pass through)."""
    if isinstance(value, int) and 0 <= value < len(_ERROR_CATEGORIES):
        return _ERROR_CATEGORIES[value]
    return str(value) if value is not None else "NotSpecified"


def tls_failure_message(where, detail=None):
    """The one wording for a server certificate the client refused, naming the options that fix it."""
    message = ("TLS handshake with %s failed: its certificate is not trusted (expired, wrong name, or from a "
               "CA this host does not know); give the issuing CA's PEM file in ca_path, or (unsafe) "
               "validate_certs=false" % where)
    return message if detail is None else "%s: %s" % (message, detail)


class ExchangeError(Exception):
    """An error Exchange reported, or a failure to reach it.

    ``cmdlet`` is the cmdlet that failed (None for connection errors),
    ``exception_type`` the .NET exception type name Exchange gave,
    ``error_id`` the FullyQualifiedErrorId.
    """

    def __init__(self, message, cmdlet=None, category="NotSpecified", error_id=None,
                 exception_type=None):
        super().__init__(message)
        self.message = message
        self.cmdlet = cmdlet
        self.category = category
        self.error_id = error_id
        self.exception_type = exception_type

    @property
    def not_found(self):
        """Exchange's "couldn't be found" (an error record, not an empty result)."""
        marker = "ManagementObjectNotFoundException"
        return marker in (self.exception_type or "") or marker in (self.error_id or "")

    def to_result(self):
        """The fields a module puts into its failure result."""
        return {
            "cmdlet": self.cmdlet,
            "category": self.category,
            "error_id": self.error_id,
            "exception_type": self.exception_type,
        }

    def __str__(self):
        if self.cmdlet:
            return "%s failed: %s" % (self.cmdlet, self.message)
        return self.message


class ExchangeConnectionError(ExchangeError):
    """Exchange could not be reached, or refused the credentials or the TLS handshake.

    ``command_not_run`` is True when the failed call certainly never reached Exchange
    (e.g. no TCP connection, or the shell was gone before the pipeline was created):
    only then may a session repeat a write on a new connection. ``repeatable`` is False when the
    call may not be run again at all in the same request, not even a read (a call broken off by
    ansible-connection's command timeout: nothing would time the repeat out).
    """

    command_not_run = False
    repeatable = True


class ExchangeOutcomeUnknown(ExchangeConnectionError):
    """The connection failed while a write was under way: it may or may not have been applied.

    Never answered by repeating the write; the caller reads the object again and decides
    (module_utils/_common/outcome.py).
    """


class RuleViolation(Exception):
    """What the task was asked to do would break a rule of Exchange or of this collection; nothing is written."""
