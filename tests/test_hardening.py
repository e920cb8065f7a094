"""Defects a fresh tester found: echoed keys, empty or broken addresses, spans."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from leapocr import APIError, LeapOCR
from leapocr._response import read_status

KEY = "fake/key+XYZ123"
BASE = "http://127.0.0.1:9/api/v1"


def answer(status: int, body: bytes = b"", **headers: str) -> httpx.Response:
    """A response to a request that carried the key."""
    request = httpx.Request("GET", BASE + "/ocr/status/j", headers={"X-API-Key": KEY})
    return httpx.Response(status, content=body, headers=headers, request=request)


def leaked(error: BaseException) -> bool:
    """Whether the key shows anywhere an error can carry it."""
    texts = [str(error), repr(error.args), repr(vars(error))]
    return any(KEY in text for text in texts) or KEY.encode() in pickle.dumps(error)


@pytest.mark.parametrize(
    "response",
    [
        answer(503, b"x", **{"X-Request-Id": KEY}),
        answer(302, b"", location=f"http://127.0.0.1:1/?k={KEY}"),
        answer(
            401,
            json.dumps({"error": {"message": f"bad {KEY}"}})
            .replace("/", "\\/")
            .encode(),
        ),
        answer(401, b'{"message": "bad fake\\u002fkey+XYZ123"}'),
        answer(200, b'{"status": 7, "note": "fake\\/key+XYZ123"}'),
    ],
)
def test_an_echoed_key_never_reaches_an_error(response: httpx.Response) -> None:
    """Headers, a Location and escaped JSON are scrubbed like the raw body."""
    with pytest.raises(APIError) as caught:
        read_status(response, "j", 0.0)
    assert not leaked(caught.value)


def test_an_escaped_key_never_reaches_a_status() -> None:
    """A status whose fields echo the key, JSON-escaped, keeps none of it."""
    body = b'{"status": "failed", "error_message": "key fake\\/key+XYZ123 refused"}'
    status = read_status(answer(200, body), "j", 0.0)
    assert KEY not in repr(status.raw)
    assert status.error_message is not None
    assert KEY not in status.error_message


def test_an_unreadable_timestamp_keeps_the_status() -> None:
    """A timestamp the SDK cannot read becomes None; the text stays in raw."""
    body = b'{"status": "processing", "created_at": "2024-01-01 10:00:00 UTC"}'
    status = read_status(answer(200, body), "j", 0.0)
    assert status.created_at is None
    assert status.raw["created_at"] == "2024-01-01 10:00:00 UTC"


@pytest.mark.parametrize(
    "base_url",
    [
        "",
        "http://127.0.0.1:abc/",
        "http://[::1",
        "http://127.0.0.1:9/\n",
        "http://user:pw@127.0.0.1:9",
        "http://127.0.0.1:9/api?x=1",
        "http://127.0.0.1:9/api#frag",
    ],
)
def test_a_broken_base_url_is_a_value_error(base_url: str) -> None:
    """An empty or malformed base_url never falls back to the real service."""
    with pytest.raises(ValueError, match="base_url") as caught:
        LeapOCR("test-key-not-a-secret", base_url=base_url)
    assert "pw" not in str(caught.value)


def test_an_empty_environment_base_url_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LEAPOCR_BASE_URL set to nothing is a mistake, not the default."""
    monkeypatch.setenv("LEAPOCR_BASE_URL", " ")
    with pytest.raises(ValueError, match="LEAPOCR_BASE_URL"):
        LeapOCR("test-key-not-a-secret")


@pytest.mark.parametrize("value", [1e10, 10**400, float("inf")])
def test_huge_spans_are_refused(value: float) -> None:
    """Spans beyond a year are refused before they overflow a socket."""
    with pytest.raises(ValueError, match="timeout"):
        LeapOCR("test-key-not-a-secret", base_url=BASE, timeout=value)
    client = LeapOCR("test-key-not-a-secret", base_url=BASE)
    with client, pytest.raises(ValueError, match="poll_interval"):
        client.ocr.wait_until_done("j", timeout=None, poll_interval=value)


@pytest.fixture
def echo_server() -> Iterator[HTTPServer]:
    """A loopback server that echoes the key back in its request-id header."""
    with HTTPServer(host="127.0.0.1", port=0) as server:

        def handler(request: Request) -> Response:
            key = request.headers.get("X-API-Key", "")
            return Response("down", status=503, headers={"X-Request-Id": key})

        server.expect_request("/api/v1/ocr/status/job_1").respond_with_handler(handler)
        yield server


def test_an_echoed_key_stays_out_of_logs_end_to_end(
    echo_server: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Over HTTP, the error and the SDK's DEBUG lines never carry the key.

    httpcore's own DEBUG lines show response headers as the server sent them;
    the README says so.
    """
    caplog.set_level("DEBUG")
    url = echo_server.url_for("/api/v1")
    with (
        LeapOCR(KEY, base_url=url, max_retries=0) as client,
        pytest.raises(APIError) as caught,
    ):
        client.ocr.get_job_status("job_1")
    assert not leaked(caught.value)
    ours = [r for r in caplog.records if r.name.startswith("leapocr")]
    assert ours
    assert all(KEY not in record.getMessage() for record in ours)


def test_a_very_long_job_id_is_a_value_error() -> None:
    """An id too long for any address is refused before any request."""
    client = LeapOCR("test-key-not-a-secret", base_url=BASE)
    with client, pytest.raises(ValueError, match="job_id"):
        client.ocr.get_job_status("x" * 100_000)
