"""Bad answers from the server, over HTTP, through every client.

Whatever comes back ends as a `JobStatus` or a `LeapOCRError` carrying the
status code and a short excerpt of the body; nothing else escapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

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
from leapocr._response import EXCERPT_LENGTH, FIELDS
from tests.clients import KINDS, Driver
from tests.servers import Answer, ScriptedServer, json_answer

FAKE_KEY = "test-key-not-a-secret"
JSON = "application/json"
HTML_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body>" + (
    b"<p>nginx</p>" * 400 + b"</body></html>"
)


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedServer]:
    """One server for the module, its script set by each test."""
    with ScriptedServer([]) as running:
        yield running


@pytest.fixture(params=KINDS)
def driver(request: pytest.FixtureRequest, scripted: ScriptedServer) -> Driver:
    """The sync client, the async one on asyncio, and on trio; no retries."""
    return Driver(request.param, scripted.base_url, FAKE_KEY, max_retries=0)


def status_of(server: ScriptedServer, driver: Driver, answer: Answer):  # type: ignore[no-untyped-def]
    """Serve ``answer`` and return what get_job_status makes of it."""
    server.play([answer])

    return driver.call("get_job_status", "job_1")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (HTML_PAGE, "text/html"),
        (b"", JSON),
        (b"not json {", JSON),
        (b'"processing"', JSON),
        (b'["processing", 50]', JSON),
        (b"null", JSON),
        (b'{"id": "job_1", "progress": 0.5}', JSON),
        (b'{"status": null}', JSON),
        (b'{"status": ""}', JSON),
        (b'{"status": {"state": "processing"}}', JSON),
        (b'{"status": "processing", "total_pages": "ten"}', JSON),
        (b'{"status": "processing", "total_pages": 1e400}', JSON),
        (b'{"status": "processing", "total_pages": 1' + b"0" * 400 + b"}", JSON),
        (b'{"status": "processing", "progress": Infinity}', JSON),
        (b'{"status": "processing", "updated_at": ["last tuesday"]}', JSON),
        (b"\xff\xfe\x00\x01 binary", "application/octet-stream"),
    ],
)
def test_unreadable_success_is_an_invalid_response(
    scripted: ScriptedServer, driver: Driver, body: bytes, content_type: str
) -> None:
    """A 200 whose body is no job status: InvalidResponseError with an excerpt."""
    answer = Answer(200, body, {"Content-Type": content_type})
    with pytest.raises(InvalidResponseError) as caught:
        status_of(scripted, driver, answer)
    error = caught.value
    assert error.status_code == 200
    assert len(error.body) <= EXCERPT_LENGTH
    assert error.message.startswith("unreadable job status")
    assert len(error.message) < 2 * EXCERPT_LENGTH


NULLABLE = sorted(FIELDS - {"status"})


@pytest.mark.parametrize("field", NULLABLE)
def test_null_in_any_field_is_read_as_absent(
    scripted: ScriptedServer, driver: Driver, field: str
) -> None:
    """A null in any field but status reads as "not known"."""
    document = {"status": "processing", "id": "job_9", field: None}
    status = status_of(scripted, driver, json_answer(document))
    assert status.status is JobState.PROCESSING
    assert status.progress == 0.0
    if hasattr(status, field) and field not in {"job_id", "progress"}:
        assert getattr(status, field) is None
    assert status.job_id == ("job_1" if field == "id" else "job_9")


@pytest.mark.parametrize(
    ("document", "progress"),
    [
        ({"status": "processing", "progress": 250}, 100.0),
        ({"status": "processing", "progress": -0.5}, 0.0),
        ({"status": "processing", "progress": -40}, 0.0),
        ({"status": "processing", "total_pages": 4, "processed_pages": 9}, 100.0),
        ({"status": "processing", "total_pages": 4, "processed_pages": -2}, 0.0),
        ({"status": "processing", "total_pages": 0, "processed_pages": 0}, 0.0),
        ({"status": "processing", "total_pages": 0, "processed_pages": 3}, 0.0),
        ({"status": "processing", "total_pages": None, "processed_pages": 3}, 0.0),
        ({"status": "completed", "total_pages": 0, "processed_pages": 0}, 100.0),
        ({"status": "completed", "total_pages": None}, 100.0),
    ],
)
def test_progress_is_always_a_percentage(
    scripted: ScriptedServer,
    driver: Driver,
    document: dict[str, object],
    progress: float,
) -> None:
    """Progress out of range, or pages of 0 or null, still give 0..100."""
    status = status_of(scripted, driver, json_answer(document))
    assert status.progress == progress
    assert status.total_pages == document.get("total_pages")


def test_extra_fields_are_kept(scripted: ScriptedServer, driver: Driver) -> None:
    """Fields this SDK does not know stay reachable, nested ones included."""
    document = {
        "status": "completed",
        "pages_billed": 3,
        "meta": {"region": "eu", "tags": [1, None]},
    }
    status = status_of(scripted, driver, json_answer(document))
    assert status.extra == {
        "pages_billed": 3,
        "meta": {"region": "eu", "tags": [1, None]},
    }
    assert status.raw == document


@pytest.mark.parametrize(
    "content_type",
    ["text/html", "text/plain", "application/octet-stream", "application/problem+json"],
)
def test_content_type_does_not_decide(
    scripted: ScriptedServer, driver: Driver, content_type: str
) -> None:
    """A job status labelled with the wrong content type is still read.

    Proxies relabel bodies; the body decides, and one that is no job status is
    refused whatever its label (see the test above).
    """
    body = json.dumps({"status": "processing", "progress": 0.25}).encode()
    status = status_of(
        scripted, driver, Answer(200, body, {"Content-Type": content_type})
    )
    assert status.progress == 25.0


ERROR_BODIES = {
    "bare string": (b"Service temporarily unavailable", "text/plain"),
    "empty": (b"", "text/plain"),
    "html": (HTML_PAGE, "text/html"),
    "json without envelope": (b'{"detail": "no", "status": 1}', JSON),
    "json list": (b'["error"]', JSON),
    "json string": (b'"error"', JSON),
}
ERROR_TYPES = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    418: APIError,
    429: RateLimitError,
    500: InternalServerError,
    502: InternalServerError,
    503: InternalServerError,
}


@pytest.mark.parametrize("status_code", sorted(ERROR_TYPES))
@pytest.mark.parametrize("shape", sorted(ERROR_BODIES))
def test_error_statuses_with_any_body(
    scripted: ScriptedServer, driver: Driver, status_code: int, shape: str
) -> None:
    """Error statuses end as their own type with the status and an excerpt."""
    body, content_type = ERROR_BODIES[shape]
    answer = Answer(status_code, body, {"Content-Type": content_type})
    with pytest.raises(APIError) as caught:
        status_of(scripted, driver, answer)
    error = caught.value
    assert type(error) is ERROR_TYPES[status_code]
    assert error.status_code == status_code
    assert error.code is None
    assert error.message
    assert len(error.message) <= EXCERPT_LENGTH
    assert len(error.body) <= EXCERPT_LENGTH
    assert f"HTTP {status_code}" in str(error)


def test_envelope_message_is_cut_short(
    scripted: ScriptedServer, driver: Driver
) -> None:
    """An envelope with an enormous message or code still gives short fields."""
    document = {"code": "X" * 5000, "error": {"message": "word " * 5000}}
    with pytest.raises(NotFoundError) as caught:
        status_of(scripted, driver, json_answer(document, 404))
    assert len(caught.value.message) <= EXCERPT_LENGTH
    assert caught.value.code is not None
    assert len(caught.value.code) <= EXCERPT_LENGTH


def progress_script(*fractions: float) -> list[Answer]:
    """Processing answers with these progress fractions, then completed."""
    answers = [json_answer({"status": "processing", "progress": f}) for f in fractions]

    return [*answers, json_answer({"status": "completed", "progress": 1.0})]


def test_progress_going_back_is_held(scripted: ScriptedServer, driver: Driver) -> None:
    """During a wait, progress reported never goes below what was reported."""
    scripted.play(progress_script(0.5, 0.3, 0.6, 0.55, 0.7))
    final = driver.wait("job_1", timeout=20, poll_interval=0.01)
    seen = [status.progress for status in driver.seen]
    assert seen == pytest.approx([50.0, 60.0, 70.0, 100.0])
    assert final.is_completed
    assert len(scripted.requests) == 6


def test_single_reads_report_progress_as_sent(
    scripted: ScriptedServer, driver: Driver
) -> None:
    """get_job_status has nothing to hold progress against: it says what was sent."""
    scripted.play(progress_script(0.5, 0.3))
    first = driver.call("get_job_status", "job_1")
    second = driver.call("get_job_status", "job_1")
    assert (first.progress, second.progress) == pytest.approx((50.0, 30.0))
