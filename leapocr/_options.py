"""What one call of either client runs with, checked before any request."""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass

import httpx

from leapocr import _engine
from leapocr._config import ClientConfig, check_count, check_seconds
from leapocr._exceptions import LeapOCRError
from leapocr._models import JobStatus
from leapocr._polling import DEFAULT_POLL_INTERVAL

__all__ = [
    "MAX_CONNECTIONS",
    "MAX_IN_FLIGHT",
    "CallOptions",
    "http_limits",
    "ssl_context",
]

#: Connections the clients' own httpx pool may hold open.
MAX_CONNECTIONS = 64
#: Requests one async client keeps in flight at once; the rest wait their turn
#: outside the pool, where waiting is cheap, instead of queueing inside it.
MAX_IN_FLIGHT = 48


def http_limits() -> httpx.Limits:
    """The pool limits of the httpx clients the SDK creates itself."""
    return httpx.Limits(
        max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
    )


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """The TLS settings of the httpx clients the SDK creates, shared by all.

    Building them reads the system's certificates and costs tens of
    milliseconds; a worker creating a client per task should not pay it each
    time. Read once, so ``SSL_CERT_FILE`` set later is not seen.
    """
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class CallOptions:
    """The checked arguments of one call.

    Attributes:
        url: The job's status address, parsed once for all the call's requests.
        settings: What the engine runs the call with.
    """

    url: httpx.URL
    settings: _engine.Settings

    @classmethod
    def build(
        cls, config: ClientConfig, job_id: str, max_retries: int | None
    ) -> CallOptions:
        """Check the call's arguments against the client's configuration.

        Raises:
            TypeError: An argument has the wrong type.
            ValueError: An argument is out of range.
        """
        retries = config.max_retries
        if max_retries is not None:
            retries = check_count(max_retries, "max_retries")
        settings = _engine.Settings(
            job_id=job_id,
            request_timeout=config.timeout,
            max_retries=retries,
            throttle=config.throttle,
        )

        return cls(url=config.status_url(job_id), settings=settings)

    def wait(
        self,
        timeout: float | None,
        poll_interval: float | None,
        *,
        raise_on_failure: bool,
    ) -> _engine.Machine:
        """Check a wait's arguments and return its engine.

        Raises:
            TypeError: An argument has the wrong type.
            ValueError: An argument is out of range.
        """
        limit = check_seconds(timeout, "timeout", allow_none=True)
        floor = DEFAULT_POLL_INTERVAL
        if poll_interval is not None:
            floor = check_seconds(poll_interval, "poll_interval")

        return _engine.wait(
            self.settings,
            timeout=limit,
            poll_interval=floor,
            raise_on_failure=raise_on_failure,
        )

    def checked(self, status: JobStatus | None) -> JobStatus:
        """Return the call's final status; every finished engine reported one."""
        if status is None:
            raise LeapOCRError(f"job {self.settings.job_id}: no status was reported")

        return status
