"""The sandbox's job book: timelines, routing, keys and faults, with no I/O.

A `JobBook` answers one request at a time with a `SandboxResponse`; the HTTP
server (`_server.py`) and the in-process transport (`_mock.py`) only carry those
answers over the wire. Time comes from an injected clock, so a test can move a
job from `pending` to `completed` without sleeping.
"""

from __future__ import annotations

import http
import json
import math
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import unquote

import attrs

__all__ = ["DEFAULT_API_KEY", "JobBook", "Outcome", "SandboxResponse", "Shape"]

DEFAULT_API_KEY = "sandbox-key-not-a-secret"

Outcome = Literal["completed", "failed", "partially_done"]
Shape = Literal["live", "documented"]

# Timestamps follow the injected clock, which has no calendar date, so they are
# counted from a fixed instant: the same fake clock always yields the same body.
_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)

_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_DOCUMENTED_ID = re.compile(r"job_[A-Za-z0-9_-]+")

_CODES = {
    400: "BAD_REQUEST",
    401: "AUTHENTICATION_ERROR",
    402: "LESS_CREDITS",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    422: "VALIDATION_ERROR",
    429: "TOO_MANY_REQUESTS",
}


@attrs.frozen
class SandboxResponse:
    """One answer of the sandbox, before any transport carries it.

    Attributes:
        status: The HTTP status; 0 when `drop` is set, as nothing is sent.
        headers: Response headers, always including `X-Request-Id`.
        body: The response body.
        drop: Close the connection instead of answering.
        delay: Seconds to wait before answering (ignored by the mock transport).
    """

    status: int
    headers: dict[str, str]
    body: bytes
    drop: bool = False
    delay: float = 0.0


