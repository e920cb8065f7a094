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

__all__ = [
    "EXCERPT_LENGTH",
    "FIELDS",
    "read_status",
    "request_id",
    "retry_after",
    "transport_error",
    "without_request",
]

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
    key = _sent_key(response)
    content = _scrubbed(response.content, key)
    if not 200 <= response.status_code < 300:
        raise _hidden(_api_error(response, content, now), key)

    data = _json(content)
    if not isinstance(data, dict):
        raise _hidden(_invalid(response, content, "the body is not a JSON object"), key)

    if key and b"\\" in content:
        # JSON may spell the key with escapes (\/, \u0041) the byte scrub
        # cannot see; decoded, it is plain again.
        data = {k: _redact(v, key) for k, v in data.items()}
    try:
        return _job_status(data, job_id)
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise _hidden(_invalid(response, content, str(error)), key) from None


def transport_error(error: httpx.HTTPError) -> APIConnectionError:
    """Wrap an httpx transport failure in the SDK's own type."""
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"no answer in time ({type(error).__name__})")

    return APIConnectionError(f"no answer: {type(error).__name__}: {error}")


def without_request(error: httpx.HTTPError) -> httpx.HTTPError:
    """A copy of an httpx error without the request it holds, for a cause.

    The request carries the API key in its headers and goes wherever the error
    goes: into a pickle, an error tracker, a queue between processes.
    """
    try:
        copy = type(error)(str(error))
    except TypeError:  # an httpx error that needs more than a message
        copy = httpx.TransportError(str(error))
    copy.__cause__ = error.__cause__
    copy.__context__ = error.__context__

    return copy.with_traceback(error.__traceback__)


def request_id(response: httpx.Response) -> str | None:
    """The service's request id, on one line, short, and never the API key."""
    text = _clip(response.headers.get("x-request-id", ""))
    key = _sent_key(response)

    return str(_redact(text, key) if key else text) or None


def retry_after(response: httpx.Response, now: float) -> float | None:
    """The answer's ``Retry-After`` in seconds, if it sent a readable one.

    Args:
        response: The answer.
        now: The wall-clock time, to read an HTTP date against.
    """
    # Checked before it is read: for a missing header, httpx's get() raises and
    # catches a KeyError, which costs more than this whole check.
    if "retry-after" not in response.headers:
        return None

    return parse_retry_after(response.headers["retry-after"], now)


def _sent_key(response: httpx.Response) -> str | None:
    try:
        key: str | None = response.request.headers.get("x-api-key")
    except RuntimeError:  # a response built by hand, with no request
        return None

    return key or None


def _scrubbed(content: bytes, key: str | None) -> bytes:
    """The body, with the API key cut out should the server have echoed it.

    Debug pages and some gateways repeat the request's headers; whatever comes
    of the body (messages, excerpts, `JobStatus.raw`) must not carry the key.
    """
    if not key:
        return content

    return content.replace(key.encode(), _REDACTED.encode())


def _redact(value: object, key: str) -> object:
    if isinstance(value, str) and key in value:
        return value.replace(key, _REDACTED)

    return value


def _hidden(error: APIError, key: str | None) -> APIError:
    """``error`` with the key cut from every text it carries.

    Headers (a request id, a ``Location``), the reason phrase and decoded JSON
    reach an error's fields without passing through the byte scrub.
    """
    if key:
        for name, value in vars(error).items():
            setattr(error, name, _redact(value, key))
        error.args = (error.message,)

    return error


_REDACTED = "<redacted>"


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
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise ValueError(f"{name} is too large: {_short(value)}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} is not finite: {value!r}")

    return number


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

    # A timestamp is a detail: one the SDK cannot read must not cost the
    # caller the job's status. It stays None, its text in `JobStatus.raw`.
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _api_error(response: httpx.Response, content: bytes, now: float) -> APIError:
    code, message = _envelope(_json(content))
    status = response.status_code
    if 500 <= status < 600:
        kind: type[APIError] = InternalServerError
    else:
        kind = _ERRORS_BY_STATUS.get(status, APIError)
    if 300 <= status < 400:
        # Following would send the key wherever the redirect points.
        where = _clip(response.headers.get("location", "")) or "nowhere"
        message = f"redirected to {where}; redirects are not followed, check base_url"

    return kind(
        _clip(message or "") or _excerpt(content) or response.reason_phrase or "error",
        status_code=status,
        code=_clip(code) if code else None,
        request_id=request_id(response),
        body=_excerpt(content),
        retry_after=retry_after(response, now),
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


def _invalid(
    response: httpx.Response, content: bytes, reason: str
) -> InvalidResponseError:
    return InvalidResponseError(
        f"unreadable job status: {_clip(reason)}",
        status_code=response.status_code,
        request_id=request_id(response),
        body=_excerpt(content),
    )


def _excerpt(content: bytes) -> str:
    return _clip(content[: EXCERPT_LENGTH * 4].decode("utf-8", "replace"))


def _clip(text: str) -> str:
    """``text`` on one line, cut to `EXCERPT_LENGTH` characters."""
    line = " ".join(text[: EXCERPT_LENGTH * 4].split())

    return line if len(line) <= EXCERPT_LENGTH else line[: EXCERPT_LENGTH - 1] + "…"


def _short(value: object) -> str:
    text = repr(value)

    return text if len(text) <= 60 else text[:59] + "…"
