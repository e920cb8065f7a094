"""`AsyncLeapOCR`, the asynchronous client: awaitable I/O around `leapocr._engine`.

It sleeps with `anyio.sleep`, so it runs under asyncio and trio alike, and
cancelling the task ends a wait at once.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

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
from leapocr._options import MAX_IN_FLIGHT, CallOptions, http_limits, ssl_context

if TYPE_CHECKING:
    from anyio.lowlevel import RunVar

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
        self._http = http_client or httpx.AsyncClient(
            limits=http_limits(), verify=ssl_context()
        )
        self._auth = APIKeyAuth(self._config.api_key)
        # Imported here, not with the package: programs that use only the sync
        # client should not pay for anyio in `import leapocr`.
        import anyio  # noqa: PLC0415

        # fast_acquire: a free slot is taken without a trip through the event
        # loop, which cost half as much as all the rest of the SDK's own work
        # per request (benchmarks/call_cost.py).
        self._in_flight = anyio.Semaphore(MAX_IN_FLIGHT, fast_acquire=True)
        self._sleep = anyio.sleep
        self._move_on_after = anyio.move_on_after
        self._closed = False
        self._run: object | None = None
        self.ocr = AsyncOCR(self)

    def __repr__(self) -> str:
        """Show where the client points, never its key."""
        return f"AsyncLeapOCR(base_url={self._config.base_url!r})"

    async def close(self) -> None:
        """Close the connections this client opened; safe to call twice.

        Raises:
            RuntimeError: The client was used in another event loop, whose
                connections cannot be closed from this one.
        """
        if self._closed:
            return

        if self._owns_http:
            # Before marking the client closed, so that the loop it belongs
            # to can still close it.
            self._check_event_loop()
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

    def _check_event_loop(self) -> None:
        # Pooled connections and the semaphore belong to the loop that made
        # them; in another loop they fail with errors such as a bare "Event
        # loop is closed", so the client stays with the first loop it ran in.
        run = _current_run()
        if self._run is None:
            self._run = run
        elif self._run is not run:
            raise RuntimeError(
                "this AsyncLeapOCR was first used in another event loop (each "
                "asyncio.run or trio.run is a new one); create the client inside "
                "the loop that uses it, e.g. with `async with AsyncLeapOCR() as "
                "client:`"
            )

    async def _send(self, options: CallOptions, fetch: _engine.Fetch) -> _engine.Reply:
        if self._closed:
            raise RuntimeError("this AsyncLeapOCR client is closed")

        self._check_event_loop()
        async with self._in_flight:
            # httpx bounds each read, not the request: a server dripping bytes
            # would hold it for ever without this scope.
            with self._move_on_after(fetch.timeout):
                try:
                    return await self._http.get(
                        options.url,
                        auth=self._auth,
                        timeout=fetch.timeout,
                        follow_redirects=False,
                    )
                except httpx.RequestError as error:
                    return error

        return httpx.ReadTimeout(f"no complete answer within {fetch.timeout:g}s")


@functools.cache
def _run_var() -> RunVar[object]:
    from anyio.lowlevel import RunVar  # noqa: PLC0415 -- anyio loads lazily

    return RunVar("leapocr_run")


def _current_run() -> object:
    """An object standing for the running event loop, the same all through it."""
    try:
        return _run_var().get()
    except LookupError:
        run = object()
        _run_var().set(run)

        return run


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
        machine = _engine.fetch_once(options.settings)
        async with aclosing(self._steps(options, machine)) as steps:
            async for report in steps:
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

        return await self._follow(options, machine, on_progress)

    async def iter_status(
        self,
        job_id: str,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        max_retries: int | None = None,
    ) -> AsyncGenerator[JobStatus, None]:
        """Yield each change of a job's status until it ends.

        The last status yielded is the final one; a failed job is yielded, not
        raised. Arguments are those of `wait_until_done`. To leave the loop
        early, iterate inside ``contextlib.aclosing(...)``: polling then stops
        at once rather than when the generator is collected.

        Raises:
            JobTimeoutError: ``timeout`` passed before the job ended.
        """
        options = CallOptions.build(self._client._config, job_id, max_retries)
        machine = options.wait(timeout, poll_interval, raise_on_failure=False)
        async with aclosing(self._steps(options, machine)) as steps:
            async for report in steps:
                if report.changed:
                    yield report.status

    # Many jobs at once: written in their own module to keep this shell thin.
    wait_all = _batch_async.wait_all
    as_completed = _batch_async.as_completed

    async def _follow(
        self,
        options: CallOptions,
        machine: _engine.Machine,
        on_progress: ProgressCallback | None,
    ) -> JobStatus:
        """Run ``machine`` to its end, telling ``on_progress`` of each change."""
        final = None
        # Closed here, not by the garbage collector, when on_progress raises:
        # trio would finalize the abandoned generator in another task.
        async with aclosing(self._steps(options, machine)) as steps:
            async for report in steps:
                if report.changed and on_progress is not None:
                    outcome = on_progress(report.status)
                    if inspect.isawaitable(outcome):
                        await outcome
                final = report.status

        return options.checked(final)

    async def _steps(
        self, options: CallOptions, machine: _engine.Machine
    ) -> AsyncGenerator[_engine.Report, None]:
        reply: _engine.Reply = None
        while (action := _engine.step(machine, reply)) is not None:
            reply = None
            if isinstance(action, _engine.Fetch):
                reply = await self._client._send(options, action)
            elif isinstance(action, _engine.Sleep):
                await self._client._sleep(action.seconds)
            else:
                yield action
