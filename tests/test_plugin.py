"""The pytest plugin users get with leapocr[testing]: its fixtures, used for real."""

from __future__ import annotations

import pytest

from leapocr import AsyncLeapOCR, LeapOCR
from leapocr.testing import Sandbox

pytest_plugins = ["pytester"]


def test_sandbox_fixture_is_started(leapocr_sandbox: Sandbox) -> None:
    """leapocr_sandbox is a running sandbox on loopback."""
    assert leapocr_sandbox.base_url.startswith("http://127.0.0.1:")


def test_client_fixture_waits_on_a_job(
    leapocr_sandbox: Sandbox, leapocr_client: LeapOCR
) -> None:
    """leapocr_client talks to leapocr_sandbox with its key."""
    job = leapocr_sandbox.add_job(pages=2, duration=0.2)
    final = leapocr_client.ocr.wait_until_done(job, timeout=10, poll_interval=0.1)
    assert final.is_completed


@pytest.mark.anyio
async def test_async_client_fixture_waits_on_a_job(
    leapocr_sandbox: Sandbox, async_leapocr_client: AsyncLeapOCR
) -> None:
    """async_leapocr_client works under asyncio and trio alike."""
    job = leapocr_sandbox.add_job(pages=2, duration=0.2)
    final = await async_leapocr_client.ocr.wait_until_done(
        job, timeout=10, poll_interval=0.1
    )
    assert final.is_completed


USER_TESTS = """
import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param


def test_report(leapocr_sandbox, leapocr_client):
    job = leapocr_sandbox.add_job(pages=3, duration=0.2)
    assert leapocr_client.ocr.wait_until_done(job, poll_interval=0.1).is_completed


def test_failure(leapocr_sandbox, leapocr_client):
    job = leapocr_sandbox.add_job(pages=3, duration=0.0, outcome="failed")
    assert leapocr_client.ocr.get_job_status(job).is_failed


@pytest.mark.anyio
async def test_async_report(leapocr_sandbox, async_leapocr_client):
    job = leapocr_sandbox.add_job(pages=3, duration=0.2)
    async with async_leapocr_client as client:
        final = await client.ocr.wait_until_done(job, poll_interval=0.1)
    assert final.is_completed
"""


def test_users_get_the_fixtures_without_importing_them(
    pytester: pytest.Pytester,
) -> None:
    """A user's test file uses the fixtures with no import or conftest."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    """With -p no:leapocr, the fixtures are gone."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("-p", "no:leapocr", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=4)
