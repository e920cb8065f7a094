"""Many jobs behind a rate limit: one wait per job against `wait_all`.

Each run starts a sandbox allowing 10 requests a second (bursts of 4, a
`Retry-After` of 0.5 s) with 20 jobs of 0.8 s, and waits for all of them on
one client. Medians of a few runs.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import anyio

from leapocr import AsyncLeapOCR, LeapOCR
from leapocr.testing import Sandbox

JOBS = 20
RUNS = 3
POLL = 0.5
Waiter = Callable[[Sandbox, list[str]], None]


def measure(wait: Waiter) -> tuple[int, int, float]:
    with Sandbox() as sandbox:
        sandbox.rate_limit(10, burst=4, retry_after="0.5")
        jobs = [sandbox.add_job(pages=4, duration=0.8) for _ in range(JOBS)]
        began = time.perf_counter()
        wait(sandbox, jobs)

        return sandbox.requests, sandbox.rate_limited, time.perf_counter() - began


def sync_each(sandbox: Sandbox, jobs: list[str]) -> None:
    with LeapOCR(sandbox.api_key, base_url=sandbox.base_url, max_retries=10) as client:
        threads = [
            threading.Thread(
                target=client.ocr.wait_until_done,
                args=(job,),
                kwargs={"poll_interval": POLL},
            )
            for job in jobs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def sync_all(sandbox: Sandbox, jobs: list[str]) -> None:
    with LeapOCR(sandbox.api_key, base_url=sandbox.base_url, max_retries=10) as client:
        client.ocr.wait_all(jobs, poll_interval=POLL, max_concurrency=4)


def async_client(sandbox: Sandbox) -> AsyncLeapOCR:
    return AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url, max_retries=10)


def async_each(sandbox: Sandbox, jobs: list[str]) -> None:
    async def run() -> None:
        client = AsyncLeapOCR(
            sandbox.api_key, base_url=sandbox.base_url, max_retries=10
        )
        async with client, anyio.create_task_group() as group:
            for job in jobs:
                group.start_soon(one, client, job)

    async def one(client: AsyncLeapOCR, job: str) -> None:
        await client.ocr.wait_until_done(job, poll_interval=POLL)

    anyio.run(run)


def async_all(sandbox: Sandbox, jobs: list[str]) -> None:
    async def run() -> None:
        client = AsyncLeapOCR(
            sandbox.api_key, base_url=sandbox.base_url, max_retries=10
        )
        async with client:
            await client.ocr.wait_all(jobs, poll_interval=POLL, max_concurrency=4)

    anyio.run(run)


def run() -> str:
    rows = [
        "## Many jobs behind a rate limit\n",
        f"{JOBS} jobs of 0.8 s, 10 requests/s allowed; medians of {RUNS} runs.\n",
        "| client | way | requests | 429s | seconds |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    cases: list[tuple[str, str, Waiter]] = [
        ("sync", "one wait_until_done per job", sync_each),
        ("sync", "wait_all, 4 at a time", sync_all),
        ("async", "one wait_until_done per job", async_each),
        ("async", "wait_all, 4 at a time", async_all),
    ]
    for client, way, wait in cases:
        runs = [measure(wait) for _ in range(RUNS)]
        requests, refused, seconds = (
            statistics.median(r[i] for r in runs) for i in range(3)
        )
        rows.append(
            f"| {client} | {way} | {requests:.0f} | {refused:.0f} | {seconds:.1f} |"
        )

    return "\n".join(rows) + "\n"
