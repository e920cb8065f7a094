"""Whether a failed request is worth repeating, and after how long.

Pure decisions: no I/O, no clock, no randomness of their own (a
`random.Random` is passed in). The engine in `leapocr._engine` applies them to
every request, inside waits too.

Why not stamina or httpx-retries (read at stamina 26.1 and httpx-retries
0.6): both own the loop and sleep themselves, stamina around a call and
httpx-retries inside the transport. Here one engine without I/O decides and
two shells sleep, so either library would put a retry loop into both shells,
or hide retries below the engine where a wait's deadline cannot see them.
Beyond that:

* httpx-retries sleeps with `asyncio.sleep`, so it does not run under trio;
  reads ``Retry-After`` as whole seconds or a date only (``1.5`` is ignored
  with a warning); and its ``total_timeout`` shortens the last sleep to fit
  rather than failing at once when the server asks for more than is left.
* stamina runs under asyncio and trio, and its backoff hook can return the
  server's ``Retry-After``; but its ``timeout`` is checked after each failed
  attempt, not against the next sleep, so the hook would still have to
  compare the delay with the time left and decide to fail: the rules of this
  module, written as a hook. It would also add tenacity at run time, and its
  sleeps could not follow the fake clock the engine is tested on.

What remains is a few pure functions, below.
"""

from __future__ import annotations

import math
import random
from email.utils import parsedate_to_datetime

from leapocr._exceptions import APIConnectionError, APIError, LeapOCRError

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "MAX_RETRY_AFTER",
    "RETRYABLE_STATUSES",
    "backoff",
    "is_retryable",
    "parse_retry_after",
    "retry_delay",
]

#: Statuses that say "try again": timeout, rate limit, server and gateway errors.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: The first backoff, in seconds; it doubles with each attempt.
BACKOFF_BASE = 0.5
#: The longest backoff between two attempts, in seconds.
BACKOFF_CAP = 8.0
#: The longest `Retry-After` honoured, in seconds; longer asks are cut to it.
MAX_RETRY_AFTER = 60.0


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Read a ``Retry-After`` header as seconds from now.

    Args:
        value: The header, in seconds (whole or fractional) or an HTTP date.
        now: The current wall-clock time, as `time.time` gives it.

    Returns:
        Seconds to wait, never negative, or None if absent or unreadable.
    """
    if not value:
        return None

    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until_date(text, now)

    return max(0.0, seconds) if math.isfinite(seconds) else None


def _seconds_until_date(text: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None

    # A date without a zone is naive; HTTP dates are always GMT.
    if moment.tzinfo is None:
        return None

    return max(0.0, moment.timestamp() - now)


def is_retryable(error: LeapOCRError) -> bool:
    """Whether repeating the request could give a different answer."""
    if isinstance(error, APIConnectionError):
        return True

    return isinstance(error, APIError) and error.status_code in RETRYABLE_STATUSES


def backoff(attempt: int, rng: random.Random) -> float:
    """Seconds before retry number ``attempt`` (0 for the first), jittered.

    Half the delay is fixed and half random, so that many clients failing at
    once spread out without any of them retrying at once.
    """
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt)

    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def retry_delay(
    error: LeapOCRError,
    *,
    attempt: int,
    max_retries: int,
    remaining: float | None,
    rng: random.Random,
) -> float | None:
    """Decide whether and when to repeat a failed request.

    Args:
        error: What the failed attempt ended with.
        attempt: How many retries were made already.
        max_retries: How many retries are allowed in all.
        remaining: Seconds left before the caller's deadline, or None.
        rng: The source of jitter.

    Returns:
        Seconds to wait before the next attempt, or None to give up now.
    """
    if attempt >= max_retries or not is_retryable(error):
        return None

    asked = getattr(error, "retry_after", None)
    delay = backoff(attempt, rng) if asked is None else min(asked, MAX_RETRY_AFTER)
    # Sleeping past the deadline only to fail then helps nobody: fail now.
    if remaining is not None and delay >= remaining:
        return None

    return delay
