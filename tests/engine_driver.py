"""A fake clock and a driver that runs the engine without I/O."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx

from leapocr import _engine

REQUEST = httpx.Request("GET", "http://127.0.0.1/api/v1/ocr/status/job_1")


class FakeClock:
    """A clock that moves only when the engine sleeps."""

    def __init__(self) -> None:
        """Start at an arbitrary moment."""
        self.now = 100.0

    def monotonic(self) -> float:
        """Seconds on the fake clock."""
        return self.now

    def wall(self) -> float:
        """A wall time that moves with the fake clock."""
        return 1_800_000_000.0 + self.now


def answer(
    http_status: int = 200, /, *, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    """A canned answer with a JSON body."""
    return httpx.Response(http_status, json=body, headers=headers, request=REQUEST)


def settings(
    clock: FakeClock, *, max_retries: int = 3, timeout: float = 30.0
) -> _engine.Settings:
    """Engine settings on the fake clock with seeded jitter."""
    return _engine.Settings(
        job_id="job_1",
        request_timeout=timeout,
        max_retries=max_retries,
        clock=clock,
        rng=random.Random(7),
    )


class Run:
    """What one drive of a machine did."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        self.actions: list[_engine.Action] = []
        self.reports: list[_engine.Report] = []
        self.fetch_times: list[float] = []

    @property
    def sleeps(self) -> list[float]:
        """The sleeps, in order."""
        return [a.seconds for a in self.actions if isinstance(a, _engine.Sleep)]

    @property
    def fetches(self) -> list[_engine.Fetch]:
        """The requests, in order."""
        return [a for a in self.actions if isinstance(a, _engine.Fetch)]


def drive(
    machine: _engine.Machine,
    clock: FakeClock,
    respond: Callable[[float], _engine.Reply],
    run: Run | None = None,
) -> Run:
    """Answer each Fetch with ``respond(now)`` and move the clock on each Sleep."""
    run = run or Run()
    reply: _engine.Reply = None
    while (action := _engine.step(machine, reply)) is not None:
        run.actions.append(action)
        reply = None
        if isinstance(action, _engine.Fetch):
            run.fetch_times.append(clock.now)
            reply = respond(clock.now)
        elif isinstance(action, _engine.Sleep):
            clock.now += action.seconds
        else:
            run.reports.append(action)

    return run
