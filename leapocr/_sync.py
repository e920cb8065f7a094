"""`LeapOCR`, the synchronous client: blocking I/O around `leapocr._engine`."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from types import TracebackType
from typing import Any, Self

import httpx

from leapocr import _batch_sync, _engine
from leapocr._config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    APIKeyAuth,
    ClientConfig,
)
from leapocr._deadline import request_deadline
from leapocr._models import JobStatus
from leapocr._options import CallOptions, http_limits, ssl_context

__all__ = ["OCR", "LeapOCR"]


class LeapOCR:
    """The synchronous LeapOCR client.

    Example::

        with LeapOCR() as client:
            final = client.ocr.wait_until_done("job_abc123")

    Attributes:
        ocr: The OCR jobs resource.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        """Configure the client; no request is made yet.

        Args:
            api_key: The API key; defaults to ``LEAPOCR_API_KEY``.
            base_url: The service's address; defaults to ``LEAPOCR_BASE_URL``,
                then to ``https://api.leapocr.com/api/v1``.
            timeout: Seconds one request may take.
            max_retries: Retries of one failed request (0 to never retry).
            http_client: An ``httpx.Client`` to send requests with; it stays
                the caller's to close.
            allow_insecure_http: Allow ``http://`` to a host other than
                loopback, which sends the key unencrypted.

        Raises:
            ValueError: The key is missing or an argument is out of range.
            TypeError: An argument has the wrong type.
        """
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise TypeError("http_client must be an httpx.Client")

        self._config = ClientConfig.resolve(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            allow_insecure_http=allow_insecure_http,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            limits=http_limits(), verify=ssl_context()
        )
        self._auth = APIKeyAuth(self._config.api_key)
        self._closed = False
        self.ocr = OCR(self)

    def __repr__(self) -> str:
        """Show where the client points, never its key."""
        return f"LeapOCR(base_url={self._config.base_url!r})"

    def close(self) -> None:
        """Close the connections this client opened; safe to call twice."""
        self._closed = True
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        """Return the client itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the client."""
        self.close()

    def _send(self, options: CallOptions, fetch: _engine.Fetch) -> _engine.Reply:
        if self._closed:
            raise RuntimeError("this LeapOCR client is closed")

        with request_deadline(fetch.timeout) as extensions:
            try:
                return self._http.get(
                    options.url,
                    auth=self._auth,
                    timeout=fetch.timeout,
                    follow_redirects=False,
                    extensions=extensions,
                )
            except httpx.RequestError as error:
                return error


class OCR:
    """OCR jobs: read a job's status and wait for it to end."""

    def __init__(self, client: LeapOCR) -> None:
        """Bind the resource to its client."""
        self._client = client

    def get_job_status(
        self, job_id: str, *, max_retries: int | None = None
    ) -> JobStatus:
        """Get a job's current status.

        Args:
            job_id: The job's id.
            max_retries: Retries for this call, instead of the client's.

        Returns:
            The job's status.

        Raises:
            APIError: The service answered with an error (see its subclasses).
            APIConnectionError: No answer came, after the retries allowed.
        """
        options = CallOptions.build(self._client._config, job_id, max_retries)
        status = None
        for report in self._steps(options, _engine.fetch_once(options.settings)):
            status = report.status

        return options.checked(status)

    def wait_until_done(
        self,
        job_id: str,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_progress: Callable[[JobStatus], Any] | None = None,
        max_retries: int | None = None,
    ) -> JobStatus:
        """Wait until a job ends, and return its final status.

        Args:
            job_id: The job's id.
            timeout: Seconds the whole wait may take; None waits for ever.
            poll_interval: The shortest gap between two polls, in seconds; the
                gap grows with the time waited (see the README).
            on_progress: Called with each status that differs from the last;
                an exception it raises ends the wait and propagates.
            max_retries: Retries per request, instead of the client's.

        Returns:
            The final status: completed or partially done (see
            `JobStatus.is_partial`).

        Raises:
            JobFailedError: The job failed; carries the final status.
            JobTimeoutError: ``timeout`` passed first; carries the last status.
            APIError: The service answered with an error that retrying did not
                cure.
            APIConnectionError: No answer came, after the retries allowed.
        """
        options = CallOptions.build(self._client._config, job_id, max_retries)
        machine = options.wait(timeout, poll_interval, raise_on_failure=True)

        return self._follow(options, machine, on_progress)

    def iter_status(
        self,
        job_id: str,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        max_retries: int | None = None,
    ) -> Generator[JobStatus, None, None]:
        """Yield each change of a job's status until it ends.

        The last status yielded is the final one; a failed job is yielded, not
        raised. Arguments are those of `wait_until_done`.

        Raises:
            JobTimeoutError: ``timeout`` passed before the job ended.
        """
        options = CallOptions.build(self._client._config, job_id, max_retries)
        machine = options.wait(timeout, poll_interval, raise_on_failure=False)

        return (r.status for r in self._steps(options, machine) if r.changed)

    # Many jobs at once: written in their own module to keep this shell thin.
    wait_all = _batch_sync.wait_all
    as_completed = _batch_sync.as_completed

    def _follow(
        self,
        options: CallOptions,
        machine: _engine.Machine,
        on_progress: Callable[[JobStatus], Any] | None,
        sleep: Callable[[float], object] = time.sleep,
    ) -> JobStatus:
        """Run ``machine`` to its end, telling ``on_progress`` of each change."""
        final = None
        for report in self._steps(options, machine, sleep):
            if report.changed and on_progress is not None:
                on_progress(report.status)
            final = report.status

        return options.checked(final)

    def _steps(
        self,
        options: CallOptions,
        machine: _engine.Machine,
        sleep: Callable[[float], object] = time.sleep,
    ) -> Iterator[_engine.Report]:
        reply: _engine.Reply = None
        while (action := _engine.step(machine, reply)) is not None:
            reply = None
            if isinstance(action, _engine.Fetch):
                reply = self._client._send(options, action)
            elif isinstance(action, _engine.Sleep):
                sleep(action.seconds)
            else:
                yield action
