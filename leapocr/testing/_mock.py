"""The sandbox in-process: a job book behind an `httpx.MockTransport`."""

from __future__ import annotations

import httpx

from leapocr.testing._jobs import JobBook

__all__ = ["mock_transport"]


def mock_transport(book: JobBook) -> httpx.MockTransport:
    """Serve a job book to httpx clients without a socket.

    The transport works for both `httpx.Client` and `httpx.AsyncClient`. Give
    the client any loopback base URL ending in the book's prefix, such as
    "http://127.0.0.1/api/v1". A dropped connection raises
    `httpx.RemoteProtocolError`, as a real one does; delays are ignored, since
    the transport cannot sleep in a way that suits both sync and async callers.

    Args:
        book: The jobs, keys and faults to serve.

    Returns:
        A transport answering every request from `book`.
    """

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode("ascii")
        answer = book.respond(request.method, path, request.headers)
        if answer.drop:
            message = "Server disconnected without sending a response."
            raise httpx.RemoteProtocolError(message, request=request)

        return httpx.Response(
            answer.status, headers=answer.headers, content=answer.body
        )

    return httpx.MockTransport(handle)
