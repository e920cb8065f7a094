"""Many jobs at once: wait_all and as_completed, sync and async, over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from leapocr import (
    AsyncLeapOCR,
    JobFailedError,
    JobStatus,
    JobTimeoutError,
    LeapOCR,
    LeapOCRError,
    NotFoundError,
)
from leapocr.testing import Sandbox
from tests.clients import KINDS


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox server for the module."""
    with Sandbox() as server:
        yield server


class Batch:
    """Runs wait_all or as_completed through one kind of client."""

    def __init__(self, kind: str, sandbox: Sandbox) -> None:
        """Remember the kind of client and the sandbox to point it at."""
        self.kind = kind
        self.sandbox = sandbox
        self.seen: list[JobStatus] = []
        self._lock = threading.Lock()

    def progress(self, status: JobStatus) -> None:
        """Record a progress report, from any thread."""
        with self._lock:
            self.seen.append(status)

    def wait_all(self, job_ids: list[str], **kwargs: Any) -> list[Any]:
        """client.ocr.wait_all(job_ids, **kwargs)."""
        kwargs.setdefault("poll_interval", 0.1)
        if self.kind == "sync":
            with self._client() as client:
                finals: list[Any] = client.ocr.wait_all(job_ids, **kwargs)
                return finals

        async def run() -> list[Any]:
            async with self._async_client() as client:
                finals: list[Any] = await client.ocr.wait_all(job_ids, **kwargs)
                return finals

        return anyio.run(run, backend=self.kind)

    def as_completed(
        self, job_ids: list[str], *, take: int | None = None, **kwargs: Any
    ) -> list[Any]:
        """The outcomes of client.ocr.as_completed, in order; stop after ``take``."""
        kwargs.setdefault("poll_interval", 0.1)
        if self.kind == "sync":
            with self._client() as client:
                outcomes = []
                for outcome in client.ocr.as_completed(job_ids, **kwargs):
                    outcomes.append(outcome)
                    if len(outcomes) == take:
                        break
                return outcomes

        async def run() -> list[Any]:
            outcomes = []
            async with (
                self._async_client() as client,
                client.ocr.as_completed(job_ids, **kwargs) as finished,
            ):
                async for outcome in finished:
                    outcomes.append(outcome)
                    if len(outcomes) == take:
                        break
            return outcomes

        return anyio.run(run, backend=self.kind)

    def _client(self) -> LeapOCR:
        return LeapOCR(self.sandbox.api_key, base_url=self.sandbox.base_url)

    def _async_client(self) -> AsyncLeapOCR:
        return AsyncLeapOCR(self.sandbox.api_key, base_url=self.sandbox.base_url)


def assert_no_more_requests(sandbox: Sandbox) -> None:
    """No request reaches the sandbox once a request sent before has landed."""
    # A request cancelled in flight may still reach the server a moment later.
    anyio.run(anyio.sleep, 0.1)
    after = sandbox.requests
    anyio.run(anyio.sleep, 0.4)
    assert sandbox.requests == after


@pytest.fixture(params=KINDS)
def batch(request: pytest.FixtureRequest, sandbox: Sandbox) -> Batch:
    """The same scenarios through the sync client, async on asyncio, and on trio."""
    return Batch(request.param, sandbox)


def test_wait_all_returns_statuses_in_order(batch: Batch, sandbox: Sandbox) -> None:
    """wait_all returns each final status in the order the ids were given."""
    jobs = [sandbox.add_job(pages=2, duration=d) for d in (0.6, 0.1, 0.3)]
    finals = batch.wait_all(jobs, timeout=20)
    assert [s.job_id for s in finals] == jobs
    assert all(s.is_completed for s in finals)


def test_wait_all_waits_once_per_distinct_job(batch: Batch, sandbox: Sandbox) -> None:
    """A job given twice is waited on once and returned in both places."""
    first, second = sandbox.add_job(duration=0.2), sandbox.add_job(duration=0.1)
    finals = batch.wait_all([first, second, first], timeout=20)
    assert [s.job_id for s in finals] == [first, second, first]
    assert finals[0] == finals[2]


def test_wait_all_of_nothing_is_empty(batch: Batch) -> None:
    """No job ids, no requests, an empty list."""
    assert batch.wait_all([]) == []
    assert batch.as_completed([]) == []


def test_as_completed_yields_in_finishing_order(batch: Batch, sandbox: Sandbox) -> None:
    """as_completed yields the quickest job first."""
    slow = sandbox.add_job(pages=2, duration=0.6)
    quick = sandbox.add_job(pages=2, duration=0.0)
    finals = batch.as_completed([slow, quick], timeout=20)
    assert [s.job_id for s in finals] == [quick, slow]


def test_concurrency_is_bounded(batch: Batch, sandbox: Sandbox) -> None:
    """With max_concurrency=2, quick jobs behind two slow ones wait their turn."""
    slow = [sandbox.add_job(pages=2, duration=0.5) for _ in range(2)]
    quick = [sandbox.add_job(pages=2, duration=0.0) for _ in range(2)]
    finals = batch.as_completed([*slow, *quick], timeout=20, max_concurrency=2)
    assert finals[0].job_id in slow
    assert {s.job_id for s in finals} == {*slow, *quick}


def test_first_failure_raises_and_stops_the_rest(
    batch: Batch, sandbox: Sandbox
) -> None:
    """By default a failed job raises JobFailedError and the other waits stop."""
    failed = sandbox.add_job(pages=2, duration=0.1, outcome="failed")
    endless = [sandbox.add_job(pages=2, duration=600.0) for _ in range(3)]
    with pytest.raises(JobFailedError) as caught:
        batch.wait_all([failed, *endless], timeout=30)
    assert caught.value.job_id == failed
    assert_no_more_requests(sandbox)


