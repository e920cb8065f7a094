"""A bounded soak: many concurrent waits through random faults, on every client.

The sandbox answers about a quarter of all requests with a 429, a 5xx or a
dropped connection. With enough retries, every wait must still end with its
job's true outcome, and nothing else may escape.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest

from leapocr import AsyncLeapOCR, JobFailedError, JobStatus, LeapOCR
from leapocr.testing import Sandbox
from leapocr.testing._jobs import Outcome
from tests.clients import KINDS

WAITS_PER_KIND = 16
OUTCOMES: list[Outcome] = ["completed", "failed", "partially_done"]
TIMEOUT = 60.0
POLL_INTERVAL = 0.1
MAX_RETRIES = 10

Jobs = list[tuple[str, Outcome]]


def outcome_of(wait: Callable[[], JobStatus]) -> str:
    """The state a wait ended in, a failed job's error included."""
    try:
        return wait().status.value
    except JobFailedError as error:
        return error.status.status.value


def run_sync(sandbox: Sandbox, jobs: Jobs) -> list[str]:
    """One LeapOCR shared by a thread per wait."""
    with (
        LeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client,
        ThreadPoolExecutor(max_workers=len(jobs)) as pool,
    ):
        return list(
            pool.map(
                lambda job: outcome_of(
                    lambda: client.ocr.wait_until_done(
                        job,
                        timeout=TIMEOUT,
                        poll_interval=POLL_INTERVAL,
                        max_retries=MAX_RETRIES,
                    )
                ),
                [job for job, _ in jobs],
            )
        )


def run_async(sandbox: Sandbox, jobs: Jobs, backend: str) -> list[str]:
    """One AsyncLeapOCR shared by a task per wait."""
    results: list[str] = [""] * len(jobs)

    async def follow(client: AsyncLeapOCR, index: int, job: str) -> None:
        try:
            final = await client.ocr.wait_until_done(
                job,
                timeout=TIMEOUT,
                poll_interval=POLL_INTERVAL,
                max_retries=MAX_RETRIES,
            )
        except JobFailedError as error:
            final = error.status
        results[index] = final.status.value

    async def main() -> None:
        async with (
            AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client,
            anyio.create_task_group() as group,
        ):
            for index, (job, _) in enumerate(jobs):
                group.start_soon(follow, client, index, job)

    anyio.run(main, backend=backend)

    return results


def run(kind: str, sandbox: Sandbox, jobs: Jobs) -> list[str]:
    """Follow ``jobs`` with the client of ``kind``."""
    if kind == "sync":
        return run_sync(sandbox, jobs)

    return run_async(sandbox, jobs, kind)


def test_concurrent_waits_through_random_faults(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Sync threads and async tasks, all at once: each wait ends truly."""
    caplog.set_level(logging.WARNING, logger="leapocr")
    rng = random.Random(11)
    with Sandbox() as sandbox:
        sandbox.fault_rate(
            rate=0.25, statuses=(429, 500, 502, 503, 504), drop=True, seed=3
        )
        jobs: dict[str, Jobs] = {
            kind: [
                (
                    sandbox.add_job(
                        pages=rng.randint(1, 8),
                        duration=rng.uniform(0.3, 1.2),
                        outcome=outcome,
                        start_delay=rng.uniform(0, 0.3),
                    ),
                    outcome,
                )
                for outcome in (OUTCOMES * WAITS_PER_KIND)[:WAITS_PER_KIND]
            ]
            for kind in KINDS
        }
        with ThreadPoolExecutor(max_workers=len(KINDS)) as pool:
            futures: dict[str, Any] = {
                kind: pool.submit(run, kind, sandbox, jobs[kind]) for kind in KINDS
            }
            results = {kind: future.result() for kind, future in futures.items()}
        requests = sandbox.requests

    for kind in KINDS:
        assert results[kind] == [outcome for _, outcome in jobs[kind]]
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    # The faults were real: a good share of the requests had to be repeated.
    assert len(retries) > requests // 10
