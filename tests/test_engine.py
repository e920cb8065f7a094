"""The shared engine on a fake clock: retries, deadlines, reports."""

from __future__ import annotations

import math
from collections.abc import Iterator

import httpx
import pytest

from leapocr import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    RateLimitError,
    _engine,
)
from leapocr._retry import MAX_RETRY_AFTER
from tests.engine_driver import REQUEST, FakeClock, Run, answer, drive, settings


def sequence(*replies: _engine.Reply) -> Iterator[_engine.Reply]:
    """Replies in order, repeating the last one."""
    yield from replies
    while True:
        yield replies[-1]


def replay(*replies: _engine.Reply):  # type: ignore[no-untyped-def]
    """A responder that plays ``replies`` in order, repeating the last."""
    source = sequence(*replies)
    return lambda _now: next(source)


def wait(
    clock: FakeClock, timeout: float = 60.0, floor: float = 0.5, **kwargs: object
) -> _engine.Machine:
    """A wait machine on the fake clock that raises on failure."""
    return _engine.wait(
        settings(clock, **kwargs),  # type: ignore[arg-type]
        timeout=timeout,
        poll_interval=floor,
        raise_on_failure=True,
    )


def test_fetch_once_reports_one_status() -> None:
    """A single fetch reports the status it read."""
    clock = FakeClock()
    run = drive(
        _engine.fetch_once(settings(clock)),
        clock,
        replay(answer(id="job_1", status="processing")),
    )
    assert [r.status.status.value for r in run.reports] == ["processing"]
    assert run.sleeps == []


def test_retry_after_is_honoured_then_success() -> None:
    """A 503 with Retry-After waits that long, then the retry succeeds."""
    clock = FakeClock()
    busy = answer(503, headers={"Retry-After": "2.5"}, code="SYSTEM_ERROR")
    run = drive(
        _engine.fetch_once(settings(clock)),
        clock,
        replay(busy, answer(status="completed")),
    )
    assert run.sleeps == [2.5]
    assert run.reports[0].status.is_completed


def test_retry_after_as_http_date() -> None:
    """Retry-After given as an HTTP date counts from the wall clock."""
    clock = FakeClock()
    moment = httpx.Headers({"Retry-After": "Fri, 15 Jan 2027 08:00:04 GMT"})
    from email.utils import parsedate_to_datetime

    clock.now = (
        parsedate_to_datetime(moment["retry-after"]).timestamp() - 1_800_000_000.0 - 4
    )
    busy = answer(429, headers=dict(moment))
    run = drive(
        _engine.fetch_once(settings(clock)),
        clock,
        replay(busy, answer(status="pending")),
    )
    assert run.sleeps == [pytest.approx(4.0)]


def test_not_found_is_not_retried() -> None:
    """A 404 raises at once."""
    clock = FakeClock()
    run = Run()
    with pytest.raises(NotFoundError) as caught:
        drive(
            _engine.fetch_once(settings(clock)),
            clock,
            replay(answer(404, code="NOT_FOUND", error={"message": "job not found"})),
            run,
        )
    assert len(run.fetches) == 1
    assert caught.value.code == "NOT_FOUND"
    assert caught.value.message == "job not found"


def test_transport_errors_back_off_then_give_up() -> None:
    """Connection errors are retried max_retries times with growing delays."""
    clock = FakeClock()
    run = Run()
    with pytest.raises(APIConnectionError) as caught:
        drive(
            _engine.fetch_once(settings(clock, max_retries=3)),
            clock,
            replay(httpx.ConnectError("refused", request=REQUEST)),
            run,
        )
    assert len(run.fetches) == 4
    assert run.sleeps == sorted(run.sleeps)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_retry_after_is_capped() -> None:
    """A Retry-After beyond the cap waits only the cap."""
    clock = FakeClock()
    slow = answer(503, headers={"Retry-After": "3600"})
    run = drive(
        _engine.fetch_once(settings(clock)),
        clock,
        replay(slow, answer(status="pending")),
    )
    assert run.sleeps == [MAX_RETRY_AFTER]


def test_rate_limit_beyond_deadline_fails_at_once() -> None:
    """A 429 asking for longer than the wait has left raises with retry_after."""
    clock = FakeClock()
    run = Run()
    limited = answer(429, headers={"Retry-After": "30"}, code="TOO_MANY_REQUESTS")
    with pytest.raises(RateLimitError) as caught:
        drive(wait(clock, timeout=10), clock, replay(limited), run)
    assert caught.value.retry_after == 30
    assert run.sleeps == []


