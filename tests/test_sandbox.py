"""The sandbox: job timelines, the wire shapes, errors and faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime

import attrs
import httpx
import pytest

from leapocr.testing import (
    DEFAULT_API_KEY,
    JobBook,
    Sandbox,
    SandboxResponse,
    mock_transport,
)

UNKNOWN_UUID = "0b0e9c4e-9a57-4d43-9a39-3f1b8e7a8d11"
LIVE_KEYS = {
    "id",
    "status",
    "total_pages",
    "processed_pages",
    "created_at",
    "updated_at",
    "error_message",
    "file_name",
    "processing_time",
    "result_format",
}
TRANSPORT_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError)


@attrs.define
class FakeClock:
    """A clock that moves only when told to."""

    now: float = 1000.0

    def __call__(self) -> float:
        """The current fake time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the fake time forward."""
        self.now += seconds


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> object:
    """Run async tests under both asyncio and trio."""
    return request.param


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock for the sandbox's job book."""
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    """A running sandbox whose jobs follow the fake clock."""
    with Sandbox(JobBook(clock=clock)) as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A plain httpx client for the sandbox, ignoring any proxy settings."""
    headers = {"X-API-Key": sandbox.api_key}
    with httpx.Client(
        base_url=sandbox.base_url, headers=headers, trust_env=False, timeout=5.0
    ) as http:
        yield http


def status(client: httpx.Client, job_id: str) -> httpx.Response:
    """Ask the sandbox for a job's status."""
    return client.get(f"/ocr/status/{job_id}")


def envelope_code(response: httpx.Response) -> object:
    """The `code` of an error envelope."""
    return response.json()["code"]


def test_base_url_is_loopback(sandbox: Sandbox) -> None:
    """The sandbox listens on 127.0.0.1 and mounts the API under /api/v1."""
    assert sandbox.base_url.startswith("http://127.0.0.1:")
    assert sandbox.base_url.endswith("/api/v1")


def test_base_url_needs_a_running_sandbox() -> None:
    """Asking a stopped sandbox for its URL is a programmer error."""
    with pytest.raises(RuntimeError, match="not running"):
        _ = Sandbox().base_url


def test_stop_is_idempotent_and_restart_works() -> None:
    """A sandbox stops twice without complaint and starts again."""
    sandbox = Sandbox()
    sandbox.start()
    sandbox.stop()
    sandbox.stop()
    with sandbox, httpx.Client(trust_env=False) as http:
        job_id = sandbox.add_job()
        headers = {"X-API-Key": sandbox.api_key}
        response = http.get(f"{sandbox.base_url}/ocr/status/{job_id}", headers=headers)

    assert response.status_code == 200


def test_job_moves_with_the_clock(
    sandbox: Sandbox, client: httpx.Client, clock: FakeClock
) -> None:
    """A job is pending, then gains pages while processing, then completes."""
    job_id = sandbox.add_job(pages=10, duration=10.0, start_delay=2.0)
    seen = []
    for _ in range(5):
        body = status(client, job_id).json()
        seen.append((body["status"], body["processed_pages"]))
        clock.advance(3.0)

    assert seen == [
        ("pending", 0),
        ("processing", 1),
        ("processing", 4),
        ("processing", 7),
        ("completed", 10),
    ]


def test_live_shape(sandbox: Sandbox, client: httpx.Client, clock: FakeClock) -> None:
    """The live shape carries `id` and timestamps, and no `progress`."""
    job_id = sandbox.add_job(pages=4, duration=2.0)
    clock.advance(1.5)
    response = status(client, job_id)
    body = response.json()

    assert response.headers["content-type"] == "application/json"
    assert set(body) == LIVE_KEYS
    assert body["id"] == job_id
    assert body["processed_pages"] == 3
    assert body["error_message"] is None
    assert body["file_name"] == "document-1.pdf"
    assert body["processing_time"] == 1
    assert body["result_format"] == "structured"
    assert body["created_at"].endswith("Z")
    created = datetime.fromisoformat(body["created_at"])
    updated = datetime.fromisoformat(body["updated_at"])
    assert updated > created


def test_documented_shape(
    sandbox: Sandbox, client: httpx.Client, clock: FakeClock
) -> None:
    """The documented shape carries `job_id` and progress as a fraction."""
    job_id = sandbox.add_job(pages=10, duration=10.0, shape="documented")
    clock.advance(4.5)
    body = status(client, job_id).json()

    assert body == {
        "job_id": job_id,
        "status": "processing",
        "progress": 0.45,
        "total_pages": 10,
        "processed_pages": 4,
    }


