"""The HTTPS listener that plays login.microsoftonline.com and outlook.office365.com on one port.

Routes:
- ``GET  /<tenant>/v2.0/.well-known/openid-configuration``
- ``POST /<tenant>/oauth2/v2.0/token``
- ``POST /adminapi/beta/<tenant>/InvokeCommand``
"""
import json
import logging
import re
import ssl
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from ..latency import Latency
from ..loopback_http import LoopbackHTTPServer, reset_connection
from ..stats import Stats
from . import aadsts
from .faults import Faults
from .rest import InvokeCommandService, Response
from .token_service import TokenService

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
IDLE_TIMEOUT = 120.0
_METADATA = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$")
_TOKEN = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
_INVOKE = re.compile(r"^/adminapi/beta/([^/]+)/InvokeCommand$", re.IGNORECASE)


class OnlineHTTPServer(LoopbackHTTPServer):
    def __init__(self, port: int, tls: ssl.SSLContext, token_service: TokenService,
                 invoke: InvokeCommandService, stats: Stats, faults: Faults, latency: Latency | None = None):
        self.token_service = token_service
        self.invoke = invoke
        self.stats = stats
        self.faults = faults
        self.latency = latency or Latency()
        stats.declare("token_requests", "round_trips")
        super().__init__(port, OnlineRequestHandler, tls)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


class OnlineRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OnlineHTTPServer
    timeout = IDLE_TIMEOUT

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self):
        self.server.stats.increment("round_trips")
        path = urlsplit(self.path).path
        match = _METADATA.match(path)
        if self._read_body() is None:
            return
        if not match:
            return self._send(Response(404, {"error": {"code": "NotFound", "message": "Not found"}}))
        try:
            body = self.server.token_service.openid_configuration(self.server.base_url, match.group(1))
        except aadsts.EntraError as error:
            return self._send_entra_error(error)
        self._send(Response(200, body, {"Content-Type": "application/json; charset=utf-8"}))

    def do_POST(self):
        self.server.stats.increment("round_trips")
        url = urlsplit(self.path)
        body = self._read_body()
        if body is None:
            return
        token_match, invoke_match = _TOKEN.match(url.path), _INVOKE.match(url.path)
        if token_match:
            return self._token(token_match.group(1), body)
        if invoke_match:
            self.server.latency.called()
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            return self._send(self.server.invoke.handle(self.server.base_url, invoke_match.group(1), query,
                                                        self.headers, body))
        self._send(Response(404, {"error": {"code": "NotFound", "message": "Not found"}}))

    def _token(self, tenant: str, body: bytes) -> None:
        self.server.stats.increment("token_requests")
        self.server.latency.token_issued()
        fault = self.server.faults.take("token")
        if fault is not None:
            return self._send(Response(fault.status, fault.body(), fault.headers()))
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            answer = self.server.token_service.token(self.server.base_url, tenant, form)
        except aadsts.EntraError as error:
            return self._send_entra_error(error)
        self._send(Response(200, answer, {"Content-Type": "application/json; charset=utf-8",
                                          "Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}))

    def _send_entra_error(self, error: aadsts.EntraError) -> None:
        correlation = self.headers.get("client-request-id")
        self._send(Response(error.status, error.body(correlation),
                            {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store, no-cache"}))

    def _read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            self._send(Response(413 if length > 0 else 400, None))
            return None
        return self.rfile.read(length) if length else b""

    def _send(self, response: Response) -> None:
        if response.reset:
            reset_connection(self)  # the fault plan's reset: the cmdlet ran, the client never hears how
            return
        if isinstance(response.body, bytes):
            raw = response.body
        else:
            raw = b"" if response.body is None else json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        headers = {"x-ms-request-id": str(uuid.uuid4()), **response.headers}
        if raw:
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)
