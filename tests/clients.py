"""Run one call through the sync client or the async one, alike."""

from __future__ import annotations

from typing import Any

import anyio

from leapocr import AsyncLeapOCR, JobStatus, LeapOCR

KINDS = ["sync", "asyncio", "trio"]


class Driver:
    """Calls `client.ocr` methods through one kind of client."""

    def __init__(self, kind: str, base_url: str, api_key: str, **options: Any) -> None:
        """Remember how to build the client for each call."""
        self.kind = kind
        self.options = {"base_url": base_url, **options}
        self.api_key = api_key
        self.seen: list[JobStatus] = []

    def call(self, method: str, job_id: str, **kwargs: Any) -> Any:
        """Run ``client.ocr.<method>(job_id, **kwargs)`` and return its result."""
        if self.kind == "sync":
            with LeapOCR(self.api_key, **self.options) as client:
                result = getattr(client.ocr, method)(job_id, **kwargs)
                return list(result) if method == "iter_status" else result

        async def run() -> Any:
            async with AsyncLeapOCR(self.api_key, **self.options) as client:
                if method == "iter_status":
                    return [s async for s in client.ocr.iter_status(job_id, **kwargs)]
                return await getattr(client.ocr, method)(job_id, **kwargs)

        return anyio.run(run, backend=self.kind)

    def wait(self, job_id: str, **kwargs: Any) -> JobStatus:
        """wait_until_done, recording each progress report in ``seen``."""
        result: JobStatus = self.call(
            "wait_until_done", job_id, on_progress=self.seen.append, **kwargs
        )
        return result
