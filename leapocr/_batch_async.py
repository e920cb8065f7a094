"""`wait_all` and `as_completed` for the asynchronous client, in a task group.

At most ``max_concurrency`` tasks each take the next job and await its wait;
finished jobs come back through a memory stream. Cancelling the task group
stops every wait at once, under asyncio and trio alike.

`as_completed` is an async context manager (``async with ... as finished``)
rather than a bare async generator: its tasks need a task group, and a task
group must be left in the task that entered it, which an async generator
abandoned in the middle of a loop cannot promise.

These functions become methods of `leapocr.AsyncOCR`; the plan they follow is
in `leapocr._batch`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, Self, TypeVar, cast, overload

from leapocr._batch import DEFAULT_MAX_CONCURRENCY, Batch, Outcome
from leapocr._config import DEFAULT_WAIT_TIMEOUT
from leapocr._models import JobStatus
from leapocr._options import CallOptions

# anyio loads its parts when first used; importing these at run time would
# load them all with `import leapocr`, for annotations only.
if TYPE_CHECKING:
    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from leapocr._async import AsyncOCR

__all__ = ["AsyncCompleted", "as_completed", "wait_all"]

ProgressCallback = Callable[[JobStatus], Awaitable[Any] | Any]
T = TypeVar("T")
_Finished = tuple[str, Outcome | Exception]


class AsyncCompleted(Generic[T]):
    """The final statuses of some jobs, in the order the jobs end.

    Enter it with ``async with`` to start the waits, then iterate it with
    ``async for``; leaving the block stops the waits still running::

        async with client.ocr.as_completed(job_ids) as finished:
            async for status in finished:
                print(status.job_id, status.status.value)
    """

    def __init__(
        self, ocr: AsyncOCR, batch: Batch, on_progress: ProgressCallback | None
    ) -> None:
        """Hold a checked batch until the block is entered."""
        self._ocr = ocr
        self._batch = batch
        self._on_progress = on_progress
        self._group: TaskGroup | None = None
        self._receive: MemoryObjectReceiveStream[_Finished] | None = None
        self._left = len(batch.calls)

    async def __aenter__(self) -> Self:
        """Start the waits.

        Raises:
            RuntimeError: The block was entered before.
        """
        if self._group is not None:
            raise RuntimeError("as_completed(...) can be entered only once")

        # Imported on first use: `import leapocr` stays free of anyio.
        import anyio  # noqa: PLC0415

        send, self._receive = anyio.create_memory_object_stream[_Finished](math.inf)
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        deadline = time.monotonic() + self._batch.timeout
        turns = iter(self._batch.calls)
        async with send:
            for _ in range(self._batch.workers):
                self._group.start_soon(self._work, turns, send.clone(), deadline)

        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the waits still running."""
        if self._group is None or self._receive is None:
            return

        self._group.cancel_scope.cancel()
        self._receive.close()
        # The block's own exception propagates as it is, not wrapped in the
        # exception group a task group would make of it.
        await self._group.__aexit__(None, None, None)

    def __aiter__(self) -> Self:
        """Iterate the final statuses.

        Raises:
            RuntimeError: The waits were not started with ``async with``.
        """
        if self._receive is None:
            raise RuntimeError(
                "use `async with client.ocr.as_completed(...) as finished:` "
                "and iterate `finished`"
            )

        return self

    async def __anext__(self) -> T:
        """The next job to end: its final status, or its error.

        Raises:
            LeapOCRError: A job's wait raised it, unless ``return_exceptions``.
        """
        if self._left == 0:
            raise StopAsyncIteration

        _, outcome = await self._next_pair()
        # T is JobStatus exactly when errors are raised rather than returned.
        return cast("T", outcome)

    async def _next_pair(self) -> tuple[str, Outcome]:
        if self._receive is None:
            raise RuntimeError("the waits were not started")

        job_id, outcome = await self._receive.receive()
        self._left -= 1

        return job_id, self._batch.settle(outcome)

    async def _work(
        self,
        turns: Iterable[CallOptions],
        send: MemoryObjectSendStream[_Finished],
        deadline: float,
    ) -> None:
        async with send:
            for call in turns:
                try:
                    outcome: Outcome | Exception = await self._wait_one(call, deadline)
                # Any error, the caller's included, goes to the reading task,
                # which decides whether it ends the batch. Cancellation is a
                # BaseException and passes.
                except Exception as error:  # noqa: BLE001
                    outcome = error
                await send.send((call.settings.job_id, outcome))

    async def _wait_one(self, call: CallOptions, deadline: float) -> JobStatus:
        machine = self._batch.machine(call, deadline, time.monotonic())

        return await self._ocr._follow(call, machine, self._on_progress)


