"""A restartable threaded HTTP/1.1 server for the HTTP-based stand-ins.

Built on ``http.server`` rather than werkzeug's dev server because that one sends
``Connection: close`` on every response, and the real clients (PTB's httpx pool,
requests sessions) must be able to keep connections alive as with the providers.
Handlers still get a werkzeug ``Request`` and return a werkzeug ``Response``.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

HOST = "127.0.0.1"
FINISH_SECONDS = 5.0  # how long an outage waits for the requests being answered

Handler = Callable[[Request], Response]


class HangUp(Exception):
    """Raised by a handler that acted on a request: the connection closes with no answer,
    as when a provider takes a message and its answer is lost on the way back."""


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, the body waits
    # for the client's delayed ACK (40 ms on Linux) on a kept-alive connection.
    disable_nagle_algorithm = True
    server: _TrackingServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        with self.server.answering(self.connection) as taken:
            if taken:
                self._answer()
            else:  # said, not left to guess: a client may retry what was not taken
                self.close_connection = True
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._respond(self.server.unavailable())

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = urlsplit(self.path)
        request = EnvironBuilder(
            path=target.path,
            query_string=target.query,
            method=self.command,
            base_url=f"http://{self.headers.get('Host', HOST)}",
            headers=list(self.headers.items()),
            data=body,
        ).get_request()
        try:
            response = self.server.handle(request)
        except HangUp:
            self.close_connection = True
            return
        self._respond(response)

    def _respond(self, response: Response) -> None:
        payload = response.get_data()
        self.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _TrackingServer(ThreadingHTTPServer):
    """Remembers open client sockets so an outage can cut kept-alive connections too."""

    daemon_threads = True

    def __init__(self, port: int, handle: Handler, unavailable: Callable[[], Response]) -> None:
        self.handle = handle
        self.unavailable = unavailable
        self.accepted = 0
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._answering: set[socket.socket] = set()
        self._closing = False
        self._idle = threading.Condition()
        super().__init__((HOST, port), _RequestHandler)

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def handle_error(self, request, client_address) -> None:
        """A client that went away before its answer (it timed out, or was killed, as
        the fault tests make it) is what a server sees every day: no traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    @contextlib.contextmanager
    def answering(self, connection: socket.socket) -> Iterator[bool]:
        """Whether a request is taken, and for how long it is being answered.

        An outage lets taken requests finish, as a server going down finishes the calls
        it has taken, and takes no new ones (acting on a call whose answer never leaves
        would make the client's retry a second send). Taking and closing are decided
        under one lock: a request read just as the outage begins is either answered in
        full or never acted on.
        """
        with self._idle:
            taken = not self._closing
            if taken:
                self._answering.add(connection)
        if not taken:
            yield False
            return
        try:
            yield True
        finally:
            with self._idle:
                self._answering.discard(connection)
                self._idle.notify_all()

    def cut_connections(self) -> None:
        with self._idle:
            self._closing = True
            self._idle.wait_for(lambda: not self._answering, timeout=FINISH_SECONDS)
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class HttpServer:
    """Serves ``handle(request) -> response`` on 127.0.0.1 from a background thread.

    The first ``start()`` picks a free port; later ones reuse it, so ``stop()`` then
    ``start()`` simulates an outage: while stopped, connections are refused and
    kept-alive ones have been cut (requests being answered finish first, requests read
    after the outage began get `unavailable()`, a 503 saying they were not taken), and
    afterwards clients reach the same URL again.
    """

    def __init__(
        self,
        handle: Handler,
        port: int = 0,
        unavailable: Callable[[], Response] = lambda: Response("Service Unavailable", 503),
    ) -> None:
        self._handle = handle
        self._unavailable = unavailable
        self.port = port
        self._server: _TrackingServer | None = None
        self._thread: threading.Thread | None = None
        self._accepted_before = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far; few for many requests means keep-alive works."""
        current = self._server.accepted if self._server else 0
        return self._accepted_before + current

    def start(self) -> None:
        if self._server is not None:
            return
        self._server = _TrackingServer(self.port, self._handle, self._unavailable)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"standin-http-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.cut_connections()
        self._thread.join()
        self._accepted_before += self._server.accepted
        self._server = None
        self._thread = None
