"""What an answer from the service means: a `JobStatus`, or which error.

Pure: the answer has been read in full before it gets here. The body is read
field by field with the checks that the generated `leapocr_client` model
leaves out (it trusts the body's shape and types), so that whatever the body
holds, the outcome is a `JobStatus` or a `LeapOCRError`. The generated model's
``from_dict`` is not used: it copies the body, checks nothing, and cost about
as much as all the rest of reading a status (see benchmarks/call_cost.py).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import httpx

from leapocr._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from leapocr._models import JobState, JobStatus
from leapocr._retry import parse_retry_after

__all__ = ["EXCERPT_LENGTH", "FIELDS", "read_status", "transport_error"]

#: How much of an unexpected body an error keeps, in characters.
EXCERPT_LENGTH = 200

#: The fields of a status body, as openapi.yaml names them (a test keeps the
#: two in step); any other field is kept in `JobStatus.extra`.
FIELDS = frozenset(
    {
        "status",
        "job_id",
        "id",
        "progress",
        "total_pages",
        "processed_pages",
        "error_message",
        "created_at",
        "updated_at",
        "file_name",
        "processing_time",
        "result_format",
    }
)

# Looked up here first, since calling the enum costs several times as much;
# JobState(...) still makes the states this SDK does not know.
_STATES = {state.value: state for state in JobState}

# A tuple, built once: `int | float` in isinstance builds a union on each call.
_NUMBER_TYPES = (int, float)

_ERRORS_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def read_status(response: httpx.Response, job_id: str, now: float) -> JobStatus:
    """Turn a finished answer into a `JobStatus`, or raise the fitting error.

    Args:
        response: The answer, its body already read.
        job_id: The id that was asked for, used when the body names none.
        now: The wall-clock time, to read a ``Retry-After`` date against.

    Returns:
        The job's status.

    Raises:
        APIError: The answer was an error, or a success whose body is not a
            job status (`InvalidResponseError`).
    """
    if not 200 <= response.status_code < 300:
        raise _api_error(response, now)

    data = _json(response.content)
    if not isinstance(data, dict):
        raise _invalid(response, "the body is not a JSON object")

    try:
        return _job_status(data, job_id)
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise _invalid(response, str(error)) from None


def transport_error(error: httpx.HTTPError) -> APIConnectionError:
    """Wrap an httpx transport failure in the SDK's own type."""
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"no answer in time ({type(error).__name__})")

    return APIConnectionError(f"no answer: {type(error).__name__}: {error}")


def _json(content: bytes) -> object:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None


def _job_status(data: dict[str, Any], asked_id: str) -> JobStatus:
    state = data.get("status")
    if not isinstance(state, str) or not state:
        raise ValueError("the body has no status string")

    total = _integer(data.get("total_pages"), "total_pages")
    processed = _integer(data.get("processed_pages"), "processed_pages")
    status = _STATES.get(state) or JobState(state)

    return JobStatus(
        job_id=_job_id(data) or asked_id,
        status=status,
        progress=_progress(
            _number(data.get("progress"), "progress"), processed, total, status
        ),
        total_pages=total,
        processed_pages=processed,
        error_message=_text(data.get("error_message"), "error_message"),
        created_at=_timestamp(data.get("created_at"), "created_at"),
        updated_at=_timestamp(data.get("updated_at"), "updated_at"),
        file_name=_text(data.get("file_name"), "file_name"),
        processing_time=_number(data.get("processing_time"), "processing_time"),
        result_format=_text(data.get("result_format"), "result_format"),
        extra={name: value for name, value in data.items() if name not in FIELDS},
        raw=data,
    )


def _job_id(data: dict[str, Any]) -> str | None:
    for value in (data.get("job_id"), data.get("id")):
        if isinstance(value, str) and value.strip():
            return value

    return None


def _progress(
    reported: float | None, processed: int | None, total: int | None, state: JobState
) -> float:
    if reported is not None:
        # Documented as a fraction (0.45); a figure above 1 can only be percent.
        percent = reported * 100 if reported <= 1 else reported
    elif processed is not None and total:
        percent = 100 * processed / total
    else:
        percent = 100.0 if state is JobState.COMPLETED else 0.0

    return min(100.0, max(0.0, percent))


def _integer(value: object, name: str) -> int | None:
    number = _number(value, name)
    if number is None:
        return None
    if not number.is_integer():
        raise TypeError(f"{name} is not a whole number: {number!r}")

    return int(number)


def _number(value: object, name: str) -> float | None:
    if value is None:
        return None
    # bool is an int to Python, but `true` pages is no count.
    if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
        raise TypeError(f"{name} is not a number: {_short(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite: {value!r}")

    return float(value)


def _text(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} is not a string: {_short(value)}")

    return value


def _timestamp(value: object, name: str) -> datetime | None:
    text = _text(value, name)
    if text is None:
        return None

    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} is not a timestamp: {_short(text)}") from None


def _api_error(response: httpx.Response, now: float) -> APIError:
    code, message = _envelope(_json(response.content))
    status = response.status_code
    if status >= 500:
        kind: type[APIError] = InternalServerError
    else:
        kind = _ERRORS_BY_STATUS.get(status, APIError)

    return kind(
        message or _excerpt(response.content) or response.reason_phrase or "error",
        status_code=status,
        code=code,
        request_id=response.headers.get("x-request-id"),
        body=_excerpt(response.content),
        retry_after=parse_retry_after(response.headers.get("retry-after"), now),
    )


def _envelope(data: object) -> tuple[str | None, str | None]:
    # Read by hand rather than with the generated ErrorEnvelope: proxies send
    # near-misses of the envelope ("error" as a string, a top-level "message")
    # that still say what went wrong.
    if not isinstance(data, dict):
        return None, None

    code = data.get("code")
    detail = data.get("error")
    message = detail.get("message") if isinstance(detail, dict) else detail
    if not isinstance(message, str):
        message = data.get("message")

    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
    )


def _invalid(response: httpx.Response, reason: str) -> InvalidResponseError:
    return InvalidResponseError(
        f"unreadable job status: {reason}",
        status_code=response.status_code,
        request_id=response.headers.get("x-request-id"),
        body=_excerpt(response.content),
    )


def _excerpt(content: bytes) -> str:
    text = " ".join(content[: EXCERPT_LENGTH * 4].decode("utf-8", "replace").split())

    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def _short(value: object) -> str:
    text = repr(value)

    return text if len(text) <= 60 else text[:59] + "…"