@overload
def as_completed(
    self: AsyncOCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None = ...,
    poll_interval: float | None = ...,
    max_concurrency: int = ...,
    return_exceptions: Literal[False] = ...,
    on_progress: ProgressCallback | None = ...,
    max_retries: int | None = ...,
) -> AsyncCompleted[JobStatus]: ...
@overload
def as_completed(
    self: AsyncOCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None = ...,
    poll_interval: float | None = ...,
    max_concurrency: int = ...,
    return_exceptions: bool,
    on_progress: ProgressCallback | None = ...,
    max_retries: int | None = ...,
) -> AsyncCompleted[Outcome]: ...
def as_completed(
    self: AsyncOCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None = DEFAULT_WAIT_TIMEOUT,
    poll_interval: float | None = None,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    return_exceptions: bool = False,
    on_progress: ProgressCallback | None = None,
    max_retries: int | None = None,
) -> AsyncCompleted[JobStatus] | AsyncCompleted[Outcome]:
    """Give each job's final status as soon as the job ends.

    The arguments are checked at once; the waits start when the returned
    object is entered with ``async with``, and stop when the block is left.
    Arguments and errors are those of `wait_all`.

    Example::

        async with client.ocr.as_completed(job_ids) as finished:
            async for status in finished:
                print(status.job_id, status.status.value)

    Returns:
        An async context manager; iterating it gives final statuses in the
        order the jobs ended, and with ``return_exceptions`` the error of a
        job whose wait raised instead (its ``job_id`` says which job).
    """
    batch = Batch.plan(
        self._client._config,
        job_ids,
        timeout=timeout,
        poll_interval=poll_interval,
        max_concurrency=max_concurrency,
        return_exceptions=return_exceptions,
        max_retries=max_retries,
    )

    return AsyncCompleted(self, batch, on_progress)


@overload
async def wait_all(
    self: AsyncOCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None = ...,
    poll_interval: float | None = ...,
    max_concurrency: int = ...,
    return_exceptions: Literal[False] = ...,
    on_progress: ProgressCallback | None = ...,
    max_retries: int | None = ...,
) -> list[JobStatus]: ...
@overload
async def wait_all(
    self: AsyncOCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None = ...,
    poll_interval: float | None = ...,
    max_concurrency: int = ...,
    return_exceptions: bool,
    on_progress: ProgressCallback | None = ...,
    max_retries: int | None = ...,
) -> list[Outcome]: ...
async def wait_all(
    self: AsyncOCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None = DEFAULT_WAIT_TIMEOUT,
    poll_interval: float | None = None,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    return_exceptions: bool = False,
    on_progress: ProgressCallback | None = None,
    max_retries: int | None = None,
) -> list[JobStatus] | list[Outcome]:
    """Wait until every job ends, and return their final statuses.

    Args:
        self: The jobs resource of a client.
        job_ids: The jobs' ids; a job given twice is waited on once.
        timeout: Seconds the whole call may take; None waits for ever. A job
            still running then ends with `JobTimeoutError`; a job whose turn
            comes after it is asked about once.
        poll_interval: The shortest gap between two polls of one job.
        max_concurrency: How many jobs are waited on at once.
        return_exceptions: Wait for every job even when some fail, and put
            each error (`JobFailedError`, `JobTimeoutError`, `APIError`, ...)
            in its job's place among the results instead of raising it.
        on_progress: Called with each status that differs from the job's
            last; it may be a coroutine function. An exception it raises ends
            the call and propagates.
        max_retries: Retries per request, instead of the client's.

    Returns:
        The final statuses in the order the ids were given.

    Raises:
        JobFailedError: A job failed (unless ``return_exceptions``); the
            other waits are cancelled.
        JobTimeoutError: ``timeout`` passed before a job ended (same terms).
        APIError: A request failed for good (same terms).
        APIConnectionError: No answer came (same terms).
    """
    batch = Batch.plan(
        self._client._config,
        job_ids,
        timeout=timeout,
        poll_interval=poll_interval,
        max_concurrency=max_concurrency,
        return_exceptions=return_exceptions,
        max_retries=max_retries,
    )
    outcomes: dict[str, Outcome] = {}
    async with AsyncCompleted[Outcome](self, batch, on_progress) as finished:
        for _ in batch.calls:
            job_id, outcome = await finished._next_pair()
            outcomes[job_id] = outcome

    return batch.in_order(outcomes)
