"""The WinRM shell actions PSRP uses: Create, Command, Send, Receive, Signal, Delete (and Get).

[MS-PSRP] 3.1.5.3 maps PSRP onto [MS-WSMV] shells: the shell is the runspace
pool (ShellId = RunspacePoolId, PSRP fragments in ``creationXml``), a command
is a pipeline (CommandId = PipelineId), fragments travel base64-encoded on the
``stdin``/``pr`` input streams and the ``stdout`` output stream.
"""
import base64
import binascii
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Callable

import psrpcore

from ..exchange.api import Endpoint
from ..faults import FaultPlan
from ..latency import Latency
from ..stats import Stats
from . import faults, soap
from .shells import RunspaceSession, ShellRegistry
from .soap import WSManFault, WSManRequest, element

log = logging.getLogger(__name__)

CONFIGURATION_NAME = "Microsoft.Exchange"
EXCHANGE_RESOURCE_URI = f"http://schemas.microsoft.com/powershell/{CONFIGURATION_NAME}"
SHELL_RESOURCE_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"

_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
_COMMAND_STATE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/"

_RSP = soap.NS["rsp"]
_PWSH = soap.NS["pwsh"]

# Per-user limit on open runspaces: PowerShellMaxConcurrency is "the maximum number of remote
# PowerShell sessions that a remote PowerShell user can have open at the same time"
# (Set-ThrottlingPolicy.md). GUESS: 18 as the default policy's value (EXCHANGE.md: "verify the defaults").
DEFAULT_MAX_RUNSPACES_PER_USER = 18
# Upper bound on a ``slow`` fault's delay, so a typo cannot hang a test run.
MAX_SLOW_SECONDS = 60.0


class ResetConnection(Exception):
    """The fault plan wants this connection cut instead of answered (the HTTP layer resets it)."""


# Placeholder as long as any real CommandId, to measure the envelope exactly.
_ID_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Caller:
    """Who sent a request (authenticated account, address) and the URL it was sent to."""

    user: str
    client_ip: str
    endpoint_url: str


def _stream_element(payload_b64: str, command_id: str | None) -> str:
    attributes = {"Name": "stdout"}
    if command_id:
        attributes["CommandId"] = command_id
    return element("rsp", "Stream", payload_b64, **attributes)


