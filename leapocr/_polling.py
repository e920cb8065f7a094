"""When to ask again while waiting for a job.

Pure: the caller passes the time already waited and what it saw. Two rules,
clipped to a floor and a cap:

* a blind interval that grows with the time already waited (a tenth of it), so
  a short job is seen finishing quickly and a long one is not asked about
  every two seconds;
* while progress moves, the moment the job should finish at the latest rate
  seen, so a steady job is caught close to its end with few requests. That
  moment is trusted only up to a few blind intervals ahead, which bounds how
  late a job that speeds up is seen.

Every delay is jittered so that many waiters drift apart instead of polling in
lockstep, and never goes below the caller's ``poll_interval``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "ELAPSED_FRACTION",
    "POLL_CAP",
    "PollSchedule",
]

#: The shortest gap between two polls, unless the caller sets ``poll_interval``.
DEFAULT_POLL_INTERVAL = 0.5
#: The longest gap between two polls, in seconds.
POLL_CAP = 30.0
#: The blind gap, as a share of the time already waited.
ELAPSED_FRACTION = 0.1
#: Each delay is scaled by a random factor within this share either way.
JITTER = 0.1
#: Polls aimed at an estimated finish land this share of the wait after it.
ESTIMATE_MARGIN = 0.01
#: How many blind intervals ahead an estimated finish is trusted.
ESTIMATE_REACH = 3.0


@dataclass
class PollSchedule:
    """The polling plan for one wait.

    Attributes:
        floor: The shortest gap between two polls, in seconds.
        cap: The longest gap between two polls, in seconds.
    """

    floor: float = DEFAULT_POLL_INTERVAL
    cap: float = POLL_CAP
    _change: tuple[float, float] | None = field(default=None, init=False)
    _rate: float | None = field(default=None, init=False)

    def observe(self, elapsed: float, progress: float) -> None:
        """Record the progress seen ``elapsed`` seconds into the wait."""
        if self._change is None:
            self._change = (elapsed, progress)
            return

        since, before = self._change
        if progress > before and elapsed > since:
            # The rate between the last two changes follows a job that stalls
            # and then speeds up better than the average since the start.
            self._rate = (progress - before) / (elapsed - since)
            self._change = (elapsed, progress)
        elif progress < before:
            self._change, self._rate = (elapsed, progress), None

    def next_delay(self, elapsed: float, rng: random.Random) -> float:
        """Seconds to wait before the next poll.

        Args:
            elapsed: Seconds waited so far.
            rng: The source of jitter.
        """
        delay = max(ELAPSED_FRACTION * elapsed, self.floor)
        finish = self._until_finish(elapsed)
        if finish is not None:
            delay = min(finish, ESTIMATE_REACH * delay)
        delay *= 1 + rng.uniform(-JITTER, JITTER)

        return min(self.cap, max(self.floor, delay))

    def _until_finish(self, elapsed: float) -> float | None:
        if self._change is None or not self._rate:
            return None

        since, progress = self._change
        left = (100.0 - progress) / self._rate - (elapsed - since)

        return left + ESTIMATE_MARGIN * elapsed if left > 0 else None
