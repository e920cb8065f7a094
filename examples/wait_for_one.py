"""Follow one job to its end with the synchronous client.

Runs against a sandbox it starts on 127.0.0.1; against the service, build the
client with `LeapOCR()` and set LEAPOCR_API_KEY instead.
"""

from __future__ import annotations

from leapocr import JobFailedError, JobStatus, LeapOCR
from leapocr.testing import Sandbox


def show(status: JobStatus) -> None:
    print(f"  {status.status.value:<12} {status.progress:5.1f}%")


def main() -> None:
    with Sandbox() as sandbox:
        good = sandbox.add_job(pages=4, duration=1.0)
        bad = sandbox.add_job(pages=4, duration=0.5, outcome="failed")
        with LeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
            print("now:", client.ocr.get_job_status(good).status.value)

            final = client.ocr.wait_until_done(good, timeout=30, on_progress=show)
            print("done:", final.status.value, f"{final.processed_pages} pages")

            try:
                client.ocr.wait_until_done(bad, timeout=30)
            except JobFailedError as error:
                print("failed as expected:", error.error_message)


if __name__ == "__main__":
    main()
