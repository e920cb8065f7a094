"""The request and wait loops, written once for both clients.

Each loop is a generator that does no I/O of its own: it yields what it needs
done (`Fetch` a status, `Sleep`, `Report` a status to the caller) and is sent
back what came of it. The synchronous and asynchronous clients are thin shells
that perform those steps with blocking or awaitable I/O, so every decision
(retries, backoff, deadlines, when to poll, when a wait is over) lives here
once and is tested with a fake clock.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import random
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Protocol

import httpx

from leapocr import _response
from leapocr._exceptions import JobFailedError, JobTimeoutError, LeapOCRError
from leapocr._models import JobStatus
from leapocr._polling import PollSchedule, progress_step
from leapocr._response import read_status, transport_error, without_request
from leapocr._retry import MAX_RETRY_AFTER, retry_delay
from leapocr._throttle import Throttle, rate_limit_pause

__all__ = [
    "MIN_REQUEST_TIMEOUT",
    "SYSTEM_CLOCK",
    "Clock",
    "Fetch",
    "Machine",
    "Reply",
    "Report",
    "Settings",
    "Sleep",
    "fetch_once",
    "step",
    "wait",
]

logger = logging.getLogger("leapocr")

#: The least time a request is given, even at the very end of a wait, so that
#: the last check at the deadline has a real chance to be answered.
MIN_REQUEST_TIMEOUT = 1.0


@dataclass(frozen=True)
class Fetch:
    """Ask the service for the job's status, within ``timeout`` seconds."""

    timeout: float


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before the next step."""

    seconds: float


@dataclass(frozen=True)
class Report:
    """Hand a status to the caller; ``changed`` is False for a repeat."""

    status: JobStatus
    changed: bool = True


Action = Fetch | Sleep | Report
#: What a shell sends back: the answer to a `Fetch`, its failure, or nothing.
Reply = httpx.Response | httpx.HTTPError | None
Machine = Generator[Action, Reply, None]


class Clock(Protocol):
    """Where the engine reads the time; tests pass a fake one."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""

    def wall(self) -> float:
        """Seconds since the epoch, to read HTTP dates against."""


class _SystemClock:
    # The clock functions themselves rather than methods that call them: the
    # clock is read several times per request.
    monotonic = staticmethod(time.monotonic)
    wall = staticmethod(time.time)


SYSTEM_CLOCK: Clock = _SystemClock()
# Jitter needs no secrecy; one generator saves seeding a new one per call.
_SHARED_RNG = random.Random()  # noqa: S311


@dataclass(frozen=True)
class Settings:
    """What one call runs with.

    Attributes:
        job_id: The job asked about.
        request_timeout: Seconds one request may take.
        max_retries: Retries of one failed request.
        clock: The time source.
        rng: The source of jitter.
        throttle: The pace shared by every call of the client, if any.
    """

    job_id: str
    request_timeout: float
    max_retries: int
    clock: Clock = SYSTEM_CLOCK
    rng: random.Random = _SHARED_RNG
    throttle: Throttle | None = None


def step(machine: Machine, reply: Reply) -> Action | None:
    """Advance ``machine`` with ``reply``; None once it has finished."""
    try:
        return machine.send(reply)
    except StopIteration:
        return None


def fetch_once(settings: Settings) -> Machine:
    """Get the job's status once, retrying failed attempts; report it."""
    status, _ = yield from _fetch(settings, deadline=math.inf)
    yield Report(status)


def wait(
    settings: Settings, *, timeout: float, poll_interval: float, raise_on_failure: bool
) -> Machine:
    """Poll until the job ends; report each change, then the final status.

    Progress, as reported, never goes below what was already reported.

    Args:
        settings: What the call runs with.
        timeout: Seconds the whole wait may take (``math.inf`` for no limit).
        poll_interval: The shortest gap between two polls, in seconds.
        raise_on_failure: Raise `JobFailedError` after reporting a failed end.

    Raises:
        JobFailedError: The job failed and ``raise_on_failure`` is set.
        JobTimeoutError: ``timeout`` passed first; carries the last status.
        LeapOCRError: A request failed for good before the deadline.
    """
    clock = settings.clock
    start = clock.monotonic()
    deadline = start + timeout
    schedule = PollSchedule(floor=poll_interval)
    last: JobStatus | None = None
    while True:
        try:
            status, asked = yield from _fetch(settings, deadline)
        except LeapOCRError as error:
            waited = clock.monotonic() - start
            if waited >= timeout:
                raise JobTimeoutError(settings.job_id, last, waited) from error
            raise

        status = _held(status, last)
        changed = last is None or _progress_key(status) != _progress_key(last)
        last = status
        if status.is_terminal:
            yield Report(status, changed)
            if raise_on_failure and status.is_failed:
                raise JobFailedError(status)
            return

        if changed:
            yield Report(status)
        elapsed = clock.monotonic() - start
        if elapsed >= timeout:
            raise JobTimeoutError(settings.job_id, last, elapsed)

        schedule.observe(elapsed, status.progress, progress_step(status))
        delay = schedule.next_delay(elapsed, settings.rng)
        if asked is not None:
            delay = max(delay, min(asked, MAX_RETRY_AFTER))
        # Never sleep past the deadline: the last check happens right at it.
        yield Sleep(min(delay, timeout - elapsed))


