"""Waits end to end on the sandbox: deadlines, rate limits, callbacks, stops.

The bounds on elapsed time below are correctness checks with wide margins (a
sleep honoured, a sleep not sat out), not speed targets.
"""

from __future__ import annotations

import gc
import itertools
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import aclosing
from functools import partial
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from leapocr import (
    AsyncLeapOCR,
    JobState,
    JobStatus,
    JobTimeoutError,
    LeapOCR,
    RateLimitError,
)
from leapocr.testing import Sandbox
from tests.clients import KINDS, Driver


class CallbackError(Exception):
    """Raised by a progress callback on purpose."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox server for the module."""
    with Sandbox() as server:
        yield server


@pytest.fixture(params=KINDS)
def driver(request: pytest.FixtureRequest, sandbox: Sandbox) -> Driver:
    """The same scenario through the sync client, async on asyncio, and on trio."""
    return Driver(request.param, sandbox.base_url, sandbox.api_key)


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``call``; return its result and the seconds it took."""
    started = time.monotonic()
    result = call()

    return result, time.monotonic() - started


def progress_key(status: JobStatus) -> tuple[object, ...]:
    """What makes two statuses differ for a progress report."""
    return (status.status, status.progress, status.processed_pages)


def test_on_progress_is_called_on_change_only(driver: Driver, sandbox: Sandbox) -> None:
    """Identical polls are not reported: each report differs from the last."""
    job = sandbox.add_job(pages=3, duration=1.0)
    before = sandbox.requests
    final = driver.wait(job, timeout=20, poll_interval=0.1)
    keys = [progress_key(s) for s in driver.seen]
    assert all(a != b for a, b in itertools.pairwise(keys))
    assert sandbox.requests - before > len(driver.seen)
    assert driver.seen[-1] == final


def test_on_progress_raising_stops_the_wait(driver: Driver, sandbox: Sandbox) -> None:
    """An exception from on_progress ends the wait and reaches the caller."""
    job = sandbox.add_job(duration=30)
    before = sandbox.requests

    def boom(status: JobStatus) -> None:
        raise CallbackError(status.job_id)

    with pytest.raises(CallbackError, match=job):
        driver.call("wait_until_done", job, on_progress=boom, poll_interval=0.1)
    assert sandbox.requests - before == 1


def test_retry_after_on_429_is_honoured(driver: Driver, sandbox: Sandbox) -> None:
    """A 429 inside a wait is retried after the time the server asked for."""
    job = sandbox.add_job(duration=0.0)
    sandbox.inject(429, retry_after="1")
    before = sandbox.requests
    final, took = timed(lambda: driver.wait(job, timeout=20))
    assert final.is_completed
    assert sandbox.requests - before == 2
    assert took >= 1.0


def test_429_beyond_the_deadline_raises_at_once(
    driver: Driver, sandbox: Sandbox
) -> None:
    """A Retry-After longer than the wait has left raises RateLimitError now."""
    job = sandbox.add_job(duration=30)
    sandbox.inject(429, retry_after="30")
    before = sandbox.requests
    with pytest.raises(RateLimitError) as caught:
        timed(lambda: driver.wait(job, timeout=5))
    assert caught.value.retry_after == 30
    assert sandbox.requests - before == 1


def test_deadline_ends_the_wait_with_the_last_status(
    driver: Driver, sandbox: Sandbox
) -> None:
    """When the timeout passes, JobTimeoutError carries the last status seen."""
    job = sandbox.add_job(pages=100, duration=60)
    with pytest.raises(JobTimeoutError) as caught:
        driver.wait(job, timeout=1.0, poll_interval=0.2)
    error = caught.value
    assert error.status is not None
    assert error.status.status is JobState.PROCESSING
    assert error.status.job_id == job
    assert progress_key(error.status) == progress_key(driver.seen[-1])
    assert 1.0 <= error.waited < 10.0


def press_ctrl_c() -> None:
    """Send SIGINT to the main thread, as a terminal's Ctrl-C does.

    `_thread.interrupt_main` would only set Python's flag, which a sleeping
    thread sees when its sleep is over; the signal itself cuts the sleep short.
    """
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


def test_ctrl_c_ends_a_sync_wait(sandbox: Sandbox) -> None:
    """KeyboardInterrupt stops a blocking wait mid-sleep; no request follows."""
    job = sandbox.add_job(duration=120)
    interrupt = threading.Timer(0.5, press_ctrl_c)
    with LeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        before = time.monotonic()
        interrupt.start()
        with pytest.raises(KeyboardInterrupt):
            client.ocr.wait_until_done(job, poll_interval=5.0, timeout=60)
        took = time.monotonic() - before
        seen = sandbox.requests
    interrupt.join()
    assert took < 5.0
    time.sleep(0.3)
    assert sandbox.requests == seen


async def wait_for_requests(sandbox: Sandbox, count: int) -> None:
    """Return once the sandbox has seen ``count`` requests in all."""
    with anyio.fail_after(10):
        # The count grows in the sandbox's server thread, which cannot set an
        # anyio.Event of this loop: polling it is the simple way.
        while sandbox.requests < count:  # noqa: ASYNC110
            await anyio.sleep(0.01)


async def cancel_after_requests(
    sandbox: Sandbox, client: AsyncLeapOCR, job: str, requests: int
) -> float:
    """Start a wait, cancel it once ``requests`` more reached the sandbox.

    Returns:
        Seconds from the cancellation to the wait being over.
    """
    target = sandbox.requests + requests
    wait = partial(client.ocr.wait_until_done, job, poll_interval=5.0, timeout=60)
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await wait_for_requests(sandbox, target)
            cancelled = anyio.current_time()
            scope.cancel()
    assert scope.cancelled_caught

    return anyio.current_time() - cancelled


@pytest.mark.anyio
async def test_cancelling_a_sleeping_wait(sandbox: Sandbox) -> None:
    """Cancelling the task ends a wait mid-sleep; the client still works."""
    job = sandbox.add_job(duration=120)
    async with AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        took = await cancel_after_requests(sandbox, client, job, 1)
        seen = sandbox.requests
        await anyio.sleep(0.3)
        assert sandbox.requests == seen
        assert took < 5.0
        status = await client.ocr.get_job_status(job)
        assert status.job_id == job
    gc.collect()


@pytest.mark.anyio
async def test_cancelling_a_wait_mid_request(sandbox: Sandbox) -> None:
    """Cancelling during a slow answer ends the wait without waiting for it."""
    job = sandbox.add_job(duration=120)
    sandbox.inject_delay(5.0)
    async with AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        took = await cancel_after_requests(sandbox, client, job, 1)
        seen = sandbox.requests
        assert took < 5.0
        status = await client.ocr.get_job_status(job)
        assert status.job_id == job
        assert sandbox.requests == seen + 1
    gc.collect()


@pytest.mark.anyio
async def test_a_wait_never_blocks_the_event_loop(sandbox: Sandbox) -> None:
    """Another task keeps running while a wait sleeps between polls."""
    job = sandbox.add_job(pages=3, duration=1.2)
    ticks: list[float] = []

    async def tick() -> None:
        while True:
            ticks.append(anyio.current_time())
            await anyio.sleep(0.01)

    async with (
        AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(tick)
        final = await client.ocr.wait_until_done(job, poll_interval=0.5)
        group.cancel_scope.cancel()
    assert final.is_completed
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert len(ticks) > 20
    assert max(gaps) < 0.4


@pytest.mark.anyio
async def test_async_on_progress_raising_stops_the_wait(sandbox: Sandbox) -> None:
    """A coroutine callback that raises ends the wait too."""
    job = sandbox.add_job(duration=30)
    before = sandbox.requests

    async def boom(status: JobStatus) -> None:
        await anyio.lowlevel.checkpoint()
        raise CallbackError(status.job_id)

    async with AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        with pytest.raises(CallbackError):
            await client.ocr.wait_until_done(job, on_progress=boom, poll_interval=0.1)
    assert sandbox.requests - before == 1


def test_leaving_iter_status_stops_polling(sandbox: Sandbox) -> None:
    """Closing the sync status iterator early ends its requests."""
    job = sandbox.add_job(pages=50, duration=30)
    with LeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        statuses = client.ocr.iter_status(job, poll_interval=0.1)
        first = next(statuses)
        statuses.close()
        seen = sandbox.requests
        time.sleep(0.3)
    assert first.job_id == job
    assert sandbox.requests == seen


@pytest.mark.anyio
async def test_leaving_async_iter_status_stops_polling(sandbox: Sandbox) -> None:
    """Breaking out of an aclosing-wrapped async iterator ends its requests."""
    job = sandbox.add_job(pages=50, duration=30)
    async with AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        statuses = client.ocr.iter_status(job, poll_interval=0.1)
        async with aclosing(statuses):
            async for status in statuses:
                assert status.job_id == job
                break
        seen = sandbox.requests
        await anyio.sleep(0.3)
    assert sandbox.requests == seen
