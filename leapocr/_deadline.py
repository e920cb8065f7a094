"""A deadline for one whole request of the synchronous client.

httpx's timeouts bound each read from the socket, not the request: a server
that sends a byte now and then keeps a request alive for ever. The asynchronous
client puts each request in a cancel scope; a blocking call has none, so here
each read is given no more than what is left until the request's deadline.

The reads are reached through httpcore's ``trace`` request extension, which
hands over each connection's network stream as it is opened; the stream keeps
the clipped ``read`` for as long as the pool keeps the connection, and a read
made outside `request_deadline` (another thread, another caller of a lent
client) is left alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpcore

__all__ = ["request_deadline"]

_deadline: ContextVar[float | None] = ContextVar("leapocr_deadline", default=None)

# Events whose return value is a connection's (new) network stream.
_STREAM_EVENTS = (
    ".connect_tcp.complete",
    ".connect_unix_socket.complete",
    ".start_tls.complete",
)


@contextmanager
def request_deadline(seconds: float) -> Iterator[dict[str, Any]]:
    """Bound the reads of requests sent inside the block to ``seconds`` in all.

    Yields:
        The request extensions to send with the request.
    """
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield {"trace": _on_trace}
    finally:
        _deadline.reset(token)


def _on_trace(event: str, info: dict[str, Any]) -> None:
    # Imported here: httpcore loads its anyio and trio backends with it, which
    # `import leapocr` should not pay for; by the first trace it is loaded.
    import httpcore  # noqa: PLC0415

    stream = info.get("return_value")
    if event.endswith(_STREAM_EVENTS) and isinstance(stream, httpcore.NetworkStream):
        _clip_reads(stream)


def _clip_reads(stream: httpcore.NetworkStream) -> None:
    import httpcore  # noqa: PLC0415 -- see _on_trace

    read: Callable[..., bytes] = stream.read
    if getattr(read, "_leapocr_clipped", False):
        return

    def clipped(max_bytes: int, timeout: float | None = None) -> bytes:
        deadline = _deadline.get()
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise httpcore.ReadTimeout("the request's time ran out")
            timeout = left if timeout is None else min(timeout, left)

        return read(max_bytes, timeout)

    clipped._leapocr_clipped = True  # type: ignore[attr-defined]
    stream.read = clipped  # type: ignore[method-assign]
