"""A rate-limited service: `wait_all` against one `wait_until_done` per job.

The sandbox answers 429 beyond 10 requests a second. Both ways share the
client's backoff (a 429 to one waiter slows the others down); `wait_all` also
waits on a few jobs at a time, so it asks less and is refused less.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from leapocr import LeapOCR
from leapocr.testing import Sandbox


def run(many: bool) -> str:
    with Sandbox() as sandbox:
        sandbox.rate_limit(10, burst=5, retry_after="0.5")
        jobs = [sandbox.add_job(pages=4, duration=1.0) for _ in range(20)]
        # Twenty waiters against ten requests a second are refused again and
        # again at first; more retries than the default three let each one
        # ride out its turn instead of giving up with RateLimitError.
        client = LeapOCR(sandbox.api_key, base_url=sandbox.base_url, max_retries=10)
        with client:
            if many:
                client.ocr.wait_all(jobs, timeout=60, max_concurrency=4)
            else:
                with ThreadPoolExecutor(len(jobs)) as pool:
                    list(pool.map(client.ocr.wait_until_done, jobs))

        return f"{sandbox.requests} requests, {sandbox.rate_limited} refused"


def main() -> None:
    print("one wait_until_done per job:", run(many=False))
    print("wait_all:                   ", run(many=True))


if __name__ == "__main__":
    main()