def test_failed_job_stops_part_way(
    sandbox: Sandbox, client: httpx.Client, clock: FakeClock
) -> None:
    """A failed job stops at half its pages and explains why."""
    job_id = sandbox.add_job(pages=10, duration=1.0, outcome="failed")
    clock.advance(0.9)
    running = status(client, job_id).json()
    clock.advance(0.1)
    body = status(client, job_id).json()

    assert (running["status"], running["error_message"]) == ("processing", None)
    assert (body["status"], body["processed_pages"]) == ("failed", 5)
    assert body["error_message"] == "Failed to process page 6"


def test_partially_done_ends_short(
    sandbox: Sandbox, client: httpx.Client, clock: FakeClock
) -> None:
    """A partially done job ends with fewer pages processed than it has."""
    job_id = sandbox.add_job(pages=8, duration=1.0, outcome="partially_done")
    clock.advance(1.0)
    body = status(client, job_id).json()

    assert body["status"] == "partially_done"
    assert 0 < body["processed_pages"] < 8


def test_final_status_overrides_the_outcome(
    sandbox: Sandbox, client: httpx.Client, clock: FakeClock
) -> None:
    """A job can end in a status the SDK does not know."""
    job_id = sandbox.add_job(duration=1.0, final_status="archived")
    clock.advance(1.0)

    assert status(client, job_id).json()["status"] == "archived"


def test_every_answer_has_a_request_id(sandbox: Sandbox, client: httpx.Client) -> None:
    """Successes and errors alike carry an `X-Request-Id`."""
    job_id = sandbox.add_job()
    ok = status(client, job_id)
    missing = status(client, UNKNOWN_UUID)

    assert ok.headers["x-request-id"].startswith("req_")
    assert missing.headers["x-request-id"].startswith("req_")
    assert ok.headers["x-request-id"] != missing.headers["x-request-id"]


def test_missing_key_is_401(sandbox: Sandbox) -> None:
    """A request without a key gets the authentication envelope."""
    job_id = sandbox.add_job()
    with httpx.Client(trust_env=False) as http:
        response = http.get(f"{sandbox.base_url}/ocr/status/{job_id}")

    assert response.status_code == 401
    assert response.json() == {
        "code": "AUTHENTICATION_ERROR",
        "error": {"message": "authentication required"},
        "details": None,
    }


def test_wrong_key_is_401(sandbox: Sandbox, client: httpx.Client) -> None:
    """An unknown key is refused before the job is looked up."""
    job_id = sandbox.add_job()
    response = client.get(f"/ocr/status/{job_id}", headers={"X-API-Key": "nope"})

    assert response.status_code == 401
    assert envelope_code(response) == "AUTHENTICATION_ERROR"


def test_key_header_name_is_case_insensitive(sandbox: Sandbox) -> None:
    """The key is found under `X-API-KEY` as the official SDKs send it."""
    job_id = sandbox.add_job()
    headers = {"X-API-KEY": sandbox.api_key}
    with httpx.Client(trust_env=False) as http:
        response = http.get(f"{sandbox.base_url}/ocr/status/{job_id}", headers=headers)

    assert response.status_code == 200


def test_job_of_another_owner_is_403(sandbox: Sandbox, client: httpx.Client) -> None:
    """A valid key asking for someone else's job is forbidden."""
    sandbox.add_key("second-key")
    theirs = sandbox.add_job(owner="second-key")
    mine = sandbox.add_job()
    as_second = {"X-API-Key": "second-key"}

    assert envelope_code(status(client, theirs)) == "FORBIDDEN"
    assert status(client, theirs).status_code == 403
    assert client.get(f"/ocr/status/{theirs}", headers=as_second).status_code == 200
    assert client.get(f"/ocr/status/{mine}", headers=as_second).status_code == 403


@pytest.mark.parametrize("job_id", [UNKNOWN_UUID, "job_abc123"])
def test_unknown_job_is_404(client: httpx.Client, job_id: str) -> None:
    """Well-formed ids of jobs that do not exist are not found."""
    response = status(client, job_id)

    assert response.status_code == 404
    assert envelope_code(response) == "NOT_FOUND"


@pytest.mark.parametrize(
    "raw_id", ["not-a-uuid", "job_", "12345", "job_a%2Fb", "job_a%20b", "%FF"]
)
def test_malformed_id_is_400(client: httpx.Client, raw_id: str) -> None:
    """Ids that are neither UUIDs nor `job_...` fail validation."""
    response = client.get(httpx.URL(f"{client.base_url}ocr/status/{raw_id}"))

    assert response.status_code == 400
    assert envelope_code(response) == "VALIDATION_ERROR"


def test_id_is_percent_decoded_once(sandbox: Sandbox, client: httpx.Client) -> None:
    """An encoded id finds its job; a doubly encoded one stays malformed."""
    sandbox.add_job(job_id="job_abc")

    assert status(client, "job%5Fabc").status_code == 200
    assert status(client, "job%255Fabc").status_code == 400


