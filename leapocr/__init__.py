"""The Python SDK for LeapOCR's job-status API.

Example::

    from leapocr import LeapOCR

    with LeapOCR() as client:  # the key comes from LEAPOCR_API_KEY
        final = client.ocr.wait_until_done("job_abc123", on_progress=print)
"""

import logging

from leapocr._async import AsyncLeapOCR, AsyncOCR
from leapocr._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidResponseError,
    JobFailedError,
    JobTimeoutError,
    LeapOCRError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from leapocr._models import JobState, JobStatus
from leapocr._sync import OCR, LeapOCR
from leapocr._version import __version__

# The SDK logs under "leapocr"; what is shown is the application's choice.
logging.getLogger("leapocr").addHandler(logging.NullHandler())

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncLeapOCR",
    "AsyncOCR",
    "AuthenticationError",
    "BadRequestError",
    "InternalServerError",
    "InvalidResponseError",
    "JobFailedError",
    "JobState",
    "JobStatus",
    "JobTimeoutError",
    "LeapOCR",
    "LeapOCRError",
    "NotFoundError",
    "OCR",
    "PermissionDeniedError",
    "RateLimitError",
    "__version__",
]
