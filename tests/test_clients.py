"""Both clients end to end against the sandbox, over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leapocr import (
    AuthenticationError,
    BadRequestError,
    JobFailedError,
    JobState,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
)
from leapocr.testing import Sandbox
from tests.clients import KINDS, Driver


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox server for the module."""
    with Sandbox() as server:
        yield server


@pytest.fixture(params=KINDS)
def driver(request: pytest.FixtureRequest, sandbox: Sandbox) -> Driver:
    """The same scenarios through the sync client, async on asyncio, and on trio."""
    return Driver(request.param, sandbox.base_url, sandbox.api_key, max_retries=3)


def test_completed_job_with_live_progress(driver: Driver, sandbox: Sandbox) -> None:
    """A live-shaped job is followed to completed, progress rising to 100."""
    job = sandbox.add_job(pages=5, duration=1.5, outcome="completed", shape="live")
    final = driver.wait(job, timeout=20, poll_interval=0.2)
    assert final.status is JobState.COMPLETED
    assert final.job_id == job
    assert final.progress == 100.0
    progress = [s.progress for s in driver.seen]
    assert progress == sorted(progress)
    assert len(progress) >= 3
    assert driver.seen[-1] == final


def test_documented_shape_job(driver: Driver, sandbox: Sandbox) -> None:
    """A documented-shape job (job_id, fraction) reads the same way."""
    job = sandbox.add_job(pages=4, duration=0.5, shape="documented")
    final = driver.wait(job, timeout=20, poll_interval=0.2)
    assert final.job_id == job
    assert final.is_completed


def test_failed_job_raises_with_message(driver: Driver, sandbox: Sandbox) -> None:
    """A failed job raises JobFailedError with the service's message."""
    job = sandbox.add_job(
        pages=6,
        duration=0.6,
        outcome="failed",
        error_message="Failed to process page 5",
    )
    with pytest.raises(JobFailedError) as caught:
        driver.wait(job, timeout=20, poll_interval=0.2)
    assert caught.value.error_message == "Failed to process page 5"
    assert caught.value.status.is_failed
    assert driver.seen[-1].is_failed


def test_partially_done_returns_flagged(driver: Driver, sandbox: Sandbox) -> None:
    """partially_done ends the wait and is flagged as partial."""
    job = sandbox.add_job(pages=6, duration=0.6, outcome="partially_done")
    final = driver.wait(job, timeout=20, poll_interval=0.2)
    assert final.is_partial
    assert final.is_terminal
    assert final.processed_pages is not None
    assert final.total_pages is not None
    assert final.processed_pages < final.total_pages


def test_unknown_final_state_times_out(driver: Driver, sandbox: Sandbox) -> None:
    """A state the SDK does not know is polled until the deadline."""
    job = sandbox.add_job(pages=2, duration=0.2, final_status="archived")
    with pytest.raises(JobTimeoutError) as caught:
        driver.wait(job, timeout=1.5, poll_interval=0.2)
    assert caught.value.status is not None
    assert caught.value.status.status.value == "archived"
    assert caught.value.waited >= 1.5


def test_iter_status_yields_changes_to_the_end(
    driver: Driver, sandbox: Sandbox
) -> None:
    """iter_status yields each change and ends with the final status, even failed."""
    job = sandbox.add_job(pages=4, duration=0.8, outcome="failed")
    seen = driver.call("iter_status", job, timeout=20, poll_interval=0.2)
    assert seen[-1].is_failed
    assert all(not s.is_terminal for s in seen[:-1])


@pytest.mark.parametrize(
    ("job_id", "error"),
    [
        ("job_doesnotexist", NotFoundError),
        ("not a job id", BadRequestError),
        ("a/../../b", BadRequestError),
    ],
)
def test_service_errors_are_typed(
    driver: Driver, job_id: str, error: type[Exception]
) -> None:
    """404 and 400 come back as their own types, and are not retried."""
    with pytest.raises(error):
        driver.call("get_job_status", job_id)


def test_wrong_key_is_an_authentication_error(sandbox: Sandbox, driver: Driver) -> None:
    """A key the service does not know raises AuthenticationError."""
    job = sandbox.add_job()
    driver.api_key = "wrong-key-not-a-secret"
    with pytest.raises(AuthenticationError):
        driver.call("get_job_status", job)


def test_job_of_another_key_is_denied(sandbox: Sandbox, driver: Driver) -> None:
    """Another account's job raises PermissionDeniedError."""
    sandbox.add_key("other-key-not-a-secret")
    job = sandbox.add_job(owner="other-key-not-a-secret")
    with pytest.raises(PermissionDeniedError):
        driver.call("get_job_status", job)


def test_rate_limit_and_server_errors_are_retried(
    sandbox: Sandbox, driver: Driver
) -> None:
    """429 with Retry-After, a 503 and a dropped connection are retried."""
    job = sandbox.add_job(duration=0.1)
    sandbox.inject(429, retry_after="0.2")
    sandbox.inject(503)
    sandbox.inject_drop()
    status = driver.call("get_job_status", job, max_retries=3)
    assert status.job_id == job


def test_retries_run_out(sandbox: Sandbox, driver: Driver) -> None:
    """With max_retries=1, a second 503 in a row is raised."""
    from leapocr import InternalServerError

    job = sandbox.add_job()
    sandbox.inject(503, count=2)
    with pytest.raises(InternalServerError):
        driver.call("get_job_status", job, max_retries=1)
