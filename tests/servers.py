"""Small servers on 127.0.0.1 that answer from a script or misbehave on purpose.

`ScriptedServer` speaks HTTP/1.1 with keep-alive and records each request as it
arrived (the raw path, the headers); `RawServer` hands each TCP connection to a
function that may answer, stall, drip or reset. Both count what they saw, so a
test can tell how many attempts a client made.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import attrs

HOST = "127.0.0.1"
PREFIX = "/api/v1"
STATUS_ROUTE = f"{PREFIX}/ocr/status/"


@attrs.frozen
class Answer:
    """One canned HTTP answer."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)


def json_answer(document: object, status: int = 200, **headers: str) -> Answer:
    """An answer whose body is ``document`` as JSON."""
    return Answer(
        status,
        json.dumps(document).encode(),
        {"Content-Type": "application/json", **headers},
    )


@attrs.frozen
class Seen:
    """One request as the server received it.

    Attributes:
        path: The request target exactly as sent, still percent-encoded.
        headers: The headers, names lower-cased.
    """

    path: str
    headers: Mapping[str, str]


Script = Sequence[Answer] | Callable[[Seen], Answer]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Head and body go out in two writes; with Nagle's algorithm the second
    # waits for the client's delayed ACK, 40 ms per answer on a kept-alive
    # connection.
    disable_nagle_algorithm = True
    # Idle keep-alive connections of a client that never closes end after this.
    timeout = 5
    server: _Server

    def do_GET(self) -> None:
        seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
        answer = self.server.owner.record(seen)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Log nothing; the tests read `ScriptedServer.requests` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: ScriptedServer) -> None:
        super().__init__((HOST, 0), _Handler)
        self.owner = owner
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self.lock:
            self.open.add(connection)

        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self.lock:
            self.open.discard(request)
        super().shutdown_request(request)


class ScriptedServer:
    """An HTTP/1.1 server answering from a script.

    The script is a list of answers, given in order, the last one repeating;
    or a function of the request.
    """

    def __init__(self, script: Script) -> None:
        """Prepare the server; `start` or ``with`` opens it."""
        self._script = script
        self._lock = threading.Lock()
        self.requests: list[Seen] = []
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}
        )

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        """Scheme, host and port."""
        return f"http://{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API's base URL on this server."""
        return self.origin + PREFIX

    def play(self, script: Script) -> None:
        """Answer from ``script`` from now on, and forget the requests seen."""
        with self._lock:
            self._script = script
            self.requests.clear()

    def record(self, seen: Seen) -> Answer:
        """Note a request and pick its answer."""
        with self._lock:
            self.requests.append(seen)
            if callable(self._script):
                return self._script(seen)

            index = min(len(self.requests), len(self._script)) - 1

            return self._script[index]

    def __enter__(self) -> Self:
        """Start serving."""
        self._thread.start()

        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving and end the connections still open."""
        self._server.shutdown()
        self._server.server_close()
        with self._server.lock:
            for connection in list(self._server.open):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self._thread.join()


Behaviour = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """A TCP server on 127.0.0.1 handing each connection to ``behave``."""

    def __init__(self, behave: Behaviour) -> None:
        """Listen at once; `connections` counts the connections accepted."""
        self._behave = behave
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.02)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self.connections = 0
        self._acceptor = threading.Thread(target=self._accept)

    @property
    def base_url(self) -> str:
        """The API's base URL on this server."""
        return f"http://{HOST}:{self._listener.getsockname()[1]}{PREFIX}"

    def __enter__(self) -> Self:
        """Start accepting."""
        self._acceptor.start()

        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop, end every connection and wait for the handlers."""
        self._stop.set()
        self._acceptor.join()
        self._listener.close()
        with self._lock:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue

            with self._lock:
                self.connections += 1
                self._open.add(connection)
            thread = threading.Thread(target=self._serve, args=(connection,))
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            with contextlib.suppress(OSError):
                self._behave(connection, self._stop)
            with self._lock:
                self._open.discard(connection)


def read_request(connection: socket.socket) -> bytes:
    """Read one request's head."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk

    return data


def wait_for_close(connection: socket.socket, stop: threading.Event) -> None:
    """Block until the client hangs up or the server stops."""
    connection.settimeout(0.05)
    while not stop.is_set():
        try:
            if not connection.recv(4096):
                return
        except TimeoutError:
            continue


def silent(connection: socket.socket, stop: threading.Event) -> None:
    """Accept and read the request, then never answer."""
    read_request(connection)
    wait_for_close(connection, stop)


STATUS_BODY = b'{"status": "processing", "id": "job_1"}'


def reset_mid_response(connection: socket.socket, stop: threading.Event) -> None:
    """Start a response, then reset the connection in the middle of its body."""
    read_request(connection)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    connection.sendall(head + b"Content-Length: 400\r\n\r\n" + STATUS_BODY[:10])
    # A zero linger makes close() send a reset instead of an orderly end.
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@attrs.define
class Drip:
    """Send a valid answer one byte at a time, ``gap`` seconds apart.

    Attributes:
        gap: Seconds between two bytes.
        head_too: Drip the status line and headers as well, not only the body.
        pad: Spaces added to the body, so dripping it takes long.
        sent: Bytes sent so far, over all connections.
        whole: The size of one whole answer.
    """

    gap: float = 0.02
    head_too: bool = False
    pad: int = 300
    sent: int = 0
    whole: int = 0

    def __call__(self, connection: socket.socket, stop: threading.Event) -> None:
        """Serve one connection."""
        read_request(connection)
        body = STATUS_BODY + b" " * self.pad
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        self.whole = len(head) + len(body)
        if not self.head_too:
            connection.sendall(head)
            self.sent += len(head)
        for byte in _bytes(body if not self.head_too else head + body):
            if stop.wait(self.gap):
                return
            connection.sendall(byte)
            self.sent += 1


def _bytes(data: bytes) -> Iterator[bytes]:
    return (data[i : i + 1] for i in range(len(data)))


def answer_then(answer: bytes) -> Behaviour:
    """A behaviour that answers each request on the connection with ``answer``."""

    def behave(connection: socket.socket, stop: threading.Event) -> None:
        while read_request(connection):
            connection.sendall(answer)

    return behave


def http_answer(body: bytes) -> bytes:
    """A whole HTTP/1.1 200 answer with a JSON body, as raw bytes."""
    head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"

    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]

    return port


def client_sockets(port: int) -> int:
    """How many of this process's open sockets are connected to ``port``."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])

    # Distinct inodes, not lines: the kernel's table is not read in one go and
    # may list a socket twice while other sockets come and go.
    connected = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if remote_port == port and fields[9] in inodes:
                    connected.add(fields[9])

    return len(connected)


def wait_until(condition: Callable[[], bool], limit: float = 5.0) -> bool:
    """Poll ``condition`` until it holds or ``limit`` seconds pass."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)

    return True
