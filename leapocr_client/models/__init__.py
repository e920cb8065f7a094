"""Contains all the data models used in inputs/outputs"""

from .error_detail import ErrorDetail
from .error_envelope import ErrorEnvelope
from .job_state import JobState
from .job_status import JobStatus

__all__ = (
    "ErrorDetail",
    "ErrorEnvelope",
    "JobState",
    "JobStatus",
)
