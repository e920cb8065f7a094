"""The shared throttle: pure, then inside the engine on a fake clock."""

from __future__ import annotations

import dataclasses
import random

import pytest

from leapocr import APIConnectionError, RateLimitError, _engine
from leapocr._retry import MAX_RETRY_AFTER
from leapocr._throttle import (
    FIRST_GAP,
    MAX_GAP,
    MIN_GAP,
    Throttle,
    rate_limit_pause,
)
from tests.engine_driver import FakeClock, answer, settings


def test_open_throttle_never_holds() -> None:
    """Before any 429, every claim may go at once."""
    throttle = Throttle()
    assert [throttle.claim(t) for t in (0.0, 0.0, 0.1)] == [0.0, 0.0, 0.0]
    assert throttle.gap == 0.0


def test_refusal_holds_everyone_then_spaces_them() -> None:
    """After a 429, claims wait for the pause, then go one gap apart."""
    throttle = Throttle()
    throttle.refused(10.0, 2.0, claimed=9.9)
    waits = [throttle.claim(10.5) for _ in range(3)]
    assert waits == pytest.approx([1.5, 1.5 + FIRST_GAP, 1.5 + 2 * FIRST_GAP])


def test_pause_only_grows() -> None:
    """A shorter pause asked later does not shorten the hold."""
    throttle = Throttle()
    throttle.refused(10.0, 5.0, claimed=9.9)
    throttle.refused(11.0, 0.5, claimed=9.9)
    assert throttle.claim(11.0) == pytest.approx(4.0)


def test_refusals_in_flight_widen_the_gap_once() -> None:
    """429s to requests let through before the first one do not widen it again."""
    throttle = Throttle()
    for now in (10.0, 10.01, 10.02):
        throttle.refused(now, 1.0, claimed=9.9)
    assert throttle.gap == FIRST_GAP


def test_refusal_under_the_gap_widens_it() -> None:
    """A 429 to a request let through after the last one doubles the gap."""
    throttle = Throttle()
    throttle.refused(10.0, 1.0, claimed=9.9)
    throttle.refused(12.0, 1.0, claimed=11.5)
    throttle.refused(14.0, 1.0, claimed=13.5)
    assert throttle.gap == pytest.approx(4 * FIRST_GAP)


def test_gap_is_capped() -> None:
    """However many 429s come, requests are never further apart than MAX_GAP."""
    throttle = Throttle()
    for step in range(20):
        throttle.refused(float(step), 0.0, claimed=float(step))
    assert throttle.gap == MAX_GAP


def test_answers_narrow_the_gap_until_it_is_gone() -> None:
    """Answers that are not 429 narrow the gap, and it ends at zero."""
    throttle = Throttle()
    throttle.refused(10.0, 0.0, claimed=10.0)
    throttle.answered()
    assert 0 < throttle.gap < FIRST_GAP
    for _ in range(200):
        throttle.answered()
    assert throttle.gap == 0.0
    assert throttle.claim(20.0) == 0.0


def test_gap_below_minimum_is_dropped() -> None:
    """A gap that would fall under MIN_GAP becomes zero at once."""
    throttle = Throttle()
    throttle.refused(0.0, 0.0, claimed=0.0)
    while throttle.gap >= MIN_GAP:
        throttle.answered()
    assert throttle.gap == 0.0


def test_pause_follows_retry_after_capped() -> None:
    """A 429's pause is its Retry-After, cut to MAX_RETRY_AFTER."""
    rng = random.Random(1)
    limited = RateLimitError("slow down", status_code=429, retry_after=3.0)
    assert rate_limit_pause(limited, 0, rng) == 3.0
    greedy = RateLimitError("slow down", status_code=429, retry_after=900.0)
    assert rate_limit_pause(greedy, 0, rng) == MAX_RETRY_AFTER


def test_pause_without_retry_after_is_a_backoff() -> None:
    """A 429 without Retry-After pauses for a backoff; other errors for nothing."""
    rng = random.Random(1)
    bare = RateLimitError("slow down", status_code=429)
    pause = rate_limit_pause(bare, 0, rng)
    assert pause is not None
    assert 0 < pause <= 0.5
    assert rate_limit_pause(APIConnectionError("reset"), 0, rng) is None


def shared(clock: FakeClock, throttle: Throttle, job_id: str) -> _engine.Settings:
    """Engine settings for one job, sharing ``throttle``."""
    return dataclasses.replace(settings(clock), job_id=job_id, throttle=throttle)


def test_a_429_to_one_call_holds_back_another() -> None:
    """When one call gets 429, the next call of the same client sleeps first."""
    clock = FakeClock()
    throttle = Throttle()
    first = _engine.fetch_once(shared(clock, throttle, "job_1"))
    second = _engine.fetch_once(shared(clock, throttle, "job_2"))
    assert isinstance(_engine.step(first, None), _engine.Fetch)
    limited = answer(429, headers={"Retry-After": "2"}, code="TOO_MANY_REQUESTS")
    retry_sleep = _engine.step(first, limited)
    assert retry_sleep == _engine.Sleep(2.0)

    held = _engine.step(second, None)
    assert isinstance(held, _engine.Sleep)
    assert held.seconds == pytest.approx(2.0)
    clock.now += held.seconds
    assert isinstance(_engine.step(second, None), _engine.Fetch)


def test_without_a_throttle_calls_are_independent() -> None:
    """Calls that share no throttle do not hold each other back."""
    clock = FakeClock()
    first = _engine.fetch_once(settings(clock))
    second = _engine.fetch_once(settings(clock))
    _engine.step(first, None)
    _engine.step(first, answer(429, headers={"Retry-After": "2"}))
    assert isinstance(_engine.step(second, None), _engine.Fetch)


def test_hold_never_passes_the_deadline() -> None:
    """A wait held by the throttle still makes its last check at its deadline."""
    clock = FakeClock()
    throttle = Throttle()
    throttle.refused(clock.now, 30.0, claimed=clock.now)
    machine = _engine.wait(
        shared(clock, throttle, "job_1"),
        timeout=5.0,
        poll_interval=0.5,
        raise_on_failure=True,
    )
    held = _engine.step(machine, None)
    assert held == _engine.Sleep(5.0)


def test_answers_narrow_the_shared_gap() -> None:
    """A successful answer inside the engine narrows the client's gap."""
    clock = FakeClock()
    throttle = Throttle()
    throttle.refused(clock.now - 1, 0.0, claimed=clock.now - 1)
    machine = _engine.fetch_once(shared(clock, throttle, "job_1"))
    _engine.step(machine, None)
    report = _engine.step(machine, answer(id="job_1", status="processing"))
    assert isinstance(report, _engine.Report)
    assert throttle.gap < FIRST_GAP


def test_errors_name_their_job() -> None:
    """An error raised by a call carries the job id it was about."""
    clock = FakeClock()
    machine = _engine.fetch_once(dataclasses.replace(settings(clock, max_retries=0)))
    _engine.step(machine, None)
    with pytest.raises(RateLimitError) as caught:
        _engine.step(machine, answer(429))
    assert caught.value.job_id == "job_1"
