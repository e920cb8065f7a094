"""`leapocr sandbox`: the sandbox as a standalone server, until Ctrl-C.

It listens on 127.0.0.1 only and prints what a user needs to try the command
and the library offline: the address, a key and a few jobs that move with
time from the moment it starts.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from leapocr.testing import Sandbox

__all__ = ["sample_jobs", "serve"]

_NEEDS_EXTRA = (
    "leapocr: the sandbox needs the testing extra: pip install 'leapocr[testing]'\n"
)


def serve(
    port: int, out: TextIO, err: TextIO, stop: threading.Event | None = None
) -> int:
    """Serve sample jobs on 127.0.0.1 until Ctrl-C (or until ``stop`` is set).

    Args:
        port: The port to listen on; 0 picks a free one.
        out: Where the address, the key and the jobs are printed.
        err: Where problems are printed.
        stop: Ends the serving when set; for tests.

    Returns:
        0 once stopped, 2 if the sandbox cannot start.
    """
    try:
        from leapocr.testing import Sandbox  # noqa: PLC0415 -- an optional extra
    except ImportError:
        err.write(_NEEDS_EXTRA)
        return 2

    sandbox = Sandbox(port=port)
    try:
        sandbox.start()
    except OSError as error:
        err.write(f"leapocr: cannot listen on 127.0.0.1:{port}: {error}\n")
        return 2

    try:
        out.write(_banner(sandbox, sample_jobs(sandbox)))
        out.flush()
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        out.write("sandbox stopped\n")
    finally:
        sandbox.stop()

    return 0


def sample_jobs(sandbox: Sandbox) -> dict[str, str]:
    """Add a few jobs with different endings; return their ids and stories."""
    return {
        sandbox.add_job(pages=3, duration=5.0): "completes in 5 s (3 pages)",
        sandbox.add_job(pages=10, duration=20.0): "completes in 20 s (10 pages)",
        sandbox.add_job(
            pages=8, duration=12.0, outcome="failed"
        ): "fails after 12 s, at page 5",
        sandbox.add_job(
            pages=12, duration=15.0, outcome="partially_done"
        ): "ends partially done after 15 s",
        sandbox.add_job(
            pages=20, duration=30.0, start_delay=10.0
        ): "pending for 10 s, then 30 s processing",
    }


def _banner(sandbox: Sandbox, jobs: dict[str, str]) -> str:
    listing = "\n".join(f"  {job_id}  {story}" for job_id, story in jobs.items())
    ids = " ".join(jobs)

    return (
        f"LeapOCR sandbox on {sandbox.base_url} (loopback only; Ctrl-C stops it)\n"
        "\nPoint the command or the library at it:\n"
        f"  export LEAPOCR_BASE_URL={sandbox.base_url}\n"
        f"  export LEAPOCR_API_KEY={sandbox.api_key}\n"
        f"\nJobs, timed from now:\n{listing}\n"
        f"\nTry:\n  leapocr status --wait {ids}\n\n"
    )
