"""`make demo`: both clients follow several jobs on a local sandbox at once.

Nothing leaves this machine: the sandbox listens on 127.0.0.1 and both clients
are pointed at it.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import anyio

from leapocr import AsyncLeapOCR, JobStatus, LeapOCR, LeapOCRError
from leapocr.testing import Sandbox

_print_lock = threading.Lock()


def show(client: str, job: str, message: str) -> None:
    """Print one line of a client's view of a job."""
    with _print_lock:
        print(f"[{client:5}] {job[:13]:13}  {message}", flush=True)


def describe(status: JobStatus) -> str:
    """A status as one line: state, percentage and pages."""
    pages = ""
    if status.total_pages is not None:
        pages = f" ({status.processed_pages}/{status.total_pages} pages)"

    return f"{status.status.value:15} {status.progress:5.1f}%{pages}"


def outcome(status: JobStatus) -> str:
    """How a finished wait ended."""
    if status.is_partial:
        return f"PARTIAL   {describe(status)}"

    return f"DONE      {describe(status)}"


def follow_sync(client: LeapOCR, job: str) -> None:
    """Wait for one job with the synchronous client."""
    try:
        final = client.ocr.wait_until_done(
            job, timeout=30, on_progress=lambda s: show("sync", job, describe(s))
        )
        show("sync", job, outcome(final))
    except LeapOCRError as error:
        show("sync", job, f"{type(error).__name__}: {error}")


async def follow_async(client: AsyncLeapOCR, job: str) -> None:
    """Wait for one job with the asynchronous client."""
    try:
        final = await client.ocr.wait_until_done(
            job, timeout=30, on_progress=lambda s: show("async", job, describe(s))
        )
        show("async", job, outcome(final))
    except LeapOCRError as error:
        show("async", job, f"{type(error).__name__}: {error}")


def jobs(sandbox: Sandbox) -> list[str]:
    """A completed, a failed, a partially done job and an unknown id."""
    return [
        sandbox.add_job(pages=8, duration=4.0, outcome="completed", shape="live"),
        sandbox.add_job(pages=6, duration=3.0, outcome="completed", shape="documented"),
        sandbox.add_job(pages=10, duration=3.0, outcome="failed"),
        sandbox.add_job(pages=12, duration=3.5, outcome="partially_done"),
        "job_unknown42",
    ]


async def run_async(sandbox: Sandbox) -> None:
    """Follow a fresh set of jobs concurrently with the async client."""
    client = AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url)
    async with client, anyio.create_task_group() as group:
        for job in jobs(sandbox):
            group.start_soon(follow_async, client, job)


def main() -> int:
    """Start the sandbox, run both clients, stop the sandbox."""
    with Sandbox() as sandbox:
        print(f"sandbox listening at {sandbox.base_url}\n")
        print("== synchronous client, one thread per job ==")
        with LeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
            sandbox.inject(503)  # one server error, retried without fuss
            with ThreadPoolExecutor() as pool:
                for job in jobs(sandbox):
                    pool.submit(follow_sync, client, job)

        print("\n== asynchronous client, one task per job ==")
        sandbox.inject(429, retry_after="0.5")  # a rate limit, honoured
        anyio.run(run_async, sandbox)
        print(f"\n{sandbox.requests} status requests served; sandbox stopped.")

    return 0


if __name__ == "__main__":
    sys.exit(main())
