"""What a response means: statuses, progress, and errors whatever the body."""

from __future__ import annotations

import httpx
import pytest

from leapocr import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidResponseError,
    JobState,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from leapocr._response import EXCERPT_LENGTH, read_status
from tests.engine_driver import REQUEST

NOW = 1_800_000_000.0


def read(status: int = 200, content: bytes | str = b"", **headers: str):  # type: ignore[no-untyped-def]
    """Read a raw answer as the engine would."""
    body = content.encode() if isinstance(content, str) else content
    return read_status(
        httpx.Response(status, content=body, headers=headers, request=REQUEST),
        "job_asked",
        NOW,
    )


def test_live_shape() -> None:
    """The live shape: id, no progress; progress comes from the pages."""
    status = read(
        content='{"id": "u-1", "status": "processing", "total_pages": 8,'
        ' "processed_pages": 2, "created_at": "2026-01-02T03:04:05Z",'
        ' "processing_time": 12}'
    )
    assert status.job_id == "u-1"
    assert status.progress == 25.0
    assert status.created_at is not None
    assert status.created_at.year == 2026
    assert status.processing_time == 12


def test_documented_shape_uses_the_service_fraction() -> None:
    """The documented shape: job_id and a fraction that wins over the pages."""
    status = read(
        content='{"job_id": "job_abc123", "status": "processing",'
        ' "progress": 0.45, "total_pages": 10, "processed_pages": 4}'
    )
    assert status.job_id == "job_abc123"
    assert status.progress == pytest.approx(45.0)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"status": "processing", "progress": 7}', 7.0),
        ('{"status": "processing", "progress": 250}', 100.0),
        ('{"status": "processing", "progress": -0.5}', 0.0),
        ('{"status": "processing", "total_pages": 0, "processed_pages": 0}', 0.0),
        ('{"status": "processing", "total_pages": 3, "processed_pages": 9}', 100.0),
        ('{"status": "completed"}', 100.0),
        ('{"status": "pending", "total_pages": null}', 0.0),
    ],
)
def test_progress_stays_a_percentage(body: str, expected: float) -> None:
    """Progress is always within 0..100, whatever the service sends."""
    assert read(content=body).progress == pytest.approx(expected)


def test_unknown_state_is_kept() -> None:
    """A state this SDK does not list keeps its wire string."""
    status = read(content='{"status": "archived"}')
    assert status.status.value == "archived"
    assert not status.status.is_known
    assert not status.is_terminal
    assert status.job_id == "job_asked"


def test_extra_fields_are_kept() -> None:
    """Fields the SDK does not know stay reachable."""
    status = read(content='{"status": "completed", "pages_billed": 3}')
    assert status.extra == {"pages_billed": 3}
    assert status.status is JobState.COMPLETED


@pytest.mark.parametrize(
    "body",
    [
        "",
        "<html><body>Bad gateway</body></html>",
        '"processing"',
        "[1, 2]",
        "{}",
        '{"status": null}',
        '{"status": 3}',
        '{"status": "processing", "total_pages": "ten"}',
        '{"status": "processing", "total_pages": 2.5}',
        '{"status": "processing", "progress": true}',
        '{"status": "processing", "progress": NaN}',
        '{"status": "processing", "created_at": 20260101}',
        '{"status": "processing", "error_message": {"a": 1}}',
        "[" * 100_000,
        b"\xff\xfe\x00garbage",
    ],
)
def test_unreadable_success_is_invalid_response(body: str | bytes) -> None:
    """A 200 whose body is not a job status raises InvalidResponseError."""
    with pytest.raises(InvalidResponseError) as caught:
        read(content=body)
    assert caught.value.status_code == 200
    assert len(caught.value.body) <= EXCERPT_LENGTH


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (418, APIError),
    ],
)
def test_error_statuses_map_to_types(status: int, kind: type[APIError]) -> None:
    """Each error status becomes its own exception type."""
    envelope = '{"code": "X_CODE", "error": {"message": "went wrong"}, "details": null}'
    with pytest.raises(kind) as caught:
        read(status, envelope, **{"X-Request-Id": "req_1"})
    assert type(caught.value) is kind
    assert caught.value.status_code == status
    assert caught.value.code == "X_CODE"
    assert caught.value.message == "went wrong"
    assert caught.value.request_id == "req_1"


@pytest.mark.parametrize(
    "body",
    ["", "Service Unavailable", "<html>" + "x" * 5000 + "</html>", '{"detail": 1}'],
)
def test_error_without_envelope_keeps_an_excerpt(body: str) -> None:
    """An error body that is not the envelope still gives a short message."""
    with pytest.raises(InternalServerError) as caught:
        read(502, body)
    assert caught.value.message
    assert len(caught.value.body) <= EXCERPT_LENGTH
    assert caught.value.code is None


def test_retry_after_read_from_an_error() -> None:
    """Retry-After on a 429 is kept in seconds."""
    with pytest.raises(RateLimitError) as caught:
        read(429, "", **{"Retry-After": "1.5"})
    assert caught.value.retry_after == 1.5