def test_wait_reports_changes_only() -> None:
    """Identical polls are not reported again; the final status is."""
    clock = FakeClock()
    pages = [0, 0, 2, 2, 5, 10]
    replies = [
        answer(status="processing", total_pages=10, processed_pages=p) for p in pages
    ]
    replies.append(answer(status="completed", total_pages=10, processed_pages=10))
    run = drive(wait(clock), clock, replay(*replies))
    changed = [r for r in run.reports if r.changed]
    assert [r.status.progress for r in changed] == [0, 20, 50, 100, 100]
    assert run.reports[-1].status.is_completed


def test_wait_raises_job_failed_after_reporting_it() -> None:
    """A failed job is reported, then raised with its message."""
    clock = FakeClock()
    run = Run()
    failed = answer(status="failed", error_message="Failed to process page 5")
    with pytest.raises(JobFailedError) as caught:
        drive(wait(clock), clock, replay(answer(status="processing"), failed), run)
    assert caught.value.error_message == "Failed to process page 5"
    assert run.reports[-1].status.is_failed


def test_partially_done_ends_the_wait() -> None:
    """partially_done is final and flagged as partial."""
    clock = FakeClock()
    run = drive(
        wait(clock),
        clock,
        replay(answer(status="partially_done", total_pages=4, processed_pages=3)),
    )
    assert run.reports[-1].status.is_partial
    assert len(run.fetches) == 1


def test_unknown_status_polls_until_deadline() -> None:
    """An unknown state keeps the wait going; the last check is at the deadline."""
    clock = FakeClock()
    start = clock.now
    run = Run()
    with pytest.raises(JobTimeoutError) as caught:
        drive(wait(clock, timeout=20), clock, replay(answer(status="archiving")), run)
    assert caught.value.status is not None
    assert caught.value.status.status.value == "archiving"
    assert caught.value.waited == pytest.approx(20)
    assert run.fetch_times[-1] == pytest.approx(start + 20)
    assert max(run.fetch_times) <= start + 20 + 1e-9


def test_poll_interval_is_a_floor() -> None:
    """No two polls are closer than the caller's poll_interval."""
    clock = FakeClock()
    with pytest.raises(JobTimeoutError):
        drive(
            wait(clock, timeout=60, floor=4.0), clock, replay(answer(status="pending"))
        )
    # every sleep but the one clipped to the deadline respects the floor
    run = Run()
    clock = FakeClock()
    with pytest.raises(JobTimeoutError):
        drive(
            wait(clock, timeout=60, floor=4.0),
            clock,
            replay(answer(status="pending")),
            run,
        )
    assert min(run.sleeps[:-1]) >= 4.0


def test_retry_after_on_a_status_delays_the_next_poll() -> None:
    """A Retry-After sent with a status is honoured by the poll schedule."""
    clock = FakeClock()
    first = answer(status="processing", headers={"Retry-After": "7"})
    run = drive(wait(clock), clock, replay(first, answer(status="completed")))
    assert run.sleeps == [7.0]


def test_errors_past_the_deadline_end_as_job_timeout() -> None:
    """A request that fails after the deadline passed ends as JobTimeoutError."""
    clock = FakeClock()
    calls = iter(range(1000))

    def respond(_now: float) -> _engine.Reply:
        if next(calls) == 0:
            return answer(status="processing")
        clock.now += 3  # each failing request hangs for three seconds
        return httpx.ReadTimeout("slow", request=REQUEST)

    with pytest.raises(JobTimeoutError) as caught:
        drive(wait(clock, timeout=5, max_retries=100), clock, respond)
    assert isinstance(caught.value.__cause__, APITimeoutError)
    assert caught.value.status is not None
    assert caught.value.status.status.value == "processing"


def test_errors_within_the_deadline_propagate_typed() -> None:
    """Server errors that outlast the retries raise their own type."""
    clock = FakeClock()
    down = answer(500, headers={"Retry-After": "1"})
    with pytest.raises(InternalServerError):
        drive(
            wait(clock, timeout=60, max_retries=2),
            clock,
            replay(answer(status="processing"), down),
        )


def test_request_timeout_is_clipped_to_the_deadline() -> None:
    """Each request's timeout is at most what remains of the wait."""
    clock = FakeClock()
    run = Run()
    with pytest.raises(JobTimeoutError):
        drive(wait(clock, timeout=10), clock, replay(answer(status="pending")), run)
    remaining = [10 - (t - run.fetch_times[0]) for t in run.fetch_times]
    for fetch, left in zip(run.fetches, remaining, strict=True):
        assert fetch.timeout <= max(left, _engine.MIN_REQUEST_TIMEOUT) + 1e-9


def test_unlimited_wait_has_no_deadline() -> None:
    """timeout=inf keeps polling until the job ends."""
    clock = FakeClock()
    replies = [answer(status="processing")] * 50 + [answer(status="completed")]
    run = drive(wait(clock, timeout=math.inf), clock, replay(*replies))
    assert run.reports[-1].status.is_completed
