"""Waiting on many jobs at once: the plan both clients follow, with no I/O.

`wait_all` and `as_completed` check every argument before the first request,
wait on each distinct job once, at most ``max_concurrency`` at a time, and
share one deadline. The shells (`_batch_sync`, `_batch_async`) run the waits;
the decisions (what a job's wait may still take, what a batch returns, when
an error ends it) live here once.

When a job fails or its wait raises, the batch raises that error at once and
stops the other waits, unless ``return_exceptions`` is set: then every job is
waited to its end and the error takes the job's place among the results. An
exception raised by the caller's ``on_progress`` is always raised at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from leapocr import _engine
from leapocr._config import ClientConfig, check_count, check_seconds
from leapocr._exceptions import LeapOCRError
from leapocr._models import JobStatus
from leapocr._options import CallOptions

__all__ = ["DEFAULT_MAX_CONCURRENCY", "LAST_CHECK", "Batch", "Outcome"]

#: Jobs one batch waits on at once, unless told otherwise.
DEFAULT_MAX_CONCURRENCY = 16
#: The timeout given to a job's wait that starts at or after the deadline: the
#: job still gets one request, so one that ended meanwhile is reported as such.
LAST_CHECK = 1e-3

#: A job's result: its final status, or the error that ended its wait.
Outcome = JobStatus | LeapOCRError


@dataclass(frozen=True)
class Batch:
    """The checked arguments of one `wait_all` or `as_completed` call.

    Attributes:
        job_ids: The job ids as given, duplicates included.
        calls: One call per distinct job, in the order first given.
        timeout: Seconds the whole batch may take (``math.inf`` for no limit).
        poll_interval: The shortest gap between two polls of one job.
        max_concurrency: Jobs waited on at once.
        return_exceptions: Put errors among the results instead of raising.
    """

    job_ids: tuple[str, ...]
    calls: tuple[CallOptions, ...]
    timeout: float
    poll_interval: float | None
    max_concurrency: int
    return_exceptions: bool

    @classmethod
    def plan(
        cls,
        config: ClientConfig,
        job_ids: Iterable[str],
        *,
        timeout: float | None,
        poll_interval: float | None,
        max_concurrency: int,
        return_exceptions: bool,
        max_retries: int | None,
    ) -> Batch:
        """Check a batch's arguments against the client's configuration.

        Raises:
            TypeError: An argument has the wrong type, or ``job_ids`` is a
                single string rather than a collection of them.
            ValueError: An argument is out of range.
        """
        if isinstance(job_ids, str | bytes):
            raise TypeError("job_ids must be a collection of job ids, not one string")

        ids = tuple(job_ids)
        distinct = dict.fromkeys(ids)
        if poll_interval is not None:
            check_seconds(poll_interval, "poll_interval")

        return cls(
            job_ids=ids,
            calls=tuple(CallOptions.build(config, j, max_retries) for j in distinct),
            timeout=check_seconds(timeout, "timeout", allow_none=True),
            poll_interval=poll_interval,
            max_concurrency=_check_concurrency(max_concurrency),
            return_exceptions=bool(return_exceptions),
        )

    @property
    def workers(self) -> int:
        """How many waits run at once: no more than there are jobs."""
        return min(self.max_concurrency, len(self.calls))

    def machine(
        self, call: CallOptions, deadline: float, now: float
    ) -> _engine.Machine:
        """The wait of one job, started at ``now``, bounded by the batch's deadline.

        A job whose turn comes after the deadline is still asked about once.
        """
        remaining = None if math.isinf(deadline) else max(deadline - now, LAST_CHECK)

        return call.wait(remaining, self.poll_interval, raise_on_failure=True)

    def settle(self, outcome: Outcome | Exception) -> Outcome:
        """Return a job's outcome as a result, or raise it if it ends the batch.

        Raises:
            LeapOCRError: The job's wait raised it and ``return_exceptions``
                is not set.
            Exception: Anything else a wait raised, such as an error of the
                caller's ``on_progress``.
        """
        if isinstance(outcome, LeapOCRError):
            if not self.return_exceptions:
                raise outcome
        elif isinstance(outcome, Exception):
            raise outcome

        return outcome

    def in_order(self, outcomes: dict[str, Outcome]) -> list[Outcome]:
        """The results in the order the job ids were given, duplicates included."""
        return [outcomes[job_id] for job_id in self.job_ids]


def _check_concurrency(value: object) -> int:
    count = check_count(value, "max_concurrency")
    if count < 1:
        raise ValueError("max_concurrency must be at least 1")

    return count
