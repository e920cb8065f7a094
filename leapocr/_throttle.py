"""The pace of one client's requests, shared by all of its calls.

When the service answers 429 to one request, every call of the same client
holds back, not only the one that was refused: a thousand waiters on one
client would otherwise each learn about the rate limit on their own, with a
request of their own. After the pause the service asked for, requests are
released one at a time with a gap between them rather than all at once, and
that gap widens with each new 429 and narrows again as answers come back.

Pure and thread-safe: no I/O, no clock of its own (callers pass the monotonic
time), so the engine applies it for the synchronous and the asynchronous
client alike.
"""

from __future__ import annotations

import math
import random
import threading

from leapocr._exceptions import APIError, LeapOCRError
from leapocr._retry import MAX_RETRY_AFTER, backoff

__all__ = [
    "FIRST_GAP",
    "GAP_NARROWING",
    "MAX_GAP",
    "MIN_GAP",
    "Throttle",
    "rate_limit_pause",
]

#: The gap between two requests after the first 429, in seconds.
FIRST_GAP = 0.05
#: The widest gap between two requests, in seconds.
MAX_GAP = 2.0
#: Each answer that is not a 429 scales the gap by this factor.
GAP_NARROWING = 0.95
#: A gap narrower than this is dropped: the client runs at full speed again.
MIN_GAP = 0.01


class Throttle:
    """When the next request of a client may go.

    Example::

        wait = throttle.claim(now)      # sleep this long, then send
        throttle.refused(later, 1.0, claimed=now)   # the answer was a 429
        throttle.answered()             # the answer was anything else
    """

    def __init__(self) -> None:
        """Start open: no request is held back until the service says so."""
        self._lock = threading.Lock()
        self._next = -math.inf
        self._gap = 0.0
        self._refused_at = -math.inf

    def __repr__(self) -> str:
        """Show the current gap between requests."""
        return f"Throttle(gap={self._gap:.3f})"

    @property
    def gap(self) -> float:
        """Seconds kept between two requests; 0 when the client runs freely."""
        return self._gap

    def claim(self, now: float) -> float:
        """Reserve the next moment a request may be sent.

        Args:
            now: The monotonic time.

        Returns:
            Seconds to wait before sending; 0 to send at once.
        """
        # The common case, an open throttle, is read without the lock: a 429
        # landing at this instant lets one more request through at worst.
        if self._gap == 0.0 and now >= self._next:
            return 0.0

        with self._lock:
            if self._gap == 0.0 and now >= self._next:
                return 0.0

            slot = max(now, self._next)
            self._next = slot + self._gap

            return slot - now

    def refused(self, now: float, pause: float, *, claimed: float) -> None:
        """Hold every request back after a 429.

        Args:
            now: The monotonic time the 429 arrived.
            pause: Seconds no request may be sent.
            claimed: The monotonic time the refused request claimed its slot.
        """
        with self._lock:
            self._next = max(self._next, now + pause)
            # Requests let through before the last 429 came back say nothing
            # new about the pace: only the refusal of a request let through
            # under the current gap widens it.
            if claimed >= self._refused_at:
                self._gap = min(MAX_GAP, max(FIRST_GAP, self._gap * 2))
                self._refused_at = now

    def answered(self) -> None:
        """Narrow the gap after an answer that was not a 429."""
        if self._gap == 0.0:
            return

        with self._lock:
            narrower = self._gap * GAP_NARROWING
            self._gap = narrower if narrower >= MIN_GAP else 0.0


def rate_limit_pause(
    error: LeapOCRError, attempt: int, rng: random.Random
) -> float | None:
    """How long a 429 holds the whole client back; None for any other error.

    Args:
        error: What a request ended with.
        attempt: How many retries of that request were made already.
        rng: The source of jitter, when the service named no pause.
    """
    if not isinstance(error, APIError) or error.status_code != 429:
        return None

    if error.retry_after is None:
        return backoff(attempt, rng)

    return min(error.retry_after, MAX_RETRY_AFTER)
