"""Wait on many jobs at once with the synchronous client.

`wait_all` returns every final status in the order given; `as_completed`
yields each as its job ends. With `return_exceptions=True`, a failed or
unknown job takes its place as an error instead of stopping the others.
"""

from __future__ import annotations

from leapocr import LeapOCR, LeapOCRError
from leapocr.testing import Sandbox


def main() -> None:
    with Sandbox() as sandbox:
        jobs = [sandbox.add_job(pages=3, duration=0.3 * n) for n in range(1, 7)]
        failed = sandbox.add_job(pages=4, duration=0.4, outcome="failed")
        with LeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
            finals = client.ocr.wait_all(jobs, timeout=30, max_concurrency=3)
            print("all done:", [status.status.value for status in finals])

            for status in client.ocr.as_completed(jobs[:3], timeout=30):
                print("finished:", status.job_id)

            outcomes = client.ocr.wait_all(
                [*jobs, failed, "job_unknown"], timeout=30, return_exceptions=True
            )
            for outcome in outcomes:
                if isinstance(outcome, LeapOCRError):
                    print(f"{outcome.job_id}: {type(outcome).__name__}")


if __name__ == "__main__":
    main()
