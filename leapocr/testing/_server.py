"""The sandbox over real HTTP: a job book served by pytest-httpserver on loopback."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from pytest_httpserver import HTTPServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from leapocr.testing._jobs import JobBook, Outcome, SandboxResponse, Shape

__all__ = ["Sandbox"]

# Loopback only, by design: the sandbox must never be reachable from elsewhere.
_HOST = "127.0.0.1"

# How often the serving loop checks for a stop; the default half second would
# make every test that stops a sandbox wait that long.
_POLL_INTERVAL = 0.05


class _QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its access log line per request."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing: soak tests make thousands of requests."""


class _LoopbackServer(HTTPServer):
    """pytest-httpserver's server with a quiet handler and a quick stop."""

    def thread_target(self) -> None:
        """Serve until stopped, swapping in the quiet handler first."""
        if self.server is None:
            return

        self.server.RequestHandlerClass = _QuietRequestHandler
        self.server.serve_forever(poll_interval=_POLL_INTERVAL)


class Sandbox:
    """A LeapOCR-compatible server on 127.0.0.1, serving a `JobBook`.

    Use it as a context manager, or call `start` and `stop`::

        with Sandbox() as sandbox:
            job_id = sandbox.add_job(pages=4, duration=1.0)
            # point a client at sandbox.base_url with sandbox.api_key

    Each connection is served in its own thread, so a delayed answer does not
    hold up the others.

    Args:
        book: The jobs to serve; a fresh `JobBook` by default.
        port: The port to listen on; 0 picks a free one.

    Raises:
        ValueError: If `port` is not from 0 to 65535.
    """

    def __init__(self, book: JobBook | None = None, *, port: int = 0) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be from 0 to 65535, got {port}")

        self._book = book if book is not None else JobBook()
        self._port = port
        self._server: _LoopbackServer | None = None
        self._stopping = threading.Event()

    def __enter__(self) -> Self:
        self.start()

        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def book(self) -> JobBook:
        """The jobs, keys and faults being served."""
        return self._book

    @property
    def api_key(self) -> str:
        """The key the book accepts by default."""
        return self._book.api_key

    @property
    def base_url(self) -> str:
        """The API's base URL, such as "http://127.0.0.1:PORT/api/v1".

        Raises:
            RuntimeError: If the sandbox is not running.
        """
        if self._server is None:
            raise RuntimeError("the sandbox is not running")

        return self._server.url_for(self._book.prefix)

    @property
    def requests(self) -> int:
        """How many status requests the book has seen since the last reset."""
        return self._book.requests

    def start(self) -> None:
        """Start serving on 127.0.0.1, on the port given or a free one.

        Raises:
            RuntimeError: If the sandbox is already running.
            OSError: If the port asked for is taken.
        """
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")

        _check_free(self._port)
        server = _LoopbackServer(host=_HOST, port=self._port, threaded=True)
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self._stopping.clear()
        server.start()
        self._server = server

    def stop(self) -> None:
        """Stop serving, waking delayed answers; does nothing if not running."""
        server, self._server = self._server, None
        if server is None:
            return

        self._stopping.set()
        server.stop()

    def add_job(
        self,
        *,
        pages: int = 10,
        duration: float = 3.0,
        outcome: Outcome = "completed",
        shape: Shape = "live",
        error_message: str | None = None,
        owner: str | None = None,
        job_id: str | None = None,
        start_delay: float = 0.0,
        final_status: str | None = None,
    ) -> str:
        """Add a job to the book; see `JobBook.add_job`.

        Returns:
            The job's id.
        """
        return self._book.add_job(
            pages=pages,
            duration=duration,
            outcome=outcome,
            shape=shape,
            error_message=error_message,
            owner=owner,
            job_id=job_id,
            start_delay=start_delay,
            final_status=final_status,
        )

    def add_key(self, key: str) -> None:
        """Accept another API key; see `JobBook.add_key`."""
        self._book.add_key(key)

    def inject(
        self,
        status: int,
        *,
        count: int = 1,
        retry_after: str | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Queue error answers; see `JobBook.inject`."""
        self._book.inject(
            status,
            count=count,
            retry_after=retry_after,
            body=body,
            content_type=content_type,
        )

    def inject_body(
        self,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "text/html",
        count: int = 1,
    ) -> None:
        """Queue malformed answers; see `JobBook.inject_body`."""
        self._book.inject_body(
            body, status=status, content_type=content_type, count=count
        )

    def inject_drop(self, count: int = 1) -> None:
        """Queue dropped connections; see `JobBook.inject_drop`."""
        self._book.inject_drop(count)

    def inject_delay(self, seconds: float, count: int = 1) -> None:
        """Queue late answers; see `JobBook.inject_delay`."""
        self._book.inject_delay(seconds, count)

    def fault_rate(
        self,
        *,
        rate: float,
        statuses: Iterable[int] = (429, 500, 502, 503),
        drop: bool = True,
        seed: int = 0,
        retry_after: str | None = "0",
    ) -> None:
        """Fault a fraction of requests at random; see `JobBook.fault_rate`."""
        self._book.fault_rate(
            rate=rate, statuses=statuses, drop=drop, seed=seed, retry_after=retry_after
        )

    def rate_limit(
        self,
        per_second: float,
        *,
        burst: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Refuse requests beyond a rate with 429; see `JobBook.rate_limit`."""
        self._book.rate_limit(per_second, burst=burst, retry_after=retry_after)

    @property
    def rate_limited(self) -> int:
        """How many requests the rate limit refused since the last reset."""
        return self._book.rate_limited

    def _handle(self, request: Request) -> Response:
        answer = self._book.respond(
            request.method, _raw_path(request), dict(request.headers.items())
        )
        self._forget_log()
        if answer.drop:
            _drop(request)

            # Never reaches the client: writing it fails on the shut socket.
            return Response(status=500)

        if answer.delay > 0:
            # Woken early by stop(), so a stopping sandbox never waits on a sleeper.
            self._stopping.wait(answer.delay)

        return _to_response(answer)

    def _forget_log(self) -> None:
        # pytest-httpserver keeps every request and response; a soak test would
        # otherwise hold them all in memory.
        server = self._server
        if server is not None:
            server.clear_log()


def _check_free(port: int) -> None:
    """Raise OSError if ``port`` is taken; werkzeug would exit the process."""
    if port == 0:
        return

    with socket.socket() as probe:
        # As the server itself does, so a port in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((_HOST, port))


def _raw_path(request: Request) -> str:
    """The path as sent, before werkzeug percent-decodes it."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not isinstance(raw, str):
        return request.path

    return urlsplit(raw).path


def _drop(request: Request) -> None:
    # Shut the socket down without closing it: the client reads end-of-stream
    # with no answer, werkzeug's attempt to answer fails with a broken pipe,
    # which it treats as a dropped connection, and socketserver closes the
    # socket as usual afterwards.
    connection = request.environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)


def _to_response(answer: SandboxResponse) -> Response:
    return Response(answer.body, status=answer.status, headers=answer.headers)
