"""WSMan SOAP envelopes: read a request's header, write responses and faults.

Shapes follow [MS-WSMV] (the WinRM dialect of WS-Management) as pypsrp expects
them: every response echoes the request's ``wsa:MessageID`` in ``wsa:RelatesTo``
and carries the matching ``...Response`` action, or the client raises.
Responses are written from string templates so the byte size of an envelope is
known exactly (Receive must stay under the client's MaxEnvelopeSize).
"""
import re
import uuid
from dataclasses import dataclass, field
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "pwsh": "http://schemas.microsoft.com/powershell",
}

ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

# The namespaces every response declares, with the prefixes WinRM uses.
_DECLARATIONS = (
    'xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
    'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"'
)

# Used when a request carries no (parsable) OperationTimeout / MaxEnvelopeSize.
DEFAULT_OPERATION_TIMEOUT = 60.0
DEFAULT_MAX_ENVELOPE_SIZE = 153600
# A long-poll never outlives this, whatever the client asks for.
MAX_OPERATION_TIMEOUT = 600.0

_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


class WSManFault(Exception):
    """A SOAP fault with the WinRM ``WSManFault`` detail pypsrp reads its code from."""

    def __init__(self, code: int, subcode: str, message: str, *, receiver: bool = False):
        super().__init__(message)
        self.code = code
        # A QName in the wsa ("a:") or wsman ("w:") namespace, e.g. "w:TimedOut".
        self.subcode = subcode
        self.message = message
        self.receiver = receiver


class MalformedRequest(ValueError):
    """The body is not a SOAP envelope."""


@dataclass
class WSManRequest:
    action: str
    message_id: str
    resource_uri: str
    max_envelope_size: int
    operation_timeout: float
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    body: ElementTree.Element | None = None

    @property
    def shell_id(self) -> str | None:
        return self.selectors.get("ShellId")


def _tag(prefix: str, name: str) -> str:
    return "{%s}%s" % (NS[prefix], name)


def parse_duration(text: str | None, default: float) -> float:
    """Seconds of an xs:duration like ``PT20S`` or ``PT20.000S``."""
    match = _DURATION.match((text or "").strip())
    if not match or not any(match.groupdict().values()):
        return default
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def parse_request(data: bytes) -> WSManRequest:
    """Parse a SOAP request; raises MalformedRequest if it is not one."""
    try:
        envelope = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise MalformedRequest(f"The request is not valid XML: {exc}") from None
    header = envelope.find(_tag("s", "Header"))
    body = envelope.find(_tag("s", "Body"))
    if header is None or body is None:
        raise MalformedRequest("The SOAP envelope has no Header or no Body.")

    def text(prefix: str, name: str) -> str:
        element = header.find(_tag(prefix, name))
        return (element.text or "").strip() if element is not None else ""

    selectors = {
        sel.get("Name", ""): (sel.text or "").strip()
        for sel in header.iterfind(f"{_tag('wsman', 'SelectorSet')}/{_tag('wsman', 'Selector')}")
    }
    options = {
        opt.get("Name", ""): (opt.text or "").strip()
        for opt in header.iterfind(f"{_tag('wsman', 'OptionSet')}/{_tag('wsman', 'Option')}")
    }
    try:
        max_envelope = int(text("wsman", "MaxEnvelopeSize") or DEFAULT_MAX_ENVELOPE_SIZE)
    except ValueError:
        max_envelope = DEFAULT_MAX_ENVELOPE_SIZE
    timeout = parse_duration(text("wsman", "OperationTimeout"), DEFAULT_OPERATION_TIMEOUT)
    return WSManRequest(
        action=text("wsa", "Action"),
        message_id=text("wsa", "MessageID"),
        resource_uri=text("wsman", "ResourceURI"),
        max_envelope_size=max_envelope,
        operation_timeout=min(timeout, MAX_OPERATION_TIMEOUT),
        selectors=selectors,
        options=options,
        body=body,
    )


def envelope(action: str, relates_to: str, body: str) -> bytes:
    """A complete response envelope around an already-escaped body fragment."""
    return (
        f'<s:Envelope xml:lang="en-US" {_DECLARATIONS}>'
        "<s:Header>"
        f"<a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
        "</s:Header>"
        f"<s:Body>{body}</s:Body>"
        "</s:Envelope>"
    ).encode("utf-8")


def fault_envelope(fault: WSManFault, relates_to: str, machine: str) -> bytes:
    """A SOAP 1.2 fault as WinRM writes it, with the numeric code in WSManFault@Code."""
    code = "s:Receiver" if fault.receiver else "s:Sender"
    text = escape(fault.message)
    body = (
        "<s:Fault>"
        f"<s:Code><s:Value>{code}</s:Value>"
        f"<s:Subcode><s:Value>{escape(fault.subcode)}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{text}</s:Text></s:Reason>'
        "<s:Detail>"
        '<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
        f"Code={quoteattr(str(fault.code))} Machine={quoteattr(machine)}>"
        f"<f:Message>{text}</f:Message>"
        "</f:WSManFault>"
        "</s:Detail>"
        "</s:Fault>"
    )
    return envelope(FAULT_ACTION, relates_to, body)


def element(prefix: str, name: str, text: str = "", **attributes: str) -> str:
    """One escaped XML element of the response vocabulary, e.g. ``rsp:ShellId``."""
    attrs = "".join(f" {key}={quoteattr(value)}" for key, value in attributes.items())
    return f"<{prefix}:{name}{attrs}>{escape(text)}</{prefix}:{name}>"