def _b64_length(raw_length: int) -> int:
    return 4 * ((raw_length + 2) // 3)


def fragment_size_for(max_envelope_size: int) -> int:
    """Raw bytes per PSRP fragment such that one fragment alone fits a Receive response."""
    overhead = len(_receive_body([], _ID_PLACEHOLDER, "Running")) + len(
        soap.envelope(_SHELL + "ReceiveResponse", "uuid:" + _ID_PLACEHOLDER, "")
    )
    usable = max_envelope_size - overhead - len(_stream_element("", _ID_PLACEHOLDER))
    return max(22, usable // 4 * 3)  # psrpcore needs room for a 21-byte fragment header


def _receive_body(streams: list[str], command_id: str | None, state: str | None) -> str:
    state_xml = ""
    if state:
        state_xml = f'<rsp:CommandState CommandId="{command_id}" State="{_COMMAND_STATE}{state}"/>'
    return f"<rsp:ReceiveResponse>{''.join(streams)}{state_xml}</rsp:ReceiveResponse>"


def _command_uuid(command_id: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(command_id or "")
    except ValueError:
        raise faults.invalid_request(f"The CommandId '{command_id}' is not a GUID.") from None


class WSManService:
    """Answers authenticated SOAP requests for the ``Microsoft.Exchange`` configuration."""

    def __init__(self, endpoint: Endpoint, stats: Stats, machine_name: str, plan: FaultPlan | None = None,
                 max_runspaces_per_user: int = DEFAULT_MAX_RUNSPACES_PER_USER, latency: Latency | None = None):
        self._endpoint = endpoint
        self._stats = stats
        self._stats.declare("runspace_opens")
        self._latency = latency or Latency()
        # Shells whose opening (the first shell-level Receive, which carries the pool's
        # Opened state) has not been answered yet: that is where --latency-runspace-open applies.
        self._opening: set[str] = set()
        self._opening_lock = threading.Lock()
        self._machine = machine_name
        self._plan = plan
        self.max_runspaces_per_user = max_runspaces_per_user
        stats.declare("runspaces_refused")
        self._registry = ShellRegistry()
        self._stopping = threading.Event()
        self._actions: dict[str, Callable[[WSManRequest, Caller], tuple[str, str]]] = {
            _TRANSFER + "Create": self._create,
            _TRANSFER + "Get": self._get,
            _TRANSFER + "Delete": self._delete,
            _SHELL + "Command": self._command,
            _SHELL + "Send": self._send,
            _SHELL + "Receive": self._receive,
            _SHELL + "Signal": self._signal,
        }

    def handle(self, soap_request: bytes, caller: Caller) -> tuple[int, bytes]:
        """HTTP status and SOAP response for one authenticated request."""
        message_id = ""
        try:
            try:
                request = soap.parse_request(soap_request)
            except soap.MalformedRequest as exc:
                raise faults.invalid_request(str(exc)) from None
            message_id = request.message_id
            action = self._actions.get(request.action)
            if action is None:
                raise faults.action_not_supported(request.action)
            response_action, body = action(request, caller)
            return 200, soap.envelope(response_action, message_id, body)
        except ResetConnection:
            raise
        except WSManFault as fault:
            if fault.code != faults.OPERATION_TIMED_OUT:
                log.info("WSMan fault %s: %s", fault.code, fault.message)
            return 500, soap.fault_envelope(fault, message_id, self._machine)
        except Exception as exc:  # a lab bug: answer with a fault rather than drop the connection
            log.exception("internal error handling a WSMan request")
            return 500, soap.fault_envelope(faults.internal_error(repr(exc)), message_id, self._machine)

    def shutdown(self) -> None:
        """Release long-polling Receives and close every shell."""
        self._stopping.set()
        for session in self._registry.all():
            session.wake()
            session.close()

    # -- helpers --------------------------------------------------------------

    @staticmethod
    def _check_configuration(request: WSManRequest) -> None:
        if request.resource_uri.lower() != EXCHANGE_RESOURCE_URI.lower():
            raise faults.unknown_configuration(request.resource_uri)

    def _session(self, request: WSManRequest, caller: Caller) -> RunspaceSession:
        self._check_configuration(request)
        session = self._registry.get(request.shell_id)
        if session.user != caller.user:
            # GUESS: WinRM hides other users' shells behind the same "not found" fault.
            raise faults.shell_not_found(request.shell_id or "")
        return session

    def _body(self, request: WSManRequest, prefix: str, name: str):
        found = request.body.find("{%s}%s" % (soap.NS[prefix], name)) if request.body is not None else None
        if found is None:
            raise faults.invalid_request(f"The request body has no {prefix}:{name} element.")
        return found

    @staticmethod
    def _decode(text: str | None) -> bytes:
        try:
            return base64.b64decode(text or "", validate=True)
        except binascii.Error:
            raise faults.invalid_request("A stream is not valid base64.") from None

    def _shell_xml(self, session: RunspaceSession, caller: Caller, with_state: bool) -> str:
        fields = [
            element("rsp", "ShellId", session.shell_id),
            element("rsp", "ResourceUri", EXCHANGE_RESOURCE_URI),
            element("rsp", "Owner", session.user),
            element("rsp", "ClientIP", caller.client_ip),
            # GUESS: WinRM's default IdleTimeout of two hours.
            element("rsp", "IdleTimeOut", "PT7200.000S"),
            element("rsp", "InputStreams", "stdin pr"),
            element("rsp", "OutputStreams", "stdout"),
        ]
        if with_state:
            fields.append(element("rsp", "State", "Connected"))
        return "<rsp:Shell>" + "".join(fields) + "</rsp:Shell>"

    # -- actions --------------------------------------------------------------

    def _create(self, request: WSManRequest, caller: Caller) -> tuple[str, str]:
        self._check_configuration(request)
        shell = self._body(request, "rsp", "Shell")
        creation = shell.find("{%s}creationXml" % _PWSH)
        if creation is None:
            raise faults.invalid_request("The shell has no creationXml (not a PowerShell client).")
        shell_id = (shell.get("ShellId") or str(uuid.uuid4())).upper()
        if self._plan is not None and self._plan.take("wsman", kinds=("throttle",)):
            self._stats.increment("runspaces_refused")
            raise faults.runspaces_exceeded(self.max_runspaces_per_user)
        session = RunspaceSession(
            shell_id, caller.user, self._endpoint, self._stats, fragment_size_for(request.max_envelope_size),
            take_fault=self._take_pipeline_fault,
        )
        # The answer (capability, private data, Opened) is queued now, before the
        # first shell Receive arrives: pypsrp does not retry that one on timeout.
        session.receive_data(self._decode(creation.text))
        if not self._registry.add(session, limit=self.max_runspaces_per_user):
            session.close()
            self._stats.increment("runspaces_refused")
            raise faults.runspaces_exceeded(self.max_runspaces_per_user)
        self._stats.increment("shells_created")
        self._stats.increment("runspace_opens")  # every shell on this endpoint is a RunspacePool
        with self._opening_lock:
            self._opening.add(shell_id)
        created = (
            "<x:ResourceCreated>"
            f"{element('a', 'Address', caller.endpoint_url)}"
            "<a:ReferenceParameters>"
            f"{element('w', 'ResourceURI', EXCHANGE_RESOURCE_URI)}"
            f"<w:SelectorSet>{element('w', 'Selector', shell_id, Name='ShellId')}</w:SelectorSet>"
            "</a:ReferenceParameters>"
            "</x:ResourceCreated>"
        )
        return _TRANSFER + "CreateResponse", created + self._shell_xml(session, caller, with_state=False)

    def _take_pipeline_fault(self, cmdlets: list[str]) -> dict | None:
        if self._plan is None:
            return None
        return self._plan.take("wsman", cmdlets,
                               kinds=("wsman_fault", "shell_not_found", "reset", "slow", "write_error"))

    def _get(self, request: WSManRequest, caller: Caller) -> tuple[str, str]:
        # pypsrp's RunspacePool.is_alive() asks the generic shell resource.
        if request.resource_uri.lower() != SHELL_RESOURCE_URI.lower():
            self._check_configuration(request)
        session = self._registry.get(request.shell_id)
        return _TRANSFER + "GetResponse", self._shell_xml(session, caller, with_state=True)

    def _delete(self, request: WSManRequest, caller: Caller) -> tuple[str, str]:
        self._session(request, caller)  # validates configuration, shell and owner
        self._registry.remove(request.shell_id).close()
        with self._opening_lock:
            self._opening.discard(request.shell_id.upper())
        self._stats.increment("shells_deleted")
        return _TRANSFER + "DeleteResponse", ""

    def _command(self, request: WSManRequest, caller: Caller) -> tuple[str, str]:
        session = self._session(request, caller)
        self._latency.called()
        command_line = self._body(request, "rsp", "CommandLine")
        command_id = (command_line.get("CommandId") or str(uuid.uuid4())).upper()
        arguments = command_line.find("{%s}Arguments" % _RSP)
        first_fragment = self._decode(arguments.text if arguments is not None else "")
        pipeline_id = _command_uuid(command_id)
        session.create_pipeline(pipeline_id, first_fragment)
        slow = session.take_disturbance(pipeline_id, "slow")
        if slow is not None:
            # The pipeline runs meanwhile: a client that gives up does not know whether it did.
            self._stopping.wait(min(float(slow.get("seconds", 10)), MAX_SLOW_SECONDS))
        body = f"<rsp:CommandResponse>{element('rsp', 'CommandId', command_id)}</rsp:CommandResponse>"
        return _SHELL + "CommandResponse", body

    def _send(self, request: WSManRequest, caller: Caller) -> tuple[str, str]:
        session = self._session(request, caller)
        send = self._body(request, "rsp", "Send")
        for stream in send.iterfind("{%s}Stream" % _RSP):
            # "pr" carries host-call responses, "stdin" everything else ([MS-PSRP] 3.1.5.3.5).
            stream_type = psrpcore.StreamType.prompt_response if stream.get("Name") == "pr" \
                else psrpcore.StreamType.default
            command_id = stream.get("CommandId")
            pipeline_id = _command_uuid(command_id) if command_id else None
            session.receive_data(self._decode(stream.text), pipeline_id, stream_type)
        return _SHELL + "SendResponse", "<rsp:SendResponse/>"

    def _receive(self, request: WSManRequest, caller: Caller) -> tuple[str, str]:
        session = self._session(request, caller)
        desired = self._body(request, "rsp", "Receive").find("{%s}DesiredStream" % _RSP)
        command_id = desired.get("CommandId") if desired is not None else None
        command_id = command_id.upper() if command_id else None
        pipeline_id = _command_uuid(command_id) if command_id else None
        if pipeline_id is None:
            with self._opening_lock:
                opening = session.shell_id in self._opening
                self._opening.discard(session.shell_id)
            if opening:
                self._latency.runspace_opened()
        self._latency.called()

        state_for_size = "Running" if command_id else None
        base = len(soap.envelope(_SHELL + "ReceiveResponse", request.message_id,
                                 _receive_body([], command_id, state_for_size)))
        stream_overhead = len(_stream_element("", command_id))
        payloads, done = session.receive(
            pipeline_id,
            budget=request.max_envelope_size - base,
            cost=lambda raw: stream_overhead + _b64_length(raw),
            timeout=request.operation_timeout,
            stopping=self._stopping,
        )
        if done and session.take_disturbance(pipeline_id, "reset") is not None:
            raise ResetConnection()  # the pipeline ran; its result is lost with the connection
        streams = [_stream_element(base64.b64encode(p).decode(), command_id) for p in payloads]
        state = ("Done" if done else "Running") if command_id else None
        return _SHELL + "ReceiveResponse", _receive_body(streams, command_id, state)

    def _signal(self, request: WSManRequest, caller: Caller) -> tuple[str, str]:
        session = self._session(request, caller)
        signal = self._body(request, "rsp", "Signal")
        pipeline_id = _command_uuid(signal.get("CommandId"))
        code_element = signal.find("{%s}Code" % _RSP)
        code = (code_element.text or "").strip().rsplit("/", 1)[-1].lower() if code_element is not None else ""
        # pypsrp sends powershell/signal/ctrl_c; [MS-PSRP] spells it crtl_c.
        if code in ("ctrl_c", "crtl_c", "ctrl_break"):
            session.stop_pipeline(pipeline_id)
        elif code == "terminate":
            session.terminate_pipeline(pipeline_id)
        else:
            raise faults.invalid_request(f"The signal code '{code}' is not supported.")
        return _SHELL + "SignalResponse", "<rsp:SignalResponse/>"
