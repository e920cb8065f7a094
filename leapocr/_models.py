"""The friendly view of a job's status: `JobState` and `JobStatus`."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["JobState", "JobStatus"]


class JobState(enum.StrEnum):
    """A job's state; ``.value`` is the string the service sent.

    The service adds states without notice, so a value this enum does not list
    becomes a member made on the fly: ``JobState("archived").value`` is
    ``"archived"`` and `JobState.is_known` is False for it.
    """

    PENDING = "pending"
    UPLOADING = "uploading"
    PROCESSING = "processing"
    COMPLETED = "completed"
    PARTIALLY_DONE = "partially_done"
    FAILED = "failed"

    @classmethod
    def _missing_(cls, value: object) -> JobState | None:
        if not isinstance(value, str):
            return None
        # Not cached in the enum's tables: a server must not grow them forever.
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """Whether this SDK knows the state (False for values added later)."""
        return self._name_ != "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """Whether the job can no longer change: completed, partial or failed."""
        return self in _TERMINAL


_TERMINAL = frozenset({JobState.COMPLETED, JobState.PARTIALLY_DONE, JobState.FAILED})


@dataclass(frozen=True, slots=True, kw_only=True)
class JobStatus:
    """One observation of a job, as the service reported it.

    Attributes:
        job_id: The job's id (the service sends it as ``id`` or ``job_id``).
        status: The job's state.
        progress: Percent done, from 0 to 100: the service's own figure when it
            sends one, else derived from the page counts.
        total_pages: Pages in the document, if known.
        processed_pages: Pages processed so far, if known.
        error_message: Why the job failed, when it did.
        created_at: When the job was created, if the service said and the
            timestamp could be read (the text is kept in ``raw``).
        updated_at: When the job last changed, on the same terms.
        file_name: The uploaded file's name, if sent.
        processing_time: Seconds spent processing, if sent.
        result_format: The result's format, if sent.
        extra: Fields this SDK does not know, as sent.
        raw: The whole body, as sent.
    """

    job_id: str
    status: JobState
    progress: float
    total_pages: int | None = None
    processed_pages: int | None = None
    error_message: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    file_name: str | None = None
    processing_time: float | None = None
    result_format: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        """Whether the job is over: completed, partially done or failed."""
        return self.status.is_terminal

    @property
    def is_completed(self) -> bool:
        """Whether every page was processed."""
        return self.status is JobState.COMPLETED

    @property
    def is_partial(self) -> bool:
        """Whether the job ended with only some pages processed."""
        return self.status is JobState.PARTIALLY_DONE

    @property
    def is_failed(self) -> bool:
        """Whether the job ended in failure; see ``error_message``."""
        return self.status is JobState.FAILED