@pytest.mark.parametrize(
    "path", ["/ocr/status/", "/ocr/status/job_abc/extra", "/ocr/jobs", "/../x"]
)
def test_other_paths_are_404(client: httpx.Client, path: str) -> None:
    """Only the status route exists."""
    response = client.get(httpx.URL(f"{client.base_url}{path.lstrip('/')}"))

    assert response.status_code == 404
    assert envelope_code(response) == "NOT_FOUND"


def test_other_methods_are_405(sandbox: Sandbox, client: httpx.Client) -> None:
    """The status route answers GET only, and says so."""
    job_id = sandbox.add_job()
    response = client.post(f"/ocr/status/{job_id}")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert sandbox.requests == 0


def test_injected_status_has_retry_after(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    """An injected 429 carries its `Retry-After`, then answers return to normal."""
    job_id = sandbox.add_job()
    sandbox.inject(429, retry_after="2")
    limited = status(client, job_id)

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"
    assert envelope_code(limited) == "TOO_MANY_REQUESTS"
    assert status(client, job_id).status_code == 200


def test_injected_burst_and_custom_body(sandbox: Sandbox, client: httpx.Client) -> None:
    """A 5xx burst lasts `count` requests; a body may replace the envelope."""
    job_id = sandbox.add_job()
    sandbox.inject(503, count=2)
    sandbox.inject(500, body=b"oops", content_type="text/plain")
    answers = [status(client, job_id) for _ in range(4)]

    assert [a.status_code for a in answers] == [503, 503, 500, 200]
    assert envelope_code(answers[0]) == "SYSTEM_ERROR"
    assert "retry-after" not in answers[0].headers
    assert answers[2].content == b"oops"


def test_injected_malformed_body(sandbox: Sandbox, client: httpx.Client) -> None:
    """A proxy's HTML page arrives as is."""
    job_id = sandbox.add_job()
    sandbox.inject_body(b"<html>Bad Gateway</html>", status=502)
    response = status(client, job_id)

    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert response.text == "<html>Bad Gateway</html>"


def test_injected_drop_closes_the_connection(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    """A dropped connection is a transport error, and the next request works."""
    job_id = sandbox.add_job()
    sandbox.inject_drop()
    with pytest.raises(TRANSPORT_ERRORS):
        status(client, job_id)

    assert status(client, job_id).status_code == 200
    assert sandbox.requests == 2


def test_injected_delay_answers_late(sandbox: Sandbox, client: httpx.Client) -> None:
    """A delayed answer arrives after the delay, and normal."""
    job_id = sandbox.add_job()
    sandbox.inject_delay(0.3)
    started = time.monotonic()
    response = status(client, job_id)

    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


def test_delay_does_not_hold_up_other_requests(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    """Each connection has its own thread, so a slow answer blocks no one."""
    job_id = sandbox.add_job()
    sandbox.inject_delay(30.0)
    with pytest.raises(httpx.ReadTimeout):
        client.get(f"/ocr/status/{job_id}", timeout=0.2)

    started = time.monotonic()

    assert status(client, job_id).status_code == 200
    assert time.monotonic() - started < 5.0


def test_stop_wakes_delayed_answers(clock: FakeClock) -> None:
    """Stopping does not wait for a delayed answer to finish sleeping."""
    sandbox = Sandbox(JobBook(clock=clock))
    sandbox.start()
    job_id = sandbox.add_job()
    sandbox.inject_delay(30.0)
    url = f"{sandbox.base_url}/ocr/status/{job_id}"
    outcome: list[BaseException | int] = []

    def fetch() -> None:
        with httpx.Client(trust_env=False, timeout=10.0) as http:
            try:
                outcome.append(http.get(url).status_code)
            except httpx.TransportError as error:
                outcome.append(error)

    fetcher = threading.Thread(target=fetch)
    fetcher.start()
    while sandbox.requests == 0:
        time.sleep(0.01)

    started = time.monotonic()
    sandbox.stop()
    fetcher.join(timeout=10.0)

    assert time.monotonic() - started < 5.0
    assert len(outcome) == 1


def test_faults_come_in_order(sandbox: Sandbox, client: httpx.Client) -> None:
    """Queued faults are consumed in the order they were injected."""
    job_id = sandbox.add_job()
    sandbox.inject(500)
    sandbox.inject_drop()
    sandbox.inject(429)
    first = status(client, job_id)
    with pytest.raises(TRANSPORT_ERRORS):
        status(client, job_id)

    assert first.status_code == 500
    assert status(client, job_id).status_code == 429
    assert status(client, job_id).status_code == 200


def faults_by_seed(
    seed: int, *, rate: float = 0.3, requests: int = 200
) -> list[int | str]:
    """The sequence of answers an in-process book gives at a fault rate."""
    book = JobBook()
    job_id = book.add_job()
    book.fault_rate(rate=rate, seed=seed)
    answers: list[int | str] = []
    for _ in range(requests):
        answer = book.respond(
            "GET", f"/api/v1/ocr/status/{job_id}", {"X-API-Key": DEFAULT_API_KEY}
        )
        answers.append("drop" if answer.drop else answer.status)

    return answers


def test_fault_rate_is_deterministic_by_seed() -> None:
    """The same seed replays the same faults; another seed does not."""
    first = faults_by_seed(7)

    assert first == faults_by_seed(7)
    assert first != faults_by_seed(8)
    assert 30 < sum(answer != 200 for answer in first) < 90
    assert set(first) == {200, 429, 500, 502, 503, "drop"}


def test_fault_rate_over_http(sandbox: Sandbox, client: httpx.Client) -> None:
    """Random faults over HTTP match the seed's, with `Retry-After` on statuses."""
    job_id = sandbox.add_job()
    sandbox.fault_rate(rate=0.5, seed=3)
    seen: list[int | str] = []
    for _ in range(40):
        try:
            response = status(client, job_id)
        except TRANSPORT_ERRORS:
            seen.append("drop")
            continue

        seen.append(response.status_code)
        if response.status_code != 200:
            assert response.headers["retry-after"] == "0"

    assert seen == faults_by_seed(3, rate=0.5, requests=40)
    assert "drop" in seen
    assert sandbox.requests == 40


def test_fault_rate_zero_turns_faults_off(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    """A rate of 0 stops random faults."""
    job_id = sandbox.add_job()
    sandbox.fault_rate(rate=1.0, statuses=(503,), drop=False)
    faulted = status(client, job_id).status_code
    sandbox.fault_rate(rate=0)

    assert (faulted, status(client, job_id).status_code) == (503, 200)


def test_requests_count_and_reset(sandbox: Sandbox, client: httpx.Client) -> None:
    """Status requests are counted, errors included, until reset."""
    job_id = sandbox.add_job()
    status(client, job_id)
    status(client, UNKNOWN_UUID)

    assert sandbox.requests == 2

    sandbox.book.reset_counts()

    assert sandbox.requests == 0


def test_mock_transport_sync_and_drop(clock: FakeClock) -> None:
    """The in-process transport serves the same book and raises on a drop."""
    book = JobBook(clock=clock)
    job_id = book.add_job(pages=2, duration=2.0)
    book.inject_drop()
    book.inject_delay(60.0)
    with httpx.Client(
        transport=mock_transport(book),
        base_url="http://127.0.0.1/api/v1",
        headers={"X-API-Key": book.api_key},
    ) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(f"/ocr/status/{job_id}")

        clock.advance(1.0)
        body = http.get(f"/ocr/status/{job_id}").json()

    assert (body["status"], body["processed_pages"]) == ("processing", 1)


@pytest.mark.anyio
async def test_mock_transport_async(clock: FakeClock) -> None:
    """The in-process transport serves async clients too."""
    book = JobBook(clock=clock)
    job_id = book.add_job(duration=1.0)
    clock.advance(1.0)
    async with httpx.AsyncClient(
        transport=mock_transport(book),
        base_url="http://127.0.0.1/api/v1",
        headers={"X-API-Key": book.api_key},
    ) as http:
        response = await http.get(f"/ocr/status/{job_id}")

    assert response.json()["status"] == "completed"


def test_respond_reports_drops_and_delays() -> None:
    """The book tells the transport to drop or delay through its answer."""
    book = JobBook()
    job_id = book.add_job()
    book.inject_drop()
    book.inject_delay(1.5)
    path = f"/api/v1/ocr/status/{job_id}"
    headers = {"x-api-key": book.api_key}
    dropped = book.respond("GET", path, headers)
    delayed = book.respond("GET", path, headers)

    assert isinstance(dropped, SandboxResponse)
    assert dropped.drop
    assert (delayed.status, delayed.delay) == (200, 1.5)


def test_add_job_rejects_bad_numbers() -> None:
    """Impossible jobs are programmer errors."""
    book = JobBook()
    with pytest.raises(ValueError, match="pages"):
        book.add_job(pages=0)

    with pytest.raises(ValueError, match="negative"):
        book.add_job(duration=-1.0)

    with pytest.raises(ValueError, match="negative"):
        book.add_job(start_delay=-1.0)


def test_add_job_rejects_a_taken_id() -> None:
    """Two jobs cannot share an id."""
    book = JobBook()
    book.add_job(job_id="job_same")
    with pytest.raises(ValueError, match="taken"):
        book.add_job(job_id="job_same")


@pytest.mark.parametrize("status_code", [200, 399, 600])
def test_inject_rejects_non_error_statuses(status_code: int) -> None:
    """Only error statuses can be injected as errors."""
    with pytest.raises(ValueError, match="status"):
        JobBook().inject(status_code)
