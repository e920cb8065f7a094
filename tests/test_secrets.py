"""The API key stays secret: out of reprs, logs, errors and pickles."""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Iterator

import anyio
import pytest

from leapocr import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncLeapOCR,
    JobFailedError,
    JobTimeoutError,
    LeapOCR,
    LeapOCRError,
)
from leapocr._options import CallOptions
from leapocr.testing import JobBook, Sandbox
from tests.clients import KINDS, Driver
from tests.servers import Answer, RawServer, ScriptedServer, Seen, closed_port, silent

SECRET = "sk-live-SECRET-8c1f2e77d0"

pytestmark = pytest.mark.usefixtures("quick_backoff")


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """sync, asyncio or trio."""
    kind_name: str = request.param

    return kind_name


@pytest.mark.parametrize("client_class", [LeapOCR, AsyncLeapOCR])
def test_key_not_in_any_repr(client_class: type) -> None:
    """The clients and everything they hold print without the key."""
    client = client_class(SECRET, base_url="http://127.0.0.1:9/api/v1")
    options = CallOptions.build(client._config, "job_1", None)
    shown = [
        client,
        client.ocr,
        client._config,
        client._auth,
        client._http,
        options,
        options.settings,
    ]
    for thing in shown:
        assert SECRET not in repr(thing)
        assert SECRET not in str(thing)
    assert client._config.api_key == SECRET


def test_key_from_environment_not_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key read from LEAPOCR_API_KEY is hidden just the same."""
    monkeypatch.setenv("LEAPOCR_API_KEY", SECRET)
    client = LeapOCR(base_url="http://127.0.0.1:9")
    assert SECRET not in repr(client) + repr(client._config)
    client.close()


@pytest.mark.parametrize("client_class", [LeapOCR, AsyncLeapOCR])
@pytest.mark.parametrize("key", [None, "", "   ", "\n"])
def test_missing_key_names_the_variable(client_class: type, key: str | None) -> None:
    """No key, or a blank one: ValueError naming LEAPOCR_API_KEY."""
    with pytest.raises(ValueError, match="LEAPOCR_API_KEY"):
        client_class(key, base_url="http://127.0.0.1:9")


@pytest.mark.parametrize("client_class", [LeapOCR, AsyncLeapOCR])
@pytest.mark.parametrize("key", [SECRET + "\n-injected", SECRET + " x", SECRET + "é"])
def test_malformed_key_is_refused_without_quoting_it(
    client_class: type, key: str
) -> None:
    """A key httpx could not send is refused at once, and not repeated back."""
    with pytest.raises(ValueError, match="printable ASCII") as caught:
        client_class(key, base_url="http://127.0.0.1:9")
    assert SECRET not in str(caught.value) + repr(caught.value.args)


@pytest.mark.parametrize("client_class", [LeapOCR, AsyncLeapOCR])
@pytest.mark.parametrize(
    ("base_url", "allowed"),
    [
        ("http://127.0.0.1:9/api/v1", True),
        ("http://localhost:9/api/v1", True),
        ("http://[::1]:9/api/v1", True),
        ("https://api.example.invalid/api/v1", True),
        ("http://api.example.invalid/api/v1", False),
        ("http://10.0.0.8/api/v1", False),
        ("http://127.0.0.1.example.invalid/api/v1", False),
    ],
)
def test_plain_http_only_to_loopback(
    client_class: type, base_url: str, allowed: bool
) -> None:
    """http:// to any host but loopback needs allow_insecure_http=True."""
    if not allowed:
        with pytest.raises(ValueError, match="allow_insecure_http"):
            client_class(SECRET, base_url=base_url)
    client = client_class(SECRET, base_url=base_url, allow_insecure_http=True)
    assert client._config.base_url == base_url


def failing_calls(kind: str, sandbox: Sandbox) -> list[BaseException]:
    """A full wait with retries, then the usual failures; the errors raised."""
    job = sandbox.add_job(pages=4, duration=0.3)
    failed = sandbox.add_job(pages=4, duration=0.1, outcome="failed")
    sandbox.inject(503)
    sandbox.inject_drop()
    sandbox.inject(429, retry_after="0")
    sandbox.inject_body(f"<html>bad gateway {SECRET}</html>".encode(), status=502)
    driver = Driver(kind, sandbox.base_url, SECRET, max_retries=5)
    assert driver.wait(job, timeout=20, poll_interval=0.05).is_completed

    errors: list[BaseException] = []
    calls = [
        ("get_job_status", "job_missing", {}),
        ("get_job_status", "not a job id", {}),
        ("wait_until_done", failed, {"timeout": 20, "poll_interval": 0.05}),
    ]
    for method, job_id, kwargs in calls:
        with pytest.raises(LeapOCRError) as caught:
            driver.call(method, job_id, **kwargs)
        errors.append(caught.value)

    return errors


