"""When to ask again while waiting for a job.

Pure: the caller passes the time already waited and what it saw; nothing here
reads a clock or sleeps. Four rules make the plan.

1. **Blind gap.** With nothing better to go on, the next poll comes a tenth of
   the time already waited later, never sooner than the floor (0.5 s, or the
   caller's ``poll_interval``) and never later than the cap (30 s): a short
   job is seen finishing soon, a long one is not asked about every second.
2. **Aim at the finish.** Progress is followed in *runs*, stretches over which
   it keeps rising. Once a run has risen twice, its pace (from its first rise
   to its latest, which cancels out the rounding to whole pages) says when the
   job should end, counting it half a page further on than reported. The next
   poll is aimed at that moment, up to four blind gaps ahead, but only right
   after a poll that saw progress rise; otherwise no further than one blind
   gap. A run that has risen once only gives a hint, which may bring a poll
   forward but never put it off.
3. **Overdue.** When the aimed-at moment has passed and the job still runs, it
   is most likely a little slower than estimated: the next poll comes half a
   page's time later.
4. **Stall.** When progress has not risen for as long as two pages take (at
   the run's pace or its latest, whichever is slower), or goes back, the run
   is over: blind gaps again until progress moves, and a new run starts from
   the last poll before it did. A job that stalls and then finishes fast is so
   followed at its new pace.

"Pages" are the job's when its progress is the share of pages done, as the
live service reports it; a progress given as a fraction (as documented) is
taken to move by whole percents.

Every delay is jittered by up to 10% either way so that waiters started
together drift apart instead of polling in lockstep; the jitter is centred
inside the floor and the cap so that it never crosses either. `make bench`
(benchmarks/polling.py) measures the plan against the official SDKs'.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from leapocr._models import JobStatus

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "ELAPSED_FRACTION",
    "ESTIMATE_REACH",
    "JITTER",
    "OVERDUE_STEPS",
    "PERCENT_STEP",
    "POLL_CAP",
    "STALL_STEPS",
    "PollSchedule",
    "progress_step",
]

#: The shortest gap between two polls, unless the caller sets ``poll_interval``.
DEFAULT_POLL_INTERVAL = 0.5
#: The longest gap between two polls, in seconds.
POLL_CAP = 30.0
#: The blind gap, as a share of the time already waited.
ELAPSED_FRACTION = 0.1
#: Each delay is scaled by a random factor within this share either way.
JITTER = 0.1
#: How many blind gaps ahead an estimated finish is trusted.
ESTIMATE_REACH = 4.0
#: Steps' worth of time without a rise after which a run counts as stalled.
STALL_STEPS = 2.0
#: Share of a step's time to wait once the estimated finish has passed.
OVERDUE_STEPS = 0.5
#: The step of a progress that does not count pages: the documented fraction
#: has two decimals, so it moves by whole percents.
PERCENT_STEP = 1.0

Point = tuple[float, float]


def progress_step(status: JobStatus) -> float:
    """What one step of ``status.progress`` is worth, in percent.

    Returns:
        ``100 / total_pages`` when the progress is the share of pages done,
        else one percent.
    """
    total, done = status.total_pages, status.processed_pages
    if not total or total < 0 or done is None:
        return PERCENT_STEP

    step = 100.0 / total
    if abs(status.progress - done * step) > 1e-6:
        return PERCENT_STEP

    return step


@dataclass
class PollSchedule:
    """The polling plan for one wait.

    Attributes:
        floor: The shortest gap between two polls, in seconds.
        cap: The longest gap between two polls, in seconds.
    """

    floor: float = DEFAULT_POLL_INTERVAL
    cap: float = POLL_CAP
    # The current run: the poll it starts from, its first rise, the rise before
    # its latest, and its latest; then the finest step seen, and whether the
    # latest poll saw a rise.
    _start: Point | None = field(default=None, init=False)
    _first: Point | None = field(default=None, init=False)
    _prior: Point | None = field(default=None, init=False)
    _last: Point | None = field(default=None, init=False)
    _step: float = field(default=math.inf, init=False)
    _rose: bool = field(default=False, init=False)

    def observe(
        self, elapsed: float, progress: float, step: float = PERCENT_STEP
    ) -> None:
        """Record the progress seen ``elapsed`` seconds into the wait.

        Args:
            elapsed: Seconds waited so far.
            progress: The job's progress, 0 to 100.
            step: What one step of ``progress`` is worth (see `progress_step`).
        """
        # The finest step seen wins: a fractional progress can match the page
        # count's share now and then by chance.
        self._step = min(self._step, step)
        level = self._level()
        self._rose = level is not None and progress > level
        if self._rose:
            self._first = self._first or (elapsed, progress)
            self._prior, self._last = self._last, (elapsed, progress)
        elif level is None or progress < level or self._ended(elapsed):
            self._start, self._first, self._last = (elapsed, progress), None, None
            self._prior = None

    def next_delay(self, elapsed: float, rng: random.Random) -> float:
        """Seconds to wait before the next poll.

        Args:
            elapsed: Seconds waited so far.
            rng: The source of jitter.
        """
        blind = min(self.cap, max(ELAPSED_FRACTION * elapsed, self.floor))
        delay = min(self._aimed(elapsed, blind), self._reach() * blind)
        # Centre the jitter inside [floor, cap], so that it applies even at
        # either bound instead of being clipped back onto it.
        delay = min(self.cap / (1 + JITTER), max(self.floor / (1 - JITTER), delay))
        delay *= 1 + rng.uniform(-JITTER, JITTER)

        return max(self.floor, min(self.cap, delay))

    @property
    def expected_finish(self) -> float | None:
        """Seconds into the wait at which the job should end, if known yet."""
        rate = self._steady_rate() or self._hinted_rate()

        return None if rate is None else self._finish(rate)

    def _level(self) -> float | None:
        point = self._last or self._start

        return None if point is None else point[1]

    def _ended(self, elapsed: float) -> bool:
        """Whether the current run is over: it has not risen for too long."""
        if self._last is None:
            # Nothing has risen yet: the run starts at the latest poll.
            return True

        rate = self._slowest_rate()
        if rate is None:
            return False

        return (elapsed - self._last[0]) * rate >= STALL_STEPS * self._step

    def _slowest_rate(self) -> float | None:
        """The run's pace, or its latest if slower: a job may be slowing down."""
        steady = self._steady_rate()
        if steady is None or self._prior is None or self._last is None:
            return steady

        latest = _slope(self._prior, self._last)

        return steady if latest is None else min(steady, latest)

    def _reach(self) -> float:
        """How many blind gaps ahead an estimate may put the next poll."""
        if self._rose and self._steady_rate() is not None:
            return ESTIMATE_REACH

        return 1.0

    def _aimed(self, elapsed: float, blind: float) -> float:
        """Seconds until the expected finish, or ``blind`` without one."""
        finish = self.expected_finish
        if finish is None:
            return blind
        if finish > elapsed:
            return finish - elapsed

        rate = self._steady_rate()
        if rate is None:
            return blind

        return min(blind, OVERDUE_STEPS * self._step / rate)

    def _steady_rate(self) -> float | None:
        """Progress per second from the run's first rise to its latest."""
        if self._first is None or self._last is None or self._first == self._last:
            return None

        return _slope(self._first, self._last)

    def _hinted_rate(self) -> float | None:
        """Progress per second from the run's start to its only rise."""
        if self._start is None or self._last is None:
            return None

        return _slope(self._start, self._last)

    def _finish(self, rate: float) -> float:
        assert self._last is not None  # noqa: S101 -- a rate needs a rise
        since, progress = self._last
        # Whole pages are reported once done: the job is half a page further.
        left = max(0.0, 100.0 - progress - self._step / 2)

        return since + left / rate


def _slope(before: Point, after: Point) -> float | None:
    (t0, p0), (t1, p1) = before, after
    if t1 <= t0 or p1 <= p0:
        return None

    return (p1 - p0) / (t1 - t0)
