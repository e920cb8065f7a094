"""The polling plan on its own: gaps, estimates, stalls and jitter."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable

import pytest

from leapocr import JobState, JobStatus
from leapocr._polling import (
    DEFAULT_POLL_INTERVAL,
    ELAPSED_FRACTION,
    ESTIMATE_REACH,
    JITTER,
    PERCENT_STEP,
    POLL_CAP,
    PollSchedule,
    progress_step,
)

Progress = Callable[[float], float]


def pages(total: int, duration: float) -> Progress:
    """A steady job of ``total`` pages over ``duration`` seconds, in percent."""
    return lambda t: 100.0 * min(total, math.floor(total * t / duration)) / total


def follow(
    job: Progress, *, until: float, seed: int = 0, step: float = PERCENT_STEP
) -> list[float]:
    """Poll ``job`` as the schedule says until ``until``; return the poll times."""
    schedule, rng, now, polls = PollSchedule(), random.Random(seed), 0.0, []
    while now < until:
        polls.append(now)
        schedule.observe(now, job(now), step)
        now += schedule.next_delay(now, rng)

    return polls


def delays(schedule: PollSchedule, elapsed: float, count: int = 200) -> list[float]:
    """The next delay as ``count`` differently seeded waiters would draw it."""
    return [schedule.next_delay(elapsed, random.Random(seed)) for seed in range(count)]


def stuck(at: float = 0.0, polls: int = 1, elapsed: float = 0.0) -> PollSchedule:
    """A schedule that saw the same progress at each of ``polls`` polls."""
    schedule = PollSchedule()
    for moment in range(polls):
        schedule.observe(elapsed + moment, at)

    return schedule


def test_first_gaps_are_the_floor() -> None:
    """Early in a wait, with nothing to go on, polls come at about the floor."""
    gaps = delays(stuck(), elapsed=0.0)
    assert min(gaps) >= DEFAULT_POLL_INTERVAL
    assert max(gaps) <= DEFAULT_POLL_INTERVAL * (1 + JITTER) / (1 - JITTER) + 1e-9


@pytest.mark.parametrize("elapsed", [20.0, 60.0, 150.0, 250.0])
def test_blind_gap_is_a_tenth_of_the_wait(elapsed: float) -> None:
    """Without progress, the gap is a tenth of the time waited, give or take."""
    gaps = delays(stuck(polls=3, elapsed=elapsed - 2), elapsed)
    blind = ELAPSED_FRACTION * elapsed
    assert min(gaps) >= blind * (1 - JITTER) - 1e-9
    assert max(gaps) <= blind * (1 + JITTER) + 1e-9
    assert statistics.fmean(gaps) == pytest.approx(blind, rel=0.03)


def test_gap_never_exceeds_the_cap() -> None:
    """However long the wait, no gap exceeds the cap, jitter included."""
    assert max(delays(stuck(polls=2, elapsed=10_000), 10_000)) <= POLL_CAP
    steady = PollSchedule()
    for t in (1000.0, 1100.0, 1200.0):
        steady.observe(t, t / 100)
    assert max(delays(steady, 1200.0)) <= POLL_CAP


def test_caller_floor_is_never_undercut() -> None:
    """A poll_interval floor holds even when the estimate says sooner."""
    schedule = PollSchedule(floor=4.0)
    for t in (0.0, 10.0, 20.0, 29.0):
        schedule.observe(t, min(99.0, 3.4 * t))
    assert schedule.expected_finish is not None
    assert schedule.expected_finish - 29.0 < 4.0
    assert min(delays(schedule, 29.0)) >= 4.0


def test_floor_above_the_cap_wins() -> None:
    """A floor longer than the cap is still honoured: the caller asked for it."""
    assert min(delays(PollSchedule(floor=45.0), 500.0)) >= 45.0


def test_jitter_spreads_waiters_started_together() -> None:
    """Waiters with the same history do not poll in lockstep."""
    gaps = delays(stuck(polls=3, elapsed=98), 100.0)
    assert len(set(gaps)) == len(gaps)
    assert max(gaps) - min(gaps) > ELAPSED_FRACTION * 100.0 * JITTER

    times = [follow(lambda _t: 0.0, until=300.0, seed=s)[-1] for s in range(20)]
    assert len({round(t, 3) for t in times}) == len(times)


def test_jitter_applies_at_the_cap() -> None:
    """At the cap the gaps still differ, instead of all being clipped to it."""
    gaps = delays(stuck(polls=2, elapsed=5000), 5000.0)
    assert sum(gap >= POLL_CAP for gap in gaps) < len(gaps) // 10
    assert max(gaps) <= POLL_CAP


def test_steady_progress_aims_at_the_finish() -> None:
    """Two rises at a steady pace put the next poll at the expected finish."""
    schedule = PollSchedule()
    for t in (0.0, 10.0, 20.0):
        schedule.observe(t, t / 2, step=1.0)  # 0.5% a second: ends at 200 s
    assert schedule.expected_finish == pytest.approx(199.0)
    gaps = delays(schedule, 20.0)
    blind = ELAPSED_FRACTION * 20.0
    assert min(gaps) > blind * 2
    assert max(gaps) <= ESTIMATE_REACH * blind * (1 + JITTER) + 1e-9


def test_estimate_lands_a_poll_near_the_end() -> None:
    """A steady job is seen ending soon after, with few polls."""
    job = pages(60, 300.0)
    polls = follow(job, until=1000.0, step=100 / 60)
    done = next(t for t in polls if job(t) >= 100.0)
    assert done - 300.0 < 0.05 * 300.0
    assert len([t for t in polls if t <= done]) < 300.0 / 2.0 / 4


def test_one_rise_only_brings_a_poll_forward() -> None:
    """A single rise is a hint: it may shorten the gap but never lengthen it."""
    schedule = stuck(polls=40, elapsed=0.0)
    schedule.observe(40.0, 1.0)  # 1% in the last second: a hint of 100 s
    blind = ELAPSED_FRACTION * 40.0
    assert max(delays(schedule, 40.0)) <= blind * (1 + JITTER) + 1e-9

    fast = stuck(polls=40, elapsed=0.0)
    fast.observe(40.0, 99.0)  # 99% in the last second: done any moment now
    assert max(delays(fast, 40.0)) < blind / 2


def test_no_reach_without_a_fresh_rise() -> None:
    """A poll that saw no rise puts the next no further than one blind gap."""
    schedule = PollSchedule()
    for t in (0.0, 10.0, 20.0):
        schedule.observe(t, t / 2, step=1.0)
    schedule.observe(21.0, 10.0, step=1.0)  # unchanged, not yet a stall
    assert schedule.expected_finish is not None
    blind = ELAPSED_FRACTION * 21.0
    assert max(delays(schedule, 21.0)) <= blind * (1 + JITTER) + 1e-9


def test_stall_falls_back_to_blind_gaps() -> None:
    """No rise for two pages' time ends the estimate; the blind gap returns."""
    schedule = PollSchedule()
    for t in (0.0, 10.0, 20.0):
        schedule.observe(t, t / 2, step=1.0)  # a page every 2 s
    schedule.observe(25.0, 10.0, step=1.0)
    assert schedule.expected_finish is None
    gaps = delays(schedule, 25.0)
    assert statistics.fmean(gaps) == pytest.approx(2.5, rel=0.03)