@attrs.frozen
class _Job:
    id: str
    owner: str
    number: int
    pages: int
    duration: float
    outcome: Outcome
    shape: Shape
    error_message: str | None
    start_delay: float
    final_status: str | None
    added_at: float

    @property
    def last_page(self) -> int:
        """The number of pages processed when the job ends."""
        if self.outcome == "failed":
            return self.pages // 2

        if self.outcome == "partially_done":
            return self.pages - max(1, self.pages // 4)

        return self.pages


@attrs.frozen
class _Snapshot:
    """Where a job stands; times are seconds after the job was added."""

    status: str
    processed_pages: int
    progress: float
    running: float
    updated: float
    done: bool = False


@attrs.frozen
class _Fault:
    """A queued fault: a canned answer, or a delay before the normal answer."""

    answer: SandboxResponse | None
    delay: float = 0.0


@attrs.define
class _RateLimit:
    """A token bucket: ``burst`` requests at once, refilled at ``rate`` a second."""

    rate: float
    burst: float
    retry_after: str | None
    tokens: float
    at: float

    def take(self, now: float) -> bool:
        """Spend a token if one is left; False means answer 429."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False

        self.tokens -= 1

        return True

    def retry_header(self) -> str:
        """Whole seconds until the next token, as a gateway would say it."""
        if self.retry_after is not None:
            return self.retry_after

        return str(max(1, math.ceil((1 - self.tokens) / self.rate)))


@attrs.frozen
class _FaultRate:
    rate: float
    kinds: tuple[int | None, ...]
    rng: random.Random
    retry_after: str | None


def _snapshot(job: _Job, now: float) -> _Snapshot:
    running = now - job.added_at - job.start_delay
    if running < 0:
        return _Snapshot("pending", 0, 0.0, 0.0, 0.0)

    if running >= job.duration:
        return _terminal(job)

    fraction = running / job.duration
    processed = min(job.last_page, math.floor(job.pages * fraction))
    updated = job.start_delay + job.duration * processed / job.pages

    return _Snapshot("processing", processed, round(fraction, 2), running, updated)


def _terminal(job: _Job) -> _Snapshot:
    status = job.final_status or job.outcome
    progress = 1.0 if job.outcome == "completed" else job.last_page / job.pages
    end = job.start_delay + job.duration

    return _Snapshot(
        status, job.last_page, round(progress, 2), job.duration, end, done=True
    )


def _stamp(seconds: float) -> str:
    moment = _EPOCH + timedelta(seconds=seconds)

    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _live_body(job: _Job, snap: _Snapshot, added: float) -> dict[str, object]:
    failed = snap.done and job.outcome == "failed"

    return {
        "id": job.id,
        "status": snap.status,
        "total_pages": job.pages,
        "processed_pages": snap.processed_pages,
        "created_at": _stamp(added),
        "updated_at": _stamp(added + snap.updated),
        "error_message": job.error_message if failed else None,
        "file_name": f"document-{job.number}.pdf",
        "processing_time": int(snap.running),
        "result_format": "structured",
    }


def _documented_body(job: _Job, snap: _Snapshot) -> dict[str, object]:
    return {
        "job_id": job.id,
        "status": snap.status,
        "progress": snap.progress,
        "total_pages": job.pages,
        "processed_pages": snap.processed_pages,
    }


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"


def _error_code(status: int) -> str:
    if status >= 500:
        return "SYSTEM_ERROR"

    return _CODES.get(status, "BAD_REQUEST")


def _envelope(code: str, message: str) -> bytes:
    document = {"code": code, "error": {"message": message}, "details": None}

    return json.dumps(document).encode()


def _api_key(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "x-api-key":
            return value

    return None


def _valid_id(job_id: str) -> bool:
    return bool(_UUID.fullmatch(job_id) or _DOCUMENTED_ID.fullmatch(job_id))


def _stamped(answer: SandboxResponse, delay: float = 0.0) -> SandboxResponse:
    # Each answer gets its own id, even when a fault repeats the same template.
    headers = {**answer.headers, "X-Request-Id": f"req_{uuid.uuid4().hex}"}

    return attrs.evolve(answer, headers=headers, delay=delay)


def _json(status: int, document: object) -> SandboxResponse:
    body = json.dumps(document).encode()

    return SandboxResponse(status, {"Content-Type": "application/json"}, body)


def _error(status: int, code: str, message: str, **extra: str) -> SandboxResponse:
    headers = {"Content-Type": "application/json", **extra}

    return SandboxResponse(status, headers, _envelope(code, message))


def _check_count(count: int) -> None:
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")


class JobBook:
    """Jobs, keys and faults of one sandbox, answering status requests.

    Thread-safe: a server may call `respond` from many threads at once.

    Args:
        api_key: The key accepted by default and owning jobs by default.
        clock: Seconds as a float, only ever compared; inject a fake in tests.
        prefix: The path under which the API is mounted.

    Raises:
        ValueError: If `api_key` is empty or `prefix` does not start with "/".
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        *,
        clock: Callable[[], float] = time.monotonic,
        prefix: str = "/api/v1",
    ) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")

        if not prefix.startswith("/"):
            raise ValueError(f"prefix must start with '/', got {prefix!r}")

        self._api_key = api_key
        self._prefix = prefix.rstrip("/")
        self._clock = clock
        self._origin = clock()
        self._lock = threading.Lock()
        self._keys = {api_key}
        self._jobs: dict[str, _Job] = {}
        self._faults: deque[_Fault] = deque()
        self._fault_rate: _FaultRate | None = None
        self._rate_limit: _RateLimit | None = None
        self._requests = 0
        self._limited = 0

    @property
    def api_key(self) -> str:
        """The key accepted by default and owning jobs by default."""
        return self._api_key

    @property
    def prefix(self) -> str:
        """The path under which the API is mounted, without a trailing slash."""
        return self._prefix

    @property
    def requests(self) -> int:
        """How many status requests the book has seen since the last reset."""
        with self._lock:
            return self._requests

    @property
    def rate_limited(self) -> int:
        """How many requests the rate limit refused since the last reset."""
        with self._lock:
            return self._limited

    def reset_counts(self) -> None:
        """Set the request counts back to zero."""
        with self._lock:
            self._requests = 0
            self._limited = 0

    def add_key(self, key: str) -> None:
        """Accept another API key, owning no jobs unless given as an owner.

        Args:
            key: The key to accept.

        Raises:
            ValueError: If `key` is empty.
        """
        if not key:
            raise ValueError("key must not be empty")

        with self._lock:
            self._keys.add(key)

    def add_job(
        self,
        *,
        pages: int = 10,
        duration: float = 3.0,
        outcome: Outcome = "completed",
        shape: Shape = "live",
        error_message: str | None = None,
        owner: str | None = None,
        job_id: str | None = None,
        start_delay: float = 0.0,
        final_status: str | None = None,
    ) -> str:
        """Add a job whose status moves with the clock from now on.

        The job is `pending` for `start_delay` seconds, then `processing` while
        `processed_pages` grows linearly towards `pages` over `duration`
        seconds, then ends with `outcome`. A failed job stops at half its
        pages; a partially done one ends short of its last page.

        Args:
            pages: The job's total pages, at least 1.
            duration: Seconds spent processing.
            outcome: The terminal status.
            shape: "live" answers as the service does; "documented" answers as
                its documentation shows (`job_id` and a fractional `progress`).
            error_message: The message of a failed job; a page number by default.
            owner: The key owning the job; the book's key by default. Any other
                accepted key gets 403.
            job_id: The job's id; a fresh UUID by default. Ids that are neither
                UUIDs nor `job_...` are kept but only ever answered with 400.
            start_delay: Seconds spent pending before processing starts.
            final_status: A terminal status string replacing `outcome`'s, such
                as one the SDK does not know.

        Returns:
            The job's id.

        Raises:
            ValueError: If a number is out of range or the id is already taken.
        """
        _check_job(pages, duration, start_delay)
        with self._lock:
            job = _Job(
                id=job_id or str(uuid.uuid4()),
                owner=owner or self._api_key,
                number=len(self._jobs) + 1,
                pages=pages,
                duration=duration,
                outcome=outcome,
                shape=shape,
                error_message=error_message or _failure_message(pages, outcome),
                start_delay=start_delay,
                final_status=final_status,
                added_at=self._clock(),
            )
            if job.id in self._jobs:
                raise ValueError(f"job id {job.id!r} is already taken")

            self._jobs[job.id] = job

        return job.id

    def inject(
        self,
        status: int,
        *,
        count: int = 1,
        retry_after: str | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Answer the next `count` status requests with an error status.

        Args:
            status: An HTTP status from 400 to 599.
            count: How many requests get this answer.
            retry_after: The `Retry-After` header's value, if any.
            body: The body; by default the service's error envelope.
            content_type: The `Content-Type` header's value.

        Raises:
            ValueError: If `status` or `count` is out of range.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be from 400 to 599, got {status}")

        headers = {"Content-Type": content_type}
        if retry_after is not None:
            headers["Retry-After"] = retry_after

        if body is None:
            body = _envelope(_error_code(status), _phrase(status))

        self._queue(_Fault(SandboxResponse(status, headers, body)), count)

    def inject_body(
        self,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "text/html",
        count: int = 1,
    ) -> None:
        """Answer the next `count` status requests with a body, such as a proxy's.

        Args:
            body: The body, sent as is.
            status: An HTTP status from 200 to 599.
            content_type: The `Content-Type` header's value.
            count: How many requests get this answer.

        Raises:
            ValueError: If `status` or `count` is out of range.
        """
        if not 200 <= status <= 599 or status in {204, 304}:
            raise ValueError(f"status must allow a body, got {status}")

        answer = SandboxResponse(status, {"Content-Type": content_type}, body)
        self._queue(_Fault(answer), count)

    def inject_drop(self, count: int = 1) -> None:
        """Close the connection of the next `count` status requests unanswered.

        Args:
            count: How many requests are dropped.

        Raises:
            ValueError: If `count` is below 1.
        """
        self._queue(_Fault(_DROP), count)

    def inject_delay(self, seconds: float, count: int = 1) -> None:
        """Answer the next `count` status requests normally, but late.

        Args:
            seconds: How long each answer waits.
            count: How many requests are delayed.

        Raises:
            ValueError: If `seconds` is negative or `count` is below 1.
        """
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")

        self._queue(_Fault(None, seconds), count)

    def fault_rate(
        self,
        *,
        rate: float,
        statuses: Iterable[int] = (429, 500, 502, 503),
        drop: bool = True,
        seed: int = 0,
        retry_after: str | None = "0",
    ) -> None:
        """From now on, answer a fraction of status requests with a random fault.

        Queued faults still come first. The same seed and the same sequence of
        requests give the same faults. A rate of 0 turns this off.

        Args:
            rate: The fraction of requests to fault, from 0 to 1.
            statuses: Error statuses to pick from, each equally likely.
            drop: Whether a dropped connection is among the faults.
            seed: Seed of the random choices.
            retry_after: The `Retry-After` value on every faulted status.

        Raises:
            ValueError: If `rate` is out of range or there is nothing to pick.
        """
        kinds: tuple[int | None, ...] = (*statuses, *((None,) if drop else ()))
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be from 0 to 1, got {rate}")

        if rate and not kinds:
            raise ValueError("give at least one status or allow drops")

        # Seeded on purpose: soak tests must be able to replay a run.
        rng = random.Random(seed)  # noqa: S311
        chosen = _FaultRate(rate, kinds, rng, retry_after) if rate else None
        with self._lock:
            self._fault_rate = chosen

    def rate_limit(
        self,
        per_second: float,
        *,
        burst: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        """From now on, refuse requests beyond a rate with 429, as a gateway does.

        A token bucket: up to ``burst`` requests at once, then ``per_second``
        on average. Checked before queued faults and before the API key, as a
        gateway in front of the service would. A rate of 0 turns it off.

        Args:
            per_second: Requests allowed per second, on average.
            burst: Requests allowed at once; ``per_second`` rounded up by
                default.
            retry_after: The `Retry-After` of each 429; by default the whole
                seconds until the next request would be allowed.

        Raises:
            ValueError: If a number is out of range.
        """
        if per_second < 0 or (burst is not None and burst < 1):
            raise ValueError("per_second must be >= 0 and burst >= 1")

        size = float(burst if burst is not None else max(1, math.ceil(per_second)))
        with self._lock:
            self._rate_limit = None
            if per_second:
                bucket = _RateLimit(per_second, size, retry_after, size, self._clock())
                self._rate_limit = bucket

    def respond(
        self, method: str, path: str, headers: Mapping[str, str]
    ) -> SandboxResponse:
        """Answer one request.

        Args:
            method: The HTTP method.
            path: The request path as sent, still percent-encoded; a query
                string is ignored.
            headers: The request headers; names are matched case-insensitively.

        Returns:
            The answer, which may ask the transport to drop or delay it.
        """
        segment = self._route(path.partition("?")[0])
        if segment is None:
            return _stamped(_error(404, "NOT_FOUND", "route not found"))

        if method.upper() != "GET":
            message = f"method {method} not allowed"

            return _stamped(_error(405, "BAD_REQUEST", message, Allow="GET"))

        with self._lock:
            self._requests += 1
            limited = self._refuse_over_rate()
            if limited is not None:
                return _stamped(limited)

            fault = self._next_fault()
            if fault is not None and fault.answer is not None:
                return _stamped(fault.answer)

            # Decoded once, as a router does: "%252F" becomes "%2F", never "/".
            answer = self._status(unquote(segment), _api_key(headers))

        return _stamped(answer, fault.delay if fault else 0.0)

    def _queue(self, fault: _Fault, count: int) -> None:
        _check_count(count)
        with self._lock:
            self._faults.extend([fault] * count)

    def _route(self, path: str) -> str | None:
        """The raw job-id segment of a status path, or None for any other path."""
        route = f"{self._prefix}/ocr/status/"
        if not path.startswith(route):
            return None

        segment = path[len(route) :]

        return segment if segment and "/" not in segment else None

    def _refuse_over_rate(self) -> SandboxResponse | None:
        bucket = self._rate_limit
        if bucket is None or bucket.take(self._clock()):
            return None

        self._limited += 1
        message = "rate limit exceeded"

        return _error(
            429, "TOO_MANY_REQUESTS", message, **{"Retry-After": bucket.retry_header()}
        )

    def _next_fault(self) -> _Fault | None:
        if self._faults:
            return self._faults.popleft()

        chosen = self._fault_rate
        if chosen is None or chosen.rng.random() >= chosen.rate:
            return None

        kind = chosen.rng.choice(chosen.kinds)
        if kind is None:
            return _Fault(_DROP)

        headers = {"Content-Type": "application/json"}
        if chosen.retry_after is not None:
            headers["Retry-After"] = chosen.retry_after

        body = _envelope(_error_code(kind), "injected fault")

        return _Fault(SandboxResponse(kind, headers, body))

    def _status(self, job_id: str, key: str | None) -> SandboxResponse:
        if key is None:
            return _error(401, "AUTHENTICATION_ERROR", "authentication required")

        if key not in self._keys:
            return _error(401, "AUTHENTICATION_ERROR", "invalid API key")

        if not _valid_id(job_id):
            return _error(400, "VALIDATION_ERROR", "invalid job ID format")

        job = self._jobs.get(job_id)
        if job is None:
            return _error(404, "NOT_FOUND", "job not found")

        if job.owner != key:
            return _error(403, "FORBIDDEN", "job belongs to a different user")

        return _json(200, self._body(job))

    def _body(self, job: _Job) -> dict[str, object]:
        snap = _snapshot(job, self._clock())
        if job.shape == "documented":
            return _documented_body(job, snap)

        return _live_body(job, snap, job.added_at - self._origin)


_DROP = SandboxResponse(0, {}, b"", drop=True)


def _check_job(pages: int, duration: float, start_delay: float) -> None:
    if pages < 1:
        raise ValueError(f"pages must be at least 1, got {pages}")

    if duration < 0 or start_delay < 0:
        raise ValueError("duration and start_delay must not be negative")


def _failure_message(pages: int, outcome: Outcome) -> str | None:
    if outcome != "failed":
        return None

    return f"Failed to process page {pages // 2 + 1}"
