"""Every exception the SDK raises on purpose, in one place.

The tree::

    LeapOCRError
    ├── APIError                  the service answered, but not with a status
    │   ├── BadRequestError       400: the job id has the wrong format
    │   ├── AuthenticationError   401: the API key is missing or wrong
    │   ├── PermissionDeniedError 403: the job belongs to another account
    │   ├── NotFoundError         404: no such job
    │   ├── RateLimitError        429: too many requests; see ``retry_after``
    │   ├── InternalServerError   5xx
    │   └── InvalidResponseError  2xx whose body is not a job status
    ├── APIConnectionError        no answer: refused, reset, closed early
    │   └── APITimeoutError       no answer in time
    ├── JobFailedError            the job ended ``failed``
    └── JobTimeoutError           the wait's ``timeout`` passed first

Mistakes in the caller's arguments are ``TypeError`` or ``ValueError``, raised
before any request, and are not part of this tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leapocr._models import JobStatus

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "InternalServerError",
    "InvalidResponseError",
    "JobFailedError",
    "JobTimeoutError",
    "LeapOCRError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
]


class LeapOCRError(Exception):
    """The root of every error the SDK raises about the service or a job.

    Attributes:
        job_id: The job the failed call was about, when there was one; it tells
            the errors of `wait_all` and `as_completed` apart.
    """

    job_id: str | None = None

    def __init__(self, message: str) -> None:
        """Keep the message as the only positional argument, so pickling works."""
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        """Return the message."""
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only details; rebuild them from __dict__.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[LeapOCRError], state: dict[str, Any]) -> LeapOCRError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class APIError(LeapOCRError):
    """The service answered with something other than a job status.

    Attributes:
        status_code: The HTTP status of the answer.
        code: The service's error code, such as ``NOT_FOUND``, when it sent one.
        request_id: The ``X-Request-Id`` the service sent, if any.
        body: The start of the answer's body, cut to a few hundred characters.
        retry_after: Seconds the service asked to wait (``Retry-After``), if
            it said.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        request_id: str | None = None,
        body: str = "",
        retry_after: float | None = None,
    ) -> None:
        """Build the error from what the answer carried."""
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        """Return the status, the code and the message on one line."""
        code = f" {self.code}" if self.code else ""
        request = f" (request {self.request_id})" if self.request_id else ""
        return f"HTTP {self.status_code}{code}: {self.message}{request}"


class BadRequestError(APIError):
    """400: the service rejected the request, usually a malformed job id."""


class AuthenticationError(APIError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(APIError):
    """403: the job belongs to a different account."""


class NotFoundError(APIError):
    """404: the service knows no job with this id."""


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` says for how long, if known."""


class InternalServerError(APIError):
    """5xx: the service or a proxy in front of it failed."""


class InvalidResponseError(APIError):
    """A success status whose body is not a job status the SDK can read."""


class APIConnectionError(LeapOCRError):
    """No answer came: the connection was refused, reset or closed early."""


class APITimeoutError(APIConnectionError):
    """No answer came within the request timeout."""


class JobFailedError(LeapOCRError):
    """The job ended in the ``failed`` state.

    Attributes:
        status: The final status, as the service reported it.
        error_message: The service's reason, if it gave one.
    """

    def __init__(self, status: JobStatus) -> None:
        """Build the error from the job's final status."""
        reason = status.error_message or "no reason given"
        super().__init__(f"job {status.job_id} failed: {reason}")
        self.job_id = status.job_id
        self.status = status
        self.error_message = status.error_message


class JobTimeoutError(LeapOCRError):
    """The wait's ``timeout`` passed before the job reached a final state.

    Attributes:
        status: The last status seen, or None if no request succeeded.
        waited: Seconds spent waiting.
    """

    def __init__(self, job_id: str, status: JobStatus | None, waited: float) -> None:
        """Build the error from the last status seen and the time spent."""
        seen = f"last seen {status.status.value}" if status else "no status seen"
        super().__init__(f"job {job_id} not done after {waited:.1f}s ({seen})")
        self.job_id = job_id
        self.status = status
        self.waited = waited
