"""How the `leapocr` command shows statuses: live bars, plain lines or JSON lines.

Every view takes the same calls (`update` with each change of a job, `error`
when a job's wait or request ended in an error) from any thread, and writes
whole lines under a lock. Each call names the job by the id the user asked
for, whatever id the server's answer carries.

Text meant for a terminal goes through `printable` first: a server's message
holding an escape sequence or a newline must not clear the screen or forge a
line. JSON lines need no such care, since `json.dumps` escapes them itself.
"""

from __future__ import annotations

import json
import shutil
import threading
from typing import Any, TextIO

from leapocr._exceptions import APIError, JobFailedError, LeapOCRError
from leapocr._models import JobStatus

__all__ = [
    "JsonView",
    "LiveView",
    "PlainView",
    "View",
    "describe",
    "error_record",
    "printable",
    "status_record",
]

#: Characters of the progress bar itself, between its brackets.
BAR_WIDTH = 24


def printable(text: str) -> str:
    r"""``text`` with each character a terminal would act on shown as an escape.

    Control characters (ESC, CR, LF, BEL, the C1 range, ...), and the other
    characters Python does not deem printable, become ``\x1b``-style escapes.
    """
    if text.isprintable():
        return text

    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"

    return f"\\U{code:08x}"


def describe(status: JobStatus) -> str:
    """A status in a few words: state, percentage, pages, reason for failing."""
    text = f"{status.status.value:<14} {status.progress:5.1f}%"
    if status.total_pages is not None:
        text += f"  {status.processed_pages or 0}/{status.total_pages} pages"
    if status.error_message:
        text += f"  {status.error_message}"

    return text


def status_record(job_id: str, status: JobStatus) -> dict[str, Any]:
    """A job's status as a JSON object, with the fields a script needs."""
    return {
        "job_id": job_id,
        "status": status.status.value,
        "progress": round(status.progress, 2),
        "processed_pages": status.processed_pages,
        "total_pages": status.total_pages,
        "error_message": status.error_message,
        "final": status.is_terminal,
    }


def error_record(job_id: str, error: LeapOCRError) -> dict[str, Any]:
    """An error as a JSON object: its type, message and HTTP status."""
    record: dict[str, Any] = {"job_id": job_id, "final": True}
    record["error"] = {
        "type": type(error).__name__,
        "message": str(error),
        "status_code": error.status_code if isinstance(error, APIError) else None,
    }

    return record


class View:
    """Where statuses go; the base class writes nothing but holds the lock."""

    def __init__(self, out: TextIO) -> None:
        """Write to ``out``."""
        self._out = out
        self._lock = threading.Lock()

    def update(self, job_id: str, status: JobStatus) -> None:
        """Show the status of the job asked for as ``job_id``, which changed."""
        with self._lock:
            self._update(job_id, status)

    def error(self, job_id: str, error: LeapOCRError) -> None:
        """Show what ended a job's wait or request."""
        with self._lock:
            self._error(job_id, error)

    def _update(self, job_id: str, status: JobStatus) -> None:
        raise NotImplementedError

    def _error(self, job_id: str, error: LeapOCRError) -> None:
        raise NotImplementedError

    def _line(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


class PlainView(View):
    """One line per change: what a pipe or a log file wants."""

    def _update(self, job_id: str, status: JobStatus) -> None:
        self._line(printable(f"{job_id}  {describe(status)}"))

    def _error(self, job_id: str, error: LeapOCRError) -> None:
        # A failed job's status was shown already; its error adds nothing.
        if not isinstance(error, JobFailedError):
            text = f"{job_id}  error          {type(error).__name__}: {error}"
            self._line(printable(text))


class JsonView(View):
    """One JSON object per line and per change, for scripts."""

    def _update(self, job_id: str, status: JobStatus) -> None:
        self._line(json.dumps(status_record(job_id, status)))

    def _error(self, job_id: str, error: LeapOCRError) -> None:
        if not isinstance(error, JobFailedError):
            self._line(json.dumps(error_record(job_id, error)))


class LiveView(View):
    """A progress bar per job, redrawn in place on a terminal."""

    def __init__(self, out: TextIO, job_ids: list[str]) -> None:
        """Draw a waiting bar for each job."""
        super().__init__(out)
        self._rows = dict.fromkeys(job_ids, f"{'waiting':<14}")
        self._drawn = 0
        self._id_width = max((len(printable(j)) for j in job_ids), default=0)
        with self._lock:
            self._draw()

    @staticmethod
    def fits(jobs: int) -> bool:
        """Whether ``jobs`` bars fit the terminal's height, so redrawing works."""
        return jobs < shutil.get_terminal_size().lines

    def _update(self, job_id: str, status: JobStatus) -> None:
        self._rows[job_id] = f"{_bar(status.progress)}  {describe(status)}"
        self._draw()

    def _error(self, job_id: str, error: LeapOCRError) -> None:
        if not isinstance(error, JobFailedError):
            self._rows[job_id] = f"{'error':<14} {type(error).__name__}: {error}"
            self._draw()

    def _draw(self) -> None:
        width = shutil.get_terminal_size().columns - 1
        # Up to the first bar, then each line cleared and rewritten; a line
        # never reaches the last column, so it never wraps and the count of
        # lines to go up stays right.
        text = f"\x1b[{self._drawn}F" if self._drawn else ""
        for job_id, row in self._rows.items():
            line = printable(f"{printable(job_id):<{self._id_width}}  {row}")
            text += "\x1b[2K" + line[:width] + "\n"
        self._out.write(text)
        self._out.flush()
        self._drawn = len(self._rows)


def _bar(progress: float) -> str:
    filled = round(BAR_WIDTH * progress / 100)

    return "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "]"
