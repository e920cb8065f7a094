"""`wait_all` and `as_completed` for the synchronous client, on a few threads.

Each of at most ``max_concurrency`` threads takes the next job and runs its
wait; finished jobs come back to the caller's thread through a queue. The
threads sleep on an event rather than in `time.sleep`, so that the first
error, or the caller leaving the loop early, stops every other wait at once
instead of after its current sleep. A request already sent is let finish,
within its timeout.

These functions become methods of `leapocr.OCR`; the plan they follow is in
`leapocr._batch`.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal, overload

from leapocr import _engine
from leapocr._batch import DEFAULT_MAX_CONCURRENCY, Batch, Outcome
from leapocr._config import DEFAULT_WAIT_TIMEOUT
from leapocr._models import JobStatus
from leapocr._options import CallOptions

if TYPE_CHECKING:
    from leapocr._sync import OCR

__all__ = ["as_completed", "as_completed_by_id", "wait_all"]

ProgressCallback = Callable[[JobStatus], Any]
#: A progress callback told which of the ids asked for the status answers.
KeyedProgressCallback = Callable[[str, JobStatus], Any]


class _StoppedError(Exception):
    """The batch ended while this job's wait was still running."""


@overload
def wait_all(
    self: OCR,
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
def wait_all(
    self: OCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None = ...,
    poll_interval: float | None = ...,
    max_concurrency: int = ...,
    return_exceptions: bool,
    on_progress: ProgressCallback | None = ...,
    max_retries: int | None = ...,
) -> list[Outcome]: ...
def wait_all(
    self: OCR,
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
            last, from one of the worker threads; an exception it raises ends
            the call and propagates.
        max_retries: Retries per request, instead of the client's.

    Returns:
        The final statuses in the order the ids were given.

    Raises:
        JobFailedError: A job failed (unless ``return_exceptions``); the
            other waits are stopped.
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

    return batch.in_order(dict(_run(self, batch, _unkeyed(on_progress))))


@overload
def as_completed(
    self: OCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None = ...,
    poll_interval: float | None = ...,
    max_concurrency: int = ...,
    return_exceptions: Literal[False] = ...,
    on_progress: ProgressCallback | None = ...,
    max_retries: int | None = ...,
) -> Iterator[JobStatus]: ...
@overload
def as_completed(
    self: OCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None = ...,
    poll_interval: float | None = ...,
    max_concurrency: int = ...,
    return_exceptions: bool,
    on_progress: ProgressCallback | None = ...,
    max_retries: int | None = ...,
) -> Iterator[Outcome]: ...
def as_completed(
    self: OCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None = DEFAULT_WAIT_TIMEOUT,
    poll_interval: float | None = None,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    return_exceptions: bool = False,
    on_progress: ProgressCallback | None = None,
    max_retries: int | None = None,
) -> Iterator[JobStatus] | Iterator[Outcome]:
    """Yield each job's final status as soon as the job ends.

    The arguments are checked at once; the waits start with the first
    iteration. Leaving the loop early (or closing the iterator) stops the
    waits still running. Arguments and errors are those of `wait_all`.

    Example::

        for status in client.ocr.as_completed(job_ids):
            print(status.job_id, status.status.value)

    Yields:
        Final statuses in the order the jobs ended; with
        ``return_exceptions``, the error of a job whose wait raised instead
        (its ``job_id`` says which job it was).
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

    return _outcomes(_run(self, batch, _unkeyed(on_progress)))


def as_completed_by_id(
    self: OCR,
    job_ids: Iterable[str],
    *,
    timeout: float | None,
    poll_interval: float | None,
    on_progress: KeyedProgressCallback,
) -> Generator[tuple[str, Outcome], None, None]:
    """Like `as_completed` with ``return_exceptions``, keyed by the ids asked.

    A server may answer with another spelling of the id, or another job's:
    this names each status and outcome by the id it was asked for, so a
    caller's bookkeeping (the command's rows) never goes astray.

    Yields:
        Each job's id as given, and its final status or the error that
        ended its wait, in the order the jobs ended.
    """
    batch = Batch.plan(
        self._client._config,
        job_ids,
        timeout=timeout,
        poll_interval=poll_interval,
        max_concurrency=DEFAULT_MAX_CONCURRENCY,
        return_exceptions=True,
        max_retries=None,
    )

    return _run(self, batch, on_progress)


def _unkeyed(on_progress: ProgressCallback | None) -> KeyedProgressCallback | None:
    if on_progress is None:
        return None

    return lambda _job_id, status: on_progress(status)


def _outcomes(pairs: Generator[tuple[str, Outcome], None, None]) -> Iterator[Outcome]:
    """The outcomes alone; closing this closes the waits at once."""
    try:
        for _, outcome in pairs:
            yield outcome
    finally:
        pairs.close()


def _run(
    ocr: OCR, batch: Batch, on_progress: KeyedProgressCallback | None
) -> Generator[tuple[str, Outcome], None, None]:
    """Run the batch's waits on worker threads; yield each as it ends."""
    pool = _Pool(ocr, batch, on_progress)
    join = True
    try:
        for _ in batch.calls:
            job_id, outcome = pool.next_finished()
            yield job_id, batch.settle(outcome)
    except BaseException as error:
        # Ctrl-C or an exit must not wait for a thread blocked in a request,
        # which can take the whole request timeout; the threads are daemons.
        join = isinstance(error, Exception | GeneratorExit)
        raise
    finally:
        pool.stop(join=join)


class _Pool:
    """Worker threads that take a batch's jobs in turn and wait on each."""

    def __init__(
        self, ocr: OCR, batch: Batch, on_progress: KeyedProgressCallback | None
    ) -> None:
        self._ocr = ocr
        self._batch = batch
        self._on_progress = on_progress
        self._stop = threading.Event()
        self._finished: queue.Queue[tuple[str, Outcome | Exception]] = queue.Queue()
        self._turns = iter(batch.calls)
        self._turn_lock = threading.Lock()
        self._deadline = time.monotonic() + batch.timeout
        self._threads = [
            threading.Thread(target=self._work, daemon=True)
            for _ in range(batch.workers)
        ]
        for thread in self._threads:
            thread.start()

    def next_finished(self) -> tuple[str, Outcome | Exception]:
        """The next job to end, and its outcome; blocks until there is one."""
        return self._finished.get()

    def stop(self, *, join: bool = True) -> None:
        """Stop the waits still running, and their threads.

        Args:
            join: Wait for the threads to end. Without it, a thread inside a
                request ends when that request does, and sends nothing more.
        """
        self._stop.set()
        if join:
            for thread in self._threads:
                thread.join()

    def _work(self) -> None:
        while (call := self._next_turn()) is not None:
            outcome: Outcome | Exception
            try:
                outcome = self._wait_one(call)
            except _StoppedError:
                return
            # Any error, the caller's included, goes to the caller's thread,
            # which decides whether it ends the batch.
            except Exception as error:  # noqa: BLE001
                outcome = error
            self._finished.put((call.settings.job_id, outcome))

    def _next_turn(self) -> CallOptions | None:
        with self._turn_lock:
            return None if self._stop.is_set() else next(self._turns, None)

    def _wait_one(self, call: CallOptions) -> JobStatus:
        if self._stop.is_set():
            raise _StoppedError

        machine = self._batch.machine(call, self._deadline, time.monotonic())

        on_progress = None
        if self._on_progress is not None:
            on_progress = functools.partial(self._on_progress, call.settings.job_id)

        return self._ocr._follow(
            call, self._stoppable(machine), on_progress, self._sleep
        )

    def _stoppable(self, machine: _engine.Machine) -> _engine.Machine:
        # Once the batch is stopped, a request that comes back late leads to
        # no further request, sleep or progress report.
        reply: _engine.Reply = None
        while (action := _engine.step(machine, reply)) is not None:
            if self._stop.is_set():
                machine.close()
                raise _StoppedError
            reply = yield action

    def _sleep(self, seconds: float) -> None:
        # Sleeps on the stop event, so stop() wakes every worker at once.
        if self._stop.wait(seconds):
            raise _StoppedError
