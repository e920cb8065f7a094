"""Wait on many jobs at once with the asynchronous client (asyncio or trio).

The async `as_completed` is entered with `async with`: its waits run in a
task group that the block owns, and leaving the block stops them.
"""

from __future__ import annotations

import anyio

from leapocr import AsyncLeapOCR
from leapocr.testing import Sandbox


async def follow(sandbox: Sandbox) -> None:
    jobs = [sandbox.add_job(pages=3, duration=0.25 * n) for n in range(1, 6)]
    async with AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        async with client.ocr.as_completed(jobs, timeout=30) as finished:
            async for status in finished:
                print("finished:", status.job_id, status.status.value)

        finals = await client.ocr.wait_all(jobs, timeout=30)
        print("all completed:", all(status.is_completed for status in finals))


def main() -> None:
    with Sandbox() as sandbox:
        anyio.run(follow, sandbox)


if __name__ == "__main__":
    main()
