"""The HTTP(S) server both lab endpoints run on: threads per connection on 127.0.0.1.

TLS is handshaken on the connection's own thread (a slow or broken client never blocks
the accept loop), every open connection is tracked so shutdown can cut idle keep-alive
connections, and clients going away are logged as routine, not as errors.
"""
import logging
import socket
import ssl
import struct
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Callable, Optional

log = logging.getLogger(__name__)

TLS_HANDSHAKE_TIMEOUT = 10.0


def reset_connection(handler) -> None:
    """Cut a handler's connection with a TCP RST (linger 0), answering nothing: the fault
    plans' ``reset`` (the request was handled, the client never hears how)."""
    handler.close_connection = True
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
    except OSError:
        pass


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, handler, tls: Optional[ssl.SSLContext] = None):
        self.tls = tls
        # Set by the lab's fault plan: a context to present instead of ``tls`` (or None).
        self.tls_override: Optional[Callable[[], Optional[ssl.SSLContext]]] = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def finish_request(self, request, client_address):
        # BaseHTTPRequestHandler writes the headers and the body in two sends: with Nagle's
        # algorithm the body then waits for the client's delayed ACK (up to 40 ms per answer on
        # Linux). IIS answers without that stall; so does the lab.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            request.settimeout(TLS_HANDSHAKE_TIMEOUT)
            context = (self.tls_override() if self.tls_override else None) or self.tls
            try:
                request = context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.info("TLS handshake with %s failed: %s", client_address, exc)
                return
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().finish_request(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)
            if self.tls is not None:
                request.close()  # the wrapped socket is ours; the plain one is closed by the server

    def handle_error(self, request, client_address):
        """A client that went away (or shutdown cutting it off) is routine; the rest is logged."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError, ssl.SSLError)):
            log.debug("connection from %s ended: %r", client_address, error)
        else:
            log.error("error serving %s", client_address, exc_info=error)

    def close_connections(self) -> None:
        """Cut every open connection (wakes handler threads blocked on reads)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