def test_key_not_in_debug_logs_nor_errors(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """leapocr, httpx and httpcore at DEBUG over waits, retries and errors."""
    caplog.set_level(logging.DEBUG)
    with Sandbox(JobBook(SECRET)) as sandbox:
        errors = failing_calls(kind, sandbox)
    assert [type(error).__name__ for error in errors] == [
        "NotFoundError",
        "BadRequestError",
        "JobFailedError",
    ]
    for error in errors:
        assert_secret_free(error)
    loggers = {record.name.split(".")[0] for record in caplog.records}
    assert {"leapocr", "httpx", "httpcore"} <= loggers
    assert any(record.levelno == logging.WARNING for record in caplog.records)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        assert SECRET not in formatter.format(record)
        assert SECRET not in repr(record.args)


def chain(error: BaseException) -> Iterator[BaseException]:
    """The error, its causes and contexts."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]


def assert_secret_free(error: BaseException) -> None:
    """Nothing in the error, its chain or its pickle shows the key."""
    for link in chain(error):
        assert SECRET not in str(link)
        assert SECRET not in repr(link.args)
        assert SECRET not in repr(getattr(link, "__dict__", {}))
        assert SECRET.encode() not in pickle.dumps(link)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)


def echo(seen: Seen) -> Answer:
    """An answer that repeats the request's headers, as debug pages do."""
    headers = json.dumps(seen.headers)
    if seen.path.endswith("/job_failed"):
        document = {"status": "failed", "error_message": f"bad key? {headers}"}
        return Answer(200, json.dumps(document).encode())
    if seen.path.endswith("/job_html"):
        return Answer(
            200, f"<pre>{headers}</pre>".encode(), {"Content-Type": "text/html"}
        )

    envelope = {"code": SECRET, "error": {"message": f"invalid key {headers}"}}

    return Answer(401, json.dumps(envelope).encode())


def test_key_not_in_errors_from_an_echoing_server(kind: str) -> None:
    """A server that echoes the key back: the errors still do not show it."""
    with ScriptedServer(echo) as server:
        driver = Driver(kind, server.base_url, SECRET, max_retries=0)
        raised = []
        for job_id, kind_of_error in [
            ("job_1", APIError),
            ("job_html", APIError),
            ("job_failed", JobFailedError),
        ]:
            with pytest.raises(kind_of_error) as caught:
                driver.call("wait_until_done", job_id, timeout=5)
            raised.append(caught.value)
    assert all(seen.headers["x-api-key"] == SECRET for seen in server.requests)
    for error in raised:
        assert_secret_free(error)
    failed = raised[-1]
    assert isinstance(failed, JobFailedError)
    assert "<redacted>" in (failed.error_message or "")
    assert SECRET not in repr(failed.status.raw)


def test_key_not_in_transport_errors(kind: str) -> None:
    """Refused, timed out, and a wait that ends on them: no key anywhere."""
    raised: list[BaseException] = []
    refused = Driver(kind, f"http://127.0.0.1:{closed_port()}/api/v1", SECRET)
    with pytest.raises(APIConnectionError) as caught:
        refused.call("get_job_status", "job_1", max_retries=0)
    raised.append(caught.value)
    with RawServer(silent) as server:
        stalled = Driver(kind, server.base_url, SECRET, timeout=0.2, max_retries=0)
        with pytest.raises(APITimeoutError) as timed_out:
            stalled.call("get_job_status", "job_1")
        raised.append(timed_out.value)
        with pytest.raises(JobTimeoutError) as wait_over:
            stalled.call("wait_until_done", "job_1", timeout=0.2)
        raised.append(wait_over.value)
    assert raised[0].__cause__ is not None
    for error in raised:
        assert_secret_free(error)


def test_async_client_key_not_in_task_errors() -> None:
    """An error raised inside a task group still carries no key."""

    async def run() -> None:
        async with AsyncLeapOCR(
            SECRET, base_url=f"http://127.0.0.1:{closed_port()}/api/v1", max_retries=0
        ) as client:
            await client.ocr.get_job_status("job_1")

    with pytest.raises(APIConnectionError) as caught:
        anyio.run(run)
    assert_secret_free(caught.value)
