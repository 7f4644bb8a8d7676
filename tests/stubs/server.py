"""A tiny threaded HTTP/1.1 server on 127.0.0.1 (port 0) that hands requests to a function."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)


class DropConnection(Exception):
    """Raised by a handler to close the socket without answering."""


@dataclass
class StubRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str:
        return self.headers.get(name, "") or ""


@dataclass
class StubResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Sent with chunked transfer encoding instead of `body`, one chunk per item as it comes (SSE).
    # The iterator may raise DropConnection to cut the stream mid-way; it is closed if the client leaves.
    stream: Iterator[bytes] | None = None

    @classmethod
    def of_json(cls, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> StubResponse:
        return cls(status, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})


Handler = Callable[[StubRequest], StubResponse]


def _handler_class(handle: Handler) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = StubRequest(self.command, parts.path, parse_qs(parts.query), self.headers, body)
            try:
                response = handle(request)
            except DropConnection:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            except Exception:  # a stub bug must show up as a 500, not a hang
                logger.exception("stub handler failed")
                response = StubResponse(500, b"stub error")
            if response.stream is not None:
                self._send_stream(response)
                return
            try:
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. a timeout test)

        def _send_stream(self, response: StubResponse) -> None:
            stream = response.stream
            assert stream is not None
            try:
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.flush()
                for chunk in stream:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except DropConnection:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client closed the stream (e.g. "Stop generating")
                close = getattr(stream, "close", None)
                if close is not None:
                    close()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("stub: " + format, *args)

    return _Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # socketserver's default of 5 drops connections under load

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("stub connection error from %s", client_address)


class StubServer:
    """Serve `handle` on 127.0.0.1 in a background thread until stop()."""

    def __init__(self, handle: Handler, host: str = "127.0.0.1") -> None:
        if not host.startswith("127."):
            raise ValueError("stub servers listen on loopback only")
        self._server = _Server((host, 0), _handler_class(handle))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.host = host
        self.port = int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
