"""Simulated jobs on a fake clock, and the ways of waiting for them.

A `SimJob` answers status requests as the live service does (pages done out
of the total, no ``progress`` field), its pages advancing along a curve over
its duration. Three waiters follow it: ours, which is the real engine
(`leapocr._engine.wait`) driven without I/O, and the official SDKs' two
policies (WIRE.md). Every request takes a random round trip, drawn alike for
every waiter under the same seed; the job is read half-way through it.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import random
from collections.abc import Callable

import attrs
import httpx

from leapocr import JobTimeoutError, _engine
from leapocr._polling import DEFAULT_POLL_INTERVAL

__all__ = [
    "LATENCY",
    "SHAPES",
    "Outcome",
    "SimJob",
    "Waiter",
    "fixed_two",
    "go_backoff",
    "ours",
]

_REQUEST = httpx.Request("GET", "http://127.0.0.1/api/v1/ocr/status/job_sim")
#: The fastest and slowest round trip of one status request, in seconds.
LATENCY = (0.05, 0.25)

#: Progress curves, as (share of the duration, share of the pages) knots.
SHAPES: dict[str, tuple[tuple[float, float], ...]] = {
    "steady": ((0.0, 0.0), (1.0, 1.0)),
    # 40% in the first 30% of the time, stuck until 85%, then the rest at four
    # times the average pace.
    "stall": ((0.0, 0.0), (0.3, 0.4), (0.85, 0.4), (1.0, 1.0)),
    # Steady to 90% over the duration, then stuck for ever.
    "never": ((0.0, 0.0), (1.0, 0.9)),
}


@attrs.frozen
class SimJob:
    """A job whose pages follow a curve over ``duration`` seconds.

    Attributes:
        duration: Seconds from the start of the wait to the job's end.
        pages: The job's pages.
        shape: A key of `SHAPES`.
    """

    duration: float
    pages: int
    shape: str

    @property
    def ends(self) -> bool:
        """Whether the job ever reaches a terminal state."""
        return self.shape != "never"

    def finished(self, now: float) -> bool:
        """Whether the job has ended ``now`` seconds into the wait."""
        return self.ends and now >= self.duration

    def done_pages(self, now: float) -> int:
        """Pages finished ``now`` seconds into the wait."""
        share = _along(SHAPES[self.shape], now / self.duration)

        return min(self.pages, math.floor(share * self.pages + 1e-9))

    def answer(self, now: float) -> httpx.Response:
        """The service's answer ``now`` seconds into the wait."""
        finished = self.finished(now)
        body = {
            "id": "job_sim",
            "status": "completed" if finished else "processing",
            "total_pages": self.pages,
            "processed_pages": self.pages if finished else self.done_pages(now),
        }

        return httpx.Response(200, json=body, request=_REQUEST)


def _along(knots: tuple[tuple[float, float], ...], x: float) -> float:
    for (x0, y0), (x1, y1) in itertools.pairwise(knots):
        if x <= x1:
            return y0 + (y1 - y0) * (max(x, x0) - x0) / (x1 - x0)

    return knots[-1][1]


@attrs.frozen
class Outcome:
    """How one wait went.

    Attributes:
        requests: Status requests made.
        ended: Seconds into the wait when it returned or gave up.
    """

    requests: int
    ended: float


#: A way of waiting: (job, seed, timeout) to what came of it.
Waiter = Callable[[SimJob, int, float], Outcome]


class _Clock:
    """The engine's clock, moved by the simulation only."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_800_000_000.0 + self.now


class _Wire:
    """Status requests with a random round trip; the job is read mid-way."""

    def __init__(self, job: SimJob, seed: int) -> None:
        self.job = job
        self.requests = 0
        self._rng = random.Random(seed)

    def ask(self, now: float) -> tuple[httpx.Response, float]:
        """The answer to a request sent at ``now``, and when it arrives."""
        trip = self._trip()

        return self.job.answer(now + trip / 2), now + trip

    def done(self, now: float) -> tuple[bool, float]:
        """Whether a request sent at ``now`` finds the job ended, and when.

        The official SDKs' loops need no more; building a response for each of
        their many polls would only slow the benchmark down.
        """
        trip = self._trip()

        return self.job.finished(now + trip / 2), now + trip

    def _trip(self) -> float:
        self.requests += 1

        return self._rng.uniform(*LATENCY)


def ours(job: SimJob, seed: int, timeout: float) -> Outcome:
    """Wait with this SDK's engine, as both clients run it, on the fake clock."""
    clock, wire = _Clock(), _Wire(job, seed)
    settings = _engine.Settings(
        job_id="job_sim",
        request_timeout=30.0,
        max_retries=3,
        clock=clock,
        rng=random.Random(seed),
    )
    machine = _engine.wait(
        settings,
        timeout=timeout,
        poll_interval=DEFAULT_POLL_INTERVAL,
        raise_on_failure=True,
    )
    with contextlib.suppress(JobTimeoutError):
        _drive(machine, clock, wire)

    return Outcome(wire.requests, clock.now)


def _drive(machine: _engine.Machine, clock: _Clock, wire: _Wire) -> None:
    reply: _engine.Reply = None
    while (action := _engine.step(machine, reply)) is not None:
        reply = None
        if isinstance(action, _engine.Fetch):
            reply, clock.now = wire.ask(clock.now)
        elif isinstance(action, _engine.Sleep):
            clock.now += action.seconds


def fixed_two(job: SimJob, seed: int, timeout: float) -> Outcome:
    """The official Python and JS SDKs: every 2 s, the limit checked first."""
    wire, now = _Wire(job, seed), 0.0
    while now < timeout:
        finished, now = wire.done(now)
        if finished:
            break
        now += 2.0

    return Outcome(wire.requests, now)


def go_backoff(job: SimJob, seed: int, timeout: float) -> Outcome:
    """The official Go SDK: 1 s growing 1.5 times a poll to 30 s, plus 0-1 s.

    Its context deadline interrupts a sleep, so it gives up right at the limit.
    """
    wire, now, delay = _Wire(job, seed), 0.0, 1.0
    jitter = random.Random(seed + 1)
    while True:
        finished, now = wire.done(now)
        if finished:
            return Outcome(wire.requests, now)
        now += delay + jitter.uniform(0.0, 1.0)
        if now >= timeout:
            return Outcome(wire.requests, timeout)
        delay = min(delay * 1.5, 30.0)
