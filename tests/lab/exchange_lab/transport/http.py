"""The HTTP(S) listeners: keep-alive HTTP/1.1 on 127.0.0.1, path /PowerShell.

Each TCP connection gets its own authentication object (NTLM contexts are
bound to the connection). Handler threads are daemons and every open
connection is tracked, so shutdown can cut idle keep-alive connections
instead of waiting for them.
"""
import logging
import ssl
from http.server import BaseHTTPRequestHandler
from typing import Callable
from urllib.parse import urlsplit

from ..loopback_http import LoopbackHTTPServer, reset_connection
from ..stats import Stats
from .auth import ConnectionAuth, Refused
from .wsman import Caller, ResetConnection, WSManService

log = logging.getLogger(__name__)

PATH = "/PowerShell"
MAX_BODY = 16 * 1024 * 1024
# An idle keep-alive connection is closed after this long; a client that
# comes back later reconnects (and, for NTLM, authenticates again).
IDLE_TIMEOUT = 600.0


class WSManHTTPServer(LoopbackHTTPServer):
    def __init__(self, port: int, service: WSManService, stats: Stats,
                 new_auth: Callable[[], ConnectionAuth], tls: ssl.SSLContext | None = None):
        self.service = service
        self.stats = stats
        stats.declare("round_trips")
        self.new_auth = new_auth
        super().__init__(port, WSManRequestHandler, tls)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{PATH}"


class WSManRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # GUESS: Exchange's /PowerShell is an IIS application.
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: WSManHTTPServer

    def setup(self):
        super().setup()
        self.auth = self.server.new_auth()

    def do_POST(self):
        self.server.stats.add({"http_requests": 1, "round_trips": 1})
        body = self._read_body()
        if body is None:
            return
        if urlsplit(self.path).path.rstrip("/").lower() != PATH.lower():
            self._reply(404, {}, b"")
            return
        try:
            accepted = self.auth.accept(self.headers, body)
        except Refused as refused:
            self._reply(401, refused.headers, b"")
            return
        if not accepted.soap:
            self._reply(200, accepted.headers, b"")  # the client's authentication-only request
            return
        caller = Caller(accepted.user, self.client_address[0], self.server.url)
        try:
            status, response = self.server.service.handle(accepted.soap, caller)
        except ResetConnection:
            reset_connection(self)
            return
        content_type, payload = self.auth.seal(response)
        self._reply(status, {**accepted.headers, "Content-Type": content_type}, payload)

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._reply(411, {}, b"", close=True)
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._reply(413 if length > MAX_BODY else 400, {}, b"", close=True)
            return None
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, headers: dict[str, str], body: bytes, close: bool = False) -> None:
        self.send_response(status)
        for name, value in headers.items():
            # A list sends the header once per value (several WWW-Authenticate schemes).
            for one in value if isinstance(value, list) else [value]:
                self.send_header(name, one)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format, *args):
        log.debug("%s %s", self.address_string(), format % args)
