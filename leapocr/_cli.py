"""The `leapocr` command: jobs' statuses from a shell, and a sandbox to try it on.

Usage::

    leapocr status JOB_ID [JOB_ID ...] [--wait] [--json] [--timeout SECONDS]
                   [--poll-interval SECONDS] [--max-retries N] [--base-url URL]
    leapocr sandbox [--port N]

The API key comes from ``LEAPOCR_API_KEY`` and is never printed. Exit codes
are listed in ``EXIT_CODES``; when jobs end differently, the highest code that
applies to any of them is returned.

Not imported by ``import leapocr``: it is loaded only when the command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

import httpx

from leapocr._batch_sync import as_completed_by_id
from leapocr._cli_output import JsonView, LiveView, PlainView, View, printable
from leapocr._config import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    check_job_id,
)
from leapocr._exceptions import (
    AuthenticationError,
    BadRequestError,
    JobFailedError,
    JobTimeoutError,
    LeapOCRError,
    NotFoundError,
    PermissionDeniedError,
)
from leapocr._models import JobStatus
from leapocr._sync import LeapOCR
from leapocr._version import __version__

__all__ = ["EXIT_CODES", "main"]

EXIT_COMPLETED = 0
EXIT_JOB_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FINISHED = 3
EXIT_REFUSED = 4
EXIT_NOT_FOUND = 5
EXIT_ERROR = 6
EXIT_INTERRUPTED = 130

#: What each exit code means, as `leapocr status --help` shows it.
EXIT_CODES = {
    EXIT_COMPLETED: "every job completed",
    EXIT_JOB_FAILED: "a job failed or was only partially done",
    EXIT_USAGE: "bad usage: an unknown option, no API key, a bad URL, id or timeout",
    EXIT_NOT_FINISHED: "a job had not finished: still running, or the wait timed out",
    EXIT_REFUSED: "the key was refused (401) or the job is another account's (403)",
    EXIT_NOT_FOUND: "no such job (404), or a malformed job id (400)",
    EXIT_ERROR: "no answer, or an error that retrying did not cure",
    EXIT_INTERRUPTED: "interrupted with Ctrl-C",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (the process's arguments by default).

    Returns:
        The exit code; see ``EXIT_CODES``.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        # argparse exits on --help, --version and bad usage; return its code.
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE

    try:
        if args.command == "sandbox":
            from leapocr._cli_sandbox import serve  # noqa: PLC0415 -- on demand

            return serve(args.port, sys.stdout, sys.stderr)

        return _status(args, sys.stdout, sys.stderr)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return EXIT_INTERRUPTED


def _status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        for job_id in args.job_ids:
            check_job_id(job_id)
        _check_timeout(args.timeout)
        timeout = DEFAULT_TIMEOUT if args.wait else (args.timeout or DEFAULT_TIMEOUT)
        client = LeapOCR(
            base_url=args.base_url, timeout=timeout, max_retries=args.max_retries
        )
        with client:
            if args.wait:
                return _follow(client, args, _view(args, out, follow=True))

            return _show(client, args.job_ids, _view(args, out, follow=False))
    except _CALLER_MISTAKES as error:
        err.write(f"leapocr: {_one_line(str(error))}\n")
        return EXIT_USAGE


#: Errors that mean the command was given something it cannot use: the
#: library raises ValueError or TypeError for them. httpx's own error for an
#: address it cannot parse, and OverflowError for a number of seconds too big
#: for the system's clock, are caught too, should they get past its checks.
_CALLER_MISTAKES = (ValueError, TypeError, OverflowError, httpx.InvalidURL)
#: The most of an error message shown: it may quote a huge argument.
_MESSAGE_LIMIT = 200


def _check_timeout(timeout: float | None) -> None:
    # Beyond this, the socket and the threads' waits overflow the system's
    # clock (OverflowError, and a socket left open) instead of waiting.
    if timeout is not None and timeout > threading.TIMEOUT_MAX:
        raise ValueError(f"--timeout must be at most {threading.TIMEOUT_MAX:.0f}")


def _one_line(message: str) -> str:
    text = printable(message)
    if len(text) > _MESSAGE_LIMIT:
        return text[: _MESSAGE_LIMIT - 3] + "..."

    return text


def _show(client: LeapOCR, job_ids: list[str], view: View) -> int:
    code = EXIT_COMPLETED
    for job_id in job_ids:
        try:
            status = client.ocr.get_job_status(job_id)
        except LeapOCRError as error:
            view.error(job_id, error)
            code = max(code, error_exit_code(error))
        else:
            view.update(job_id, status)
            code = max(code, status_exit_code(status))

    return code


def _follow(client: LeapOCR, args: argparse.Namespace, view: View) -> int:
    code = EXIT_COMPLETED
    outcomes = as_completed_by_id(
        client.ocr,
        args.job_ids,
        timeout=args.timeout or DEFAULT_WAIT_TIMEOUT,
        poll_interval=args.poll_interval,
        on_progress=view.update,
    )
    for job_id, outcome in outcomes:
        if isinstance(outcome, LeapOCRError):
            view.error(job_id, outcome)
            code = max(code, error_exit_code(outcome))
        else:
            code = max(code, status_exit_code(outcome))

    return code


def _view(args: argparse.Namespace, out: TextIO, *, follow: bool) -> View:
    if args.json:
        return JsonView(out)

    jobs = list(dict.fromkeys(args.job_ids))
    live = (
        out.isatty() and os.environ.get("TERM") != "dumb" and LiveView.fits(len(jobs))
    )
    if follow and live:
        return LiveView(out, jobs)

    return PlainView(out)


def status_exit_code(status: JobStatus) -> int:
    """The exit code a job's status calls for."""
    if status.is_completed:
        return EXIT_COMPLETED
    if status.is_terminal:
        return EXIT_JOB_FAILED

    return EXIT_NOT_FINISHED