def test_after_a_stall_the_new_pace_is_followed() -> None:
    """A job that stalls, then moves fast, is estimated at its new pace."""
    schedule = PollSchedule()
    for t in (0.0, 10.0, 20.0):
        schedule.observe(t, t, step=1.0)  # 1% a second
    for t in (30.0, 40.0):
        schedule.observe(t, 20.0, step=1.0)  # stalled
    schedule.observe(42.0, 60.0, step=1.0)  # 40% in 2 s
    assert schedule.expected_finish == pytest.approx(42.0 + 39.5 / 20.0)


def test_overdue_finish_is_checked_half_a_page_later() -> None:
    """Past the expected finish, the next poll comes half a page's time on."""
    schedule = PollSchedule()
    for t, pct in ((0.0, 10.0), (10.0, 20.0), (80.0, 90.0)):
        schedule.observe(t, pct, step=10.0)  # a page of 10% every 10 s
    schedule.observe(96.0, 90.0, step=10.0)  # due at 85 s, not done yet
    gaps = delays(schedule, 96.0)
    assert statistics.fmean(gaps) == pytest.approx(5.0, rel=0.03)


def test_progress_going_back_starts_over() -> None:
    """Progress that goes back drops the estimate."""
    schedule = PollSchedule()
    for t in (0.0, 10.0, 20.0):
        schedule.observe(t, t)
    schedule.observe(30.0, 5.0)
    assert schedule.expected_finish is None


def test_progress_step_counts_pages_or_percents() -> None:
    """A page-count progress steps by a page; any other by one percent."""

    def status(progress: float, done: int | None, total: int | None) -> JobStatus:
        return JobStatus(
            job_id="job_1",
            status=JobState.PROCESSING,
            progress=progress,
            processed_pages=done,
            total_pages=total,
        )

    assert progress_step(status(40.0, 4, 10)) == pytest.approx(10.0)
    assert progress_step(status(100 * 2 / 3, 2, 3)) == pytest.approx(100 / 3)
    assert progress_step(status(45.0, 4, 10)) == PERCENT_STEP
    assert progress_step(status(0.0, None, None)) == PERCENT_STEP
    assert progress_step(status(0.0, 0, 0)) == PERCENT_STEP


def test_finest_step_seen_wins() -> None:
    """A progress that matches the page share once by chance keeps 1% steps."""
    schedule = PollSchedule()
    for t, step in ((0.0, 1.0), (10.0, 10.0), (20.0, 1.0)):
        schedule.observe(t, t * 2, step=step)
    schedule.observe(21.5, 40.0, step=10.0)  # 1.5 s still: 3 steps of 1%
    assert schedule.expected_finish is None
