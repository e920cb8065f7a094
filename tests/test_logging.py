"""LEAPOCR_LOG: the SDK's own log output, on its own logger, without the key."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import anyio
import pytest

from leapocr import AsyncLeapOCR, LeapOCR
from leapocr.testing import Sandbox

SDK = logging.getLogger("leapocr")


@pytest.fixture(autouse=True)
def _restore_logger() -> Iterator[None]:
    """Put the leapocr and root loggers back as they were."""
    handlers, level = list(SDK.handlers), SDK.level
    root_handlers, root_level = list(logging.root.handlers), logging.root.level
    yield
    SDK.handlers[:] = handlers
    SDK.setLevel(level)
    assert logging.root.handlers == root_handlers
    assert logging.root.level == root_level


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the module."""
    with Sandbox() as server:
        yield server


def own_handlers() -> list[logging.Handler]:
    """The handlers LEAPOCR_LOG added."""
    return [h for h in SDK.handlers if not isinstance(h, logging.NullHandler)]


def test_no_variable_no_output(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without LEAPOCR_LOG, the SDK adds no handler and prints nothing."""
    with LeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        client.ocr.get_job_status(sandbox.add_job())
    assert own_handlers() == []
    assert capsys.readouterr().err == ""


def test_debug_logs_each_request(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LEAPOCR_LOG=debug: method, path, status, attempt, time and request id."""
    monkeypatch.setenv("LEAPOCR_LOG", "debug")
    job = sandbox.add_job()
    sandbox.inject(503, count=1)
    with LeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
        client.ocr.get_job_status(job)
    err = capsys.readouterr().err
    first, second = re.findall(r"GET /api/v1/ocr/status/\S+ .*", err)
    assert f"/ocr/status/{job} -> 503" in first
    assert "attempt=1" in first
    assert f"/ocr/status/{job} -> 200" in second
    assert "attempt=2" in second
    assert re.search(r"in \d+\.\d{3}s request_id=req_[0-9a-f]{32}", second)
    assert "WARNING" in err
    assert sandbox.api_key not in err
    assert SDK.level == logging.DEBUG


def test_info_shows_rate_limiting_but_not_each_request(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LEAPOCR_LOG=info shows the client slowing down, not every request."""
    monkeypatch.setenv("LEAPOCR_LOG", "INFO")
    job = sandbox.add_job()
    sandbox.inject(429, retry_after="0.1")

    async def run() -> None:
        async with AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client:
            await client.ocr.get_job_status(job)

    anyio.run(run)
    err = capsys.readouterr().err
    assert "rate limited" in err
    assert "-> 200" not in err
    assert SDK.level == logging.INFO


def test_one_handler_however_many_clients(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building many clients adds a single handler, never one on the root."""
    monkeypatch.setenv("LEAPOCR_LOG", "debug")
    for _ in range(3):
        LeapOCR(sandbox.api_key, base_url=sandbox.base_url).close()
    assert len(own_handlers()) == 1


def test_unknown_value_warns(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """A value other than debug or info is reported, not fatal."""
    monkeypatch.setenv("LEAPOCR_LOG", "verbose")
    with pytest.warns(RuntimeWarning, match="LEAPOCR_LOG"):
        LeapOCR(sandbox.api_key, base_url=sandbox.base_url).close()
    assert own_handlers() == []