def error_exit_code(error: LeapOCRError) -> int:
    """The exit code an error calls for."""
    for kind, code in _ERROR_CODES:
        if isinstance(error, kind):
            return code

    return EXIT_ERROR


_ERROR_CODES: tuple[tuple[type[LeapOCRError], int], ...] = (
    (JobFailedError, EXIT_JOB_FAILED),
    (JobTimeoutError, EXIT_NOT_FINISHED),
    (AuthenticationError, EXIT_REFUSED),
    (PermissionDeniedError, EXIT_REFUSED),
    (NotFoundError, EXIT_NOT_FOUND),
    (BadRequestError, EXIT_NOT_FOUND),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leapocr", description="Follow LeapOCR jobs from a shell."
    )
    parser.add_argument("--version", action="version", version=f"leapocr {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_status(commands)
    sandbox = commands.add_parser(
        "sandbox",
        help="run a LeapOCR-compatible server on 127.0.0.1 to try things offline",
        description="Serve a few sample jobs on 127.0.0.1 until Ctrl-C.",
    )
    sandbox.add_argument(
        "--port",
        type=_port,
        default=0,
        help="the port to listen on (default: any free one)",
    )

    return parser


def _add_status(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    codes = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items())
    status = commands.add_parser(
        "status",
        help="show jobs' statuses; --wait follows them to the end",
        description=f"Show jobs' statuses. The API key comes from {API_KEY_ENV}.",
        epilog=f"exit codes (the highest that applies to any job):\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument("job_ids", nargs="+", metavar="JOB_ID")
    status.add_argument(
        "--wait", action="store_true", help="follow the jobs until they end"
    )
    status.add_argument(
        "--json", action="store_true", help="print one JSON object per line"
    )
    status.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help=f"with --wait, how long to wait in all (default {DEFAULT_WAIT_TIMEOUT:g}"
        f"); without, how long each request may take (default {DEFAULT_TIMEOUT:g})",
    )
    status.add_argument(
        "--poll-interval",
        type=_seconds,
        metavar="SECONDS",
        help="with --wait, the shortest gap between two polls of a job",
    )
    status.add_argument(
        "--max-retries",
        type=_count,
        default=DEFAULT_MAX_RETRIES,
        metavar="N",
        help=f"retries of a failed request (default {DEFAULT_MAX_RETRIES})",
    )
    status.add_argument(
        "--base-url",
        type=_base_url,
        metavar="URL",
        help=f"the service's address (default: ${BASE_URL_ENV}, then the service's)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")

    return value


def _base_url(text: str) -> str:
    # An empty address must not count as "not given", which would fall back
    # to $LEAPOCR_BASE_URL or the real service without a word.
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")

    return text


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a count: {text!r}")

    return int(text)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 0 to 65535: {text!r}")

    return value