def test_return_exceptions_collects_every_outcome(
    batch: Batch, sandbox: Sandbox
) -> None:
    """With return_exceptions, errors take their job's place and all jobs end."""
    good = sandbox.add_job(pages=2, duration=0.3)
    failed = sandbox.add_job(pages=2, duration=0.1, outcome="failed")
    outcomes = batch.wait_all(
        [failed, "job_missing", good], timeout=20, return_exceptions=True
    )
    assert isinstance(outcomes[0], JobFailedError)
    assert isinstance(outcomes[1], NotFoundError)
    assert outcomes[1].job_id == "job_missing"
    assert isinstance(outcomes[2], JobStatus)
    assert outcomes[2].is_completed


def test_as_completed_yields_errors_with_their_job(
    batch: Batch, sandbox: Sandbox
) -> None:
    """as_completed with return_exceptions yields errors that name their job."""
    good = sandbox.add_job(pages=2, duration=0.2)
    outcomes = batch.as_completed(["job_gone", good], return_exceptions=True)
    errors = [o for o in outcomes if isinstance(o, LeapOCRError)]
    assert [e.job_id for e in errors] == ["job_gone"]
    assert [o.job_id for o in outcomes if isinstance(o, JobStatus)] == [good]


def test_timeout_bounds_the_whole_batch(batch: Batch, sandbox: Sandbox) -> None:
    """A job still running when the batch's timeout passes ends in JobTimeoutError."""
    quick = sandbox.add_job(pages=2, duration=0.0)
    endless = sandbox.add_job(pages=2, duration=600.0)
    outcomes = batch.wait_all([quick, endless], timeout=0.6, return_exceptions=True)
    assert isinstance(outcomes[0], JobStatus)
    assert isinstance(outcomes[1], JobTimeoutError)
    assert outcomes[1].job_id == endless
    assert outcomes[1].status is not None


def test_late_jobs_get_a_last_check(batch: Batch, sandbox: Sandbox) -> None:
    """A job whose turn comes after the deadline is still asked about once."""
    endless = sandbox.add_job(pages=2, duration=600.0)
    done = sandbox.add_job(pages=2, duration=0.0)
    outcomes = batch.wait_all(
        [endless, done], timeout=0.3, max_concurrency=1, return_exceptions=True
    )
    assert isinstance(outcomes[0], JobTimeoutError)
    assert isinstance(outcomes[1], JobStatus)
    assert outcomes[1].is_completed


def test_progress_is_reported_for_every_job(batch: Batch, sandbox: Sandbox) -> None:
    """on_progress sees each job's changes, ending with its final status."""
    jobs = [sandbox.add_job(pages=4, duration=0.5) for _ in range(3)]
    batch.wait_all(jobs, timeout=20, on_progress=batch.progress)
    for job in jobs:
        mine = [s for s in batch.seen if s.job_id == job]
        assert len(mine) >= 2
        assert mine[-1].is_completed


def test_progress_callback_error_propagates(batch: Batch, sandbox: Sandbox) -> None:
    """An exception from on_progress ends the batch, even with return_exceptions."""
    job = sandbox.add_job(pages=2, duration=0.5)

    def broken(status: JobStatus) -> None:
        raise ZeroDivisionError(status.job_id)

    with pytest.raises(ZeroDivisionError):
        batch.wait_all([job], on_progress=broken, return_exceptions=True)


def test_leaving_early_stops_the_other_waits(batch: Batch, sandbox: Sandbox) -> None:
    """Breaking out of as_completed stops the waits still running."""
    quick = sandbox.add_job(pages=2, duration=0.0)
    endless = [sandbox.add_job(pages=2, duration=600.0) for _ in range(3)]
    outcomes = batch.as_completed([quick, *endless], take=1)
    assert [o.job_id for o in outcomes] == [quick]
    assert_no_more_requests(sandbox)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"job_ids": "job_abc"}, TypeError),
        ({"job_ids": ["job_a", ""]}, ValueError),
        ({"job_ids": ["job_a"], "max_concurrency": 0}, ValueError),
        ({"job_ids": ["job_a"], "timeout": -1}, ValueError),
        ({"job_ids": ["job_a"], "poll_interval": 0}, ValueError),
    ],
)
@pytest.mark.parametrize("method", ["wait_all", "as_completed"])
def test_arguments_are_checked_before_any_request(
    sandbox: Sandbox, method: str, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    """Bad arguments raise at the call, sync and async, before any request."""
    sandbox.book.reset_counts()
    with (
        LeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client,
        pytest.raises(error),
    ):
        getattr(client.ocr, method)(**kwargs)

    async def run() -> None:
        async with AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:

            async def call() -> None:
                outcome = getattr(client.ocr, method)(**kwargs)
                if method == "wait_all":
                    await outcome

            with pytest.raises(error):
                await call()

    anyio.run(run)
    assert sandbox.requests == 0


@pytest.mark.anyio
async def test_async_as_completed_needs_async_with(sandbox: Sandbox) -> None:
    """Iterating the async as_completed without entering it says how to use it."""
    async with AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        finished = client.ocr.as_completed(["job_a"])
        with pytest.raises(RuntimeError, match="async with"):
            finished.__aiter__()
        async with finished:
            pass
        with pytest.raises(RuntimeError, match="only once"):
            await finished.__aenter__()


@pytest.mark.anyio
async def test_async_block_error_is_not_wrapped(sandbox: Sandbox) -> None:
    """An error raised inside the async with block comes out as it is."""
    job = sandbox.add_job(pages=2, duration=600.0)
    async with AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        with pytest.raises(KeyError):
            async with client.ocr.as_completed([job]):
                raise KeyError(job)
