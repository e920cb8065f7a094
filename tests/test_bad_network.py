"""Bad networks and redirects, through every client, on loopback servers.

Each failure ends as a typed transport error within the request timeout, and
is retried (a GET is always safe to repeat); the servers count the attempts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from leapocr import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncLeapOCR,
    JobState,
    LeapOCR,
)
from tests.clients import KINDS, Driver
from tests.servers import (
    STATUS_BODY,
    Drip,
    RawServer,
    ScriptedServer,
    answer_then,
    closed_port,
    http_answer,
    json_answer,
    reset_mid_response,
    silent,
)

FAKE_KEY = "test-key-not-a-secret"


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """sync, asyncio or trio."""
    kind_name: str = request.param

    return kind_name


def retries_logged(caplog: pytest.LogCaptureFixture) -> int:
    """How many retries the SDK announced."""
    return sum("retrying" in r.getMessage() for r in caplog.records)


def test_connection_refused(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    """A refused connection is an APIConnectionError, after the retries."""
    driver = Driver(kind, f"http://127.0.0.1:{closed_port()}/api/v1", FAKE_KEY)
    with pytest.raises(APIConnectionError) as caught:
        driver.call("get_job_status", "job_1", max_retries=1)
    assert not isinstance(caught.value, APITimeoutError)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert retries_logged(caplog) == 1


def test_reset_in_the_middle_of_a_response(kind: str) -> None:
    """A connection reset mid-body is an APIConnectionError, retried."""
    with RawServer(reset_mid_response) as server:
        driver = Driver(kind, server.base_url, FAKE_KEY, timeout=2.0)
        with pytest.raises(APIConnectionError):
            driver.call("get_job_status", "job_1", max_retries=1)
    assert server.connections == 2


def test_server_that_never_answers(kind: str) -> None:
    """A server that accepts and stays silent: APITimeoutError, retried."""
    with RawServer(silent) as server:
        driver = Driver(kind, server.base_url, FAKE_KEY, timeout=0.2)
        with pytest.raises(APITimeoutError):
            driver.call("get_job_status", "job_1", max_retries=1)
    assert server.connections == 2


@pytest.mark.parametrize("head_too", [False, True], ids=["body", "head-and-body"])
def test_server_that_drips_bytes(kind: str, head_too: bool) -> None:
    """Bytes trickling in forever do not stretch the request past its timeout.

    Every gap between two bytes is far shorter than the timeout, so only a
    bound on the whole request stops it; the server sees the client leave long
    before the answer is complete.
    """
    drip = Drip(gap=0.005, head_too=head_too, pad=400)
    with RawServer(drip) as server:
        driver = Driver(kind, server.base_url, FAKE_KEY, timeout=0.25)
        with pytest.raises(APITimeoutError):
            driver.call("get_job_status", "job_1", max_retries=0)
    assert server.connections == 1
    assert 0 < drip.sent < drip.whole


def test_drip_that_ends_in_time_is_read(kind: str) -> None:
    """A slow but short answer within the timeout is read normally."""
    drip = Drip(gap=0.001, head_too=True, pad=0)
    with RawServer(drip) as server:
        driver = Driver(kind, server.base_url, FAKE_KEY, timeout=5.0)
        status = driver.call("get_job_status", "job_1", max_retries=0)
    assert status.status is JobState.PROCESSING
    assert drip.sent == drip.whole


def test_transient_failure_is_retried_to_success(kind: str) -> None:
    """A reset, then a good answer: the call succeeds on the second attempt."""
    attempts: list[int] = []
    good = answer_then(http_answer(STATUS_BODY))

    def flaky(connection: Any, stop: Any) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            reset_mid_response(connection, stop)
        else:
            good(connection, stop)

    with RawServer(flaky) as server:
        driver = Driver(kind, server.base_url, FAKE_KEY, timeout=2.0)
        status = driver.call("get_job_status", "job_1", max_retries=2)
    assert status.job_id == "job_1"
    assert server.connections == 2


@pytest.fixture
def elsewhere() -> Iterator[ScriptedServer]:
    """Another origin, which must never hear from the client."""
    with ScriptedServer([json_answer({"status": "completed"})]) as server:
        yield server


@pytest.mark.parametrize("redirect", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("target", ["same origin", "other origin"])
def test_redirects_are_not_followed(
    kind: str, elsewhere: ScriptedServer, redirect: int, target: str
) -> None:
    """A 3xx is an APIError naming where it pointed; nobody else is asked."""
    with ScriptedServer([]) as server:
        origin = server.origin if target == "same origin" else elsewhere.origin
        location = f"{origin}/api/v1/ocr/status/job_2"
        server.play([json_answer({"status": "completed"}, redirect, Location=location)])
        driver = Driver(kind, server.base_url, FAKE_KEY, max_retries=2)
        with pytest.raises(APIError) as caught:
            driver.call("get_job_status", "job_1")
    assert caught.value.status_code == redirect
    assert location in caught.value.message
    assert [seen.path for seen in server.requests] == ["/api/v1/ocr/status/job_1"]
    assert elsewhere.requests == []


def test_lent_client_that_follows_redirects_does_not_here(
    kind: str, elsewhere: ScriptedServer
) -> None:
    """Even an httpx client built to follow redirects does not follow ours."""
    with ScriptedServer([]) as server:
        location = f"{elsewhere.origin}/steal"
        server.play([json_answer({}, 307, Location=location)])
        with pytest.raises(APIError):
            get_with_lent_client(kind, server.base_url)
    assert len(server.requests) == 1
    assert elsewhere.requests == []


def get_with_lent_client(kind: str, base_url: str) -> object:
    """get_job_status through a client lent an httpx client that follows."""
    if kind == "sync":
        with (
            httpx.Client(follow_redirects=True) as http,
            LeapOCR(FAKE_KEY, base_url=base_url, http_client=http) as client,
        ):
            return client.ocr.get_job_status("job_1")

    async def run() -> object:
        async with (
            httpx.AsyncClient(follow_redirects=True) as http,
            AsyncLeapOCR(FAKE_KEY, base_url=base_url, http_client=http) as client,
        ):
            return await client.ocr.get_job_status("job_1")

    return anyio.run(run, backend=kind)


def test_default_request_timeout_is_finite() -> None:
    """Without a timeout given, each request is still bounded."""
    for client_class in (LeapOCR, AsyncLeapOCR):
        client = client_class(FAKE_KEY, base_url="http://127.0.0.1:9")
        assert 0 < client._config.timeout < 120
        assert client._config.max_retries >= 1


@pytest.fixture(autouse=True)
def _capture_retries(caplog: pytest.LogCaptureFixture, quick_backoff: None) -> None:
    """Capture the retry warnings; back off for milliseconds."""
    caplog.set_level(logging.WARNING, logger="leapocr")
