"""Bad arguments from the caller: refused before any request, for every client."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from leapocr import AsyncLeapOCR, LeapOCR
from tests.clients import KINDS, Driver
from tests.servers import STATUS_ROUTE, ScriptedServer, json_answer

FAKE_KEY = "test-key-not-a-secret"
METHODS = ["get_job_status", "wait_until_done", "iter_status"]


@pytest.fixture(scope="module")
def completed_server() -> Iterator[ScriptedServer]:
    """A server whose every job is completed."""
    with ScriptedServer([json_answer({"status": "completed"})]) as running:
        yield running


@pytest.fixture
def server(completed_server: ScriptedServer) -> ScriptedServer:
    """The module's server, its record of requests emptied."""
    completed_server.requests.clear()

    return completed_server


@pytest.fixture(params=KINDS)
def driver(request: pytest.FixtureRequest, server: ScriptedServer) -> Driver:
    """The sync client, the async one on asyncio, and on trio."""
    return Driver(request.param, server.base_url, FAKE_KEY, max_retries=0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("job_id", "error"),
    [
        (None, TypeError),
        (42, TypeError),
        (b"job_1", TypeError),
        (["job_1"], TypeError),
        ("", ValueError),
        ("   ", ValueError),
        ("\t\n", ValueError),
        (".", ValueError),
        ("..", ValueError),
        ("job_\ud800", ValueError),
    ],
)
def test_bad_job_ids_are_refused_before_any_request(
    driver: Driver, server: ScriptedServer, method: str, job_id: Any, error: type
) -> None:
    """A non-string, blank or path-step id raises without reaching the server."""
    with pytest.raises(error, match="job_id"):
        driver.call(method, job_id)
    assert server.requests == []


ODD_IDS = [
    "a/b",
    "../../admin",
    "a/../../b",
    "job?x=1",
    "job#fragment",
    "100%",
    "%2F",
    "%2e%2e",
    "with space",
    " job_1 ",
    "...",
    "job;x=1",
    "job\r\nX-Injected: 1",
    "ジョブ",
    "é/ü",
    "emoji-🙂",
    "+&=@:,$!*'()[]",
]


@pytest.mark.parametrize("job_id", ODD_IDS)
def test_odd_ids_travel_as_one_encoded_segment(
    driver: Driver, server: ScriptedServer, job_id: str
) -> None:
    """Whatever the id holds, the server gets it as one percent-encoded segment."""
    driver.call("get_job_status", job_id)
    [seen] = server.requests
    assert seen.path.startswith(STATUS_ROUTE)
    segment = seen.path.removeprefix(STATUS_ROUTE)
    # Only unreserved characters and escapes: no "/", "?", "#", space or byte
    # above ASCII can end the segment or the path early.
    assert re.fullmatch(r"(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+", segment)
    assert unquote(segment) == job_id


BAD_SECONDS = [0, -1, -0.5, math.inf, -math.inf, math.nan]
BAD_COUNTS = [-1, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("client_class", [LeapOCR, AsyncLeapOCR])
@pytest.mark.parametrize(
    ("name", "value"),
    [("timeout", v) for v in BAD_SECONDS] + [("max_retries", v) for v in BAD_COUNTS],
)
def test_constructor_refuses_bad_numbers(
    client_class: type, name: str, value: float
) -> None:
    """Out-of-range timeout or max_retries raise ValueError naming them."""
    with pytest.raises(ValueError, match=name):
        client_class(FAKE_KEY, base_url="http://127.0.0.1:9", **{name: value})


@pytest.mark.parametrize(
    ("method", "name", "value"),
    [
        *[(m, "timeout", v) for m in METHODS[1:] for v in BAD_SECONDS],
        *[(m, "poll_interval", v) for m in METHODS[1:] for v in BAD_SECONDS],
        *[(m, "max_retries", v) for m in METHODS for v in BAD_COUNTS],
    ],
)
def test_calls_refuse_bad_numbers_before_any_request(
    driver: Driver, server: ScriptedServer, method: str, name: str, value: float
) -> None:
    """A call's timeout, poll_interval or max_retries out of range: ValueError."""
    with pytest.raises(ValueError, match=name):
        driver.call(method, "job_1", **{name: value})
    assert server.requests == []


def test_zero_retries_and_no_timeout_are_allowed(
    driver: Driver, server: ScriptedServer
) -> None:
    """max_retries=0 means no retry and timeout=None waits for ever: both valid."""
    final = driver.call("wait_until_done", "job_1", timeout=None, max_retries=0)
    assert final.is_completed
    assert len(server.requests) == 1