def _fetch(
    settings: Settings, deadline: float
) -> Generator[Action, Reply, tuple[JobStatus, float | None]]:
    """Get one status, retrying; return it with any ``Retry-After`` it carried."""
    clock = settings.clock
    attempt = 0
    while True:
        claimed = clock.monotonic()
        yield from _hold(settings, deadline)
        remaining = deadline - clock.monotonic()
        timeout = min(settings.request_timeout, max(remaining, MIN_REQUEST_TIMEOUT))
        began = clock.monotonic()
        reply = yield Fetch(timeout)
        _log_answer(settings, attempt, reply, clock.monotonic() - began)
        try:
            status = _read(reply, settings)
        except LeapOCRError as error:
            error.job_id = settings.job_id
            _slow_down(settings, error, attempt, claimed)
            delay = retry_delay(
                error,
                attempt=attempt,
                max_retries=settings.max_retries,
                remaining=deadline - clock.monotonic(),
                rng=settings.rng,
            )
            if delay is None:
                raise

            _log_retry(settings, attempt, error, delay)
            attempt += 1
            yield Sleep(delay)
            continue

        if settings.throttle is not None:
            settings.throttle.answered()
        assert isinstance(reply, httpx.Response)  # noqa: S101 -- _read checked it
        return status, _response.retry_after(reply, clock.wall())


def _hold(settings: Settings, deadline: float) -> Generator[Action, Reply, None]:
    """Sleep until the client's throttle lets a request go, never past the deadline."""
    if settings.throttle is None:
        return

    now = settings.clock.monotonic()
    pause = min(settings.throttle.claim(now), max(0.0, deadline - now))
    if pause > 0:
        logger.debug(
            "job=%s held %.2fs: the service is rate limiting", settings.job_id, pause
        )
        yield Sleep(pause)


def _slow_down(
    settings: Settings, error: LeapOCRError, attempt: int, claimed: float
) -> None:
    pause = rate_limit_pause(error, attempt, settings.rng)
    if pause is None or settings.throttle is None:
        return

    logger.info(
        "job=%s rate limited: holding this client's requests for %.2fs",
        settings.job_id,
        pause,
    )
    settings.throttle.refused(settings.clock.monotonic(), pause, claimed=claimed)


def _read(reply: Reply, settings: Settings) -> JobStatus:
    if isinstance(reply, httpx.Response):
        return read_status(reply, settings.job_id, settings.clock.wall())
    if isinstance(reply, httpx.HTTPError):
        raise transport_error(reply) from without_request(reply)

    raise TypeError(f"a Fetch must be answered with a response, not {reply!r}")


def _held(status: JobStatus, last: JobStatus | None) -> JobStatus:
    """``status``, its progress never below what the wait already reported.

    Replicas behind a load balancer can lag one another, and a progress bar that
    jumps back helps nobody; the service's own figures stay in ``raw``.
    """
    if last is None or status.progress >= last.progress:
        return status

    return dataclasses.replace(status, progress=last.progress)


def _progress_key(status: JobStatus) -> tuple[object, ...]:
    return (status.status, status.progress, status.processed_pages, status.total_pages)


def _log_answer(settings: Settings, attempt: int, reply: Reply, took: float) -> None:
    if not logger.isEnabledFor(logging.DEBUG) or reply is None:
        return

    # Method and path only: the query, the headers (the key) and bodies stay out.
    method, path = _request_line(reply)
    if isinstance(reply, httpx.Response):
        outcome = str(reply.status_code)
        request_id = _response.request_id(reply) or "-"
    else:
        outcome, request_id = type(reply).__name__, "-"

    logger.debug(
        "%s %s -> %s job=%s attempt=%d in %.3fs request_id=%s",
        method,
        path,
        outcome,
        settings.job_id,
        attempt + 1,
        took,
        request_id,
    )


def _request_line(reply: httpx.Response | httpx.HTTPError) -> tuple[str, str]:
    try:
        request = reply.request
    except RuntimeError:  # a reply built by hand, with no request attached
        return "GET", "-"

    return request.method, request.url.path


def _log_retry(
    settings: Settings, attempt: int, error: LeapOCRError, delay: float
) -> None:
    logger.warning(
        "GET status job=%s attempt=%d failed (%s); retrying in %.2fs",
        settings.job_id,
        attempt + 1,
        type(error).__name__,
        delay,
    )
