"""`AsyncLeapOCR`, the asynchronous client: awaitable I/O around `leapocr._engine`.

It sleeps with `anyio.sleep`, so it runs under asyncio and trio alike, and
cancelling the task ends a wait at once.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, Self

import anyio
import httpx

from leapocr import _batch_async, _engine
from leapocr._config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    APIKeyAuth,
    ClientConfig,
)
from leapocr._models import JobStatus
from leapocr._options import MAX_IN_FLIGHT, CallOptions, http_limits

__all__ = ["AsyncLeapOCR", "AsyncOCR"]

ProgressCallback = Callable[[JobStatus], Awaitable[Any] | Any]


class AsyncLeapOCR:
    """The asynchronous LeapOCR client, for asyncio and trio.

    Example::

        async with AsyncLeapOCR() as client:
            final = await client.ocr.wait_until_done("job_abc123")

    Attributes:
        ocr: The OCR jobs resource.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        """Configure the client; no request is made yet.

        Args:
            api_key: The API key; defaults to ``LEAPOCR_API_KEY``.
            base_url: The service's address; defaults to ``LEAPOCR_BASE_URL``,
                then to ``https://api.leapocr.com/api/v1``.
            timeout: Seconds one request may take.
            max_retries: Retries of one failed request (0 to never retry).
            http_client: An ``httpx.AsyncClient`` to send requests with; it
                stays the caller's to close.
            allow_insecure_http: Allow ``http://`` to a host other than
                loopback, which sends the key unencrypted.

        Raises:
            ValueError: The key is missing or an argument is out of range.
            TypeError: An argument has the wrong type.
        """
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError("http_client must be an httpx.AsyncClient")

        self._config = ClientConfig.resolve(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            allow_insecure_http=allow_insecure_http,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(limits=http_limits())
        self._auth = APIKeyAuth(self._config.api_key)
        self._in_flight = anyio.Semaphore(MAX_IN_FLIGHT)
        self._closed = False
        self.ocr = AsyncOCR(self)

    def __repr__(self) -> str:
        """Show where the client points, never its key."""
        return f"AsyncLeapOCR(base_url={self._config.base_url!r})"

    async def close(self) -> None:
        """Close the connections this client opened; safe to call twice."""
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        """Return the client itself."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the client."""
        await self.close()

    async def _send(self, options: CallOptions, fetch: _engine.Fetch) -> _engine.Reply:
        if self._closed:
            raise RuntimeError("this AsyncLeapOCR client is closed")

        async with self._in_flight:
            try:
                return await self._http.get(
                    options.url,
                    auth=self._auth,
                    timeout=fetch.timeout,
                    follow_redirects=False,
                )
            except httpx.RequestError as error:
                return error


class AsyncOCR:
    """OCR jobs: read a job's status and wait for it to end."""

    def __init__(self, client: AsyncLeapOCR) -> None:
        """Bind the resource to its client."""
        self._client = client

    async def get_job_status(
        self, job_id: str, *, max_retries: int | None = None
    ) -> JobStatus:
        """Get a job's current status.

        Args:
            job_id: The job's id.
            max_retries: Retries for this call, instead of the client's.

        Returns:
            The job's status.

        Raises:
            APIError: The service answered with an error (see its subclasses).
            APIConnectionError: No answer came, after the retries allowed.
        """
        options = CallOptions.build(self._client._config, job_id, max_retries)
        status = None
        async for report in self._steps(options, _engine.fetch_once(options.settings)):
            status = report.status

        return options.checked(status)

    async def wait_until_done(
        self,
        job_id: str,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_progress: ProgressCallback | None = None,
        max_retries: int | None = None,
    ) -> JobStatus:
        """Wait until a job ends, and return its final status.

        Args:
            job_id: The job's id.
            timeout: Seconds the whole wait may take; None waits for ever.
            poll_interval: The shortest gap between two polls, in seconds; the
                gap grows with the time waited (see the README).
            on_progress: Called with each status that differs from the last;
                it may be a coroutine function. An exception it raises ends the
                wait and propagates.
            max_retries: Retries per request, instead of the client's.

        Returns:
            The final status: completed or partially done (see
            `JobStatus.is_partial`).

        Raises:
            JobFailedError: The job failed; carries the final status.
            JobTimeoutError: ``timeout`` passed first; carries the last status.
            APIError: The service answered with an error that retrying did not
                cure.
            APIConnectionError: No answer came, after the retries allowed.
        """
        options = CallOptions.build(self._client._config, job_id, max_retries)
        machine = options.wait(timeout, poll_interval, raise_on_failure=True)
        final = None
        async for report in self._steps(options, machine):
            if report.changed and on_progress is not None:
                outcome = on_progress(report.status)
                if inspect.isawaitable(outcome):
                    await outcome
            final = report.status

        return options.checked(final)

    async def iter_status(
        self,
        job_id: str,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        max_retries: int | None = None,
    ) -> AsyncIterator[JobStatus]:
        """Yield each change of a job's status until it ends.

        The last status yielded is the final one; a failed job is yielded, not
        raised. Arguments are those of `wait_until_done`.

        Raises:
            JobTimeoutError: ``timeout`` passed before the job ended.
        """
        options = CallOptions.build(self._client._config, job_id, max_retries)
        machine = options.wait(timeout, poll_interval, raise_on_failure=False)
        async for report in self._steps(options, machine):
            if report.changed:
                yield report.status

    # Many jobs at once: written in their own module to keep this shell thin.
    wait_all = _batch_async.wait_all
    as_completed = _batch_async.as_completed

    async def _steps(
        self, options: CallOptions, machine: _engine.Machine
    ) -> AsyncIterator[_engine.Report]:
        reply: _engine.Reply = None
        while (action := _engine.step(machine, reply)) is not None:
            reply = None
            if isinstance(action, _engine.Fetch):
                reply = await self._client._send(options, action)
            elif isinstance(action, _engine.Sleep):
                await anyio.sleep(action.seconds)
            else:
                yield action
