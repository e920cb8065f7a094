"""Fixtures for testing code that uses leapocr, against the sandbox.

Installing ``leapocr[testing]`` registers this module as a pytest plugin, so
these fixtures need no import::

    def test_report(leapocr_sandbox, leapocr_client):
        job_id = leapocr_sandbox.add_job(pages=3, duration=0.5)
        assert leapocr_client.ocr.wait_until_done(job_id).is_completed

* ``leapocr_sandbox``: a started `Sandbox` on 127.0.0.1, one per test;
* ``leapocr_client``: a `LeapOCR` pointed at it, closed after the test;
* ``async_leapocr_client``: an `AsyncLeapOCR` pointed at it, for any async
  test runner (anyio, pytest-asyncio, trio). It keeps no connection open
  between requests, so nothing is left to close when the test's event loop
  is gone.

Turn the plugin off with ``-p no:leapocr``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from leapocr import AsyncLeapOCR, LeapOCR
    from leapocr.testing import Sandbox

__all__ = ["async_leapocr_client", "leapocr_client", "leapocr_sandbox"]


# Imports happen inside the fixtures: pytest loads this plugin in every run
# where leapocr[testing] is installed, and most runs never ask for them.
@pytest.fixture
def leapocr_sandbox() -> Iterator[Sandbox]:
    """A LeapOCR-compatible server on 127.0.0.1, stopped after the test."""
    from leapocr.testing import Sandbox  # noqa: PLC0415

    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def leapocr_client(leapocr_sandbox: Sandbox) -> Iterator[LeapOCR]:
    """A synchronous client pointed at ``leapocr_sandbox``."""
    from leapocr import LeapOCR  # noqa: PLC0415

    with LeapOCR(leapocr_sandbox.api_key, base_url=leapocr_sandbox.base_url) as client:
        yield client


@pytest.fixture
def async_leapocr_client(leapocr_sandbox: Sandbox) -> AsyncLeapOCR:
    """An asynchronous client pointed at ``leapocr_sandbox``."""
    import httpx  # noqa: PLC0415

    from leapocr import AsyncLeapOCR  # noqa: PLC0415

    # A plain fixture rather than an async one works with every async plugin;
    # without kept-alive connections, it needs no event loop to be closed.
    http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0))

    return AsyncLeapOCR(
        leapocr_sandbox.api_key, base_url=leapocr_sandbox.base_url, http_client=http
    )
