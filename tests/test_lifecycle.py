"""Opening, sharing and closing clients: no leaks, clear errors."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest

from leapocr import AsyncLeapOCR, JobStatus, LeapOCR
from leapocr.testing import Sandbox
from tests.clients import KINDS
from tests.servers import ScriptedServer, client_sockets, json_answer

FAKE_KEY = "test-key-not-a-secret"
CYCLES = 500


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    """A keep-alive server: connections stay open until a client closes them."""
    answer = json_answer({"status": "processing", "id": "job_1", "progress": 0.5})
    with ScriptedServer([answer]) as running:
        yield running


def no_resource_warnings(run: Callable[[], None]) -> None:
    """Run ``run`` and collect garbage; fail on any ResourceWarning seen."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def test_sync_cycles_leak_nothing(server: ScriptedServer) -> None:
    """500 create, use, close cycles of LeapOCR leave no socket and no warning."""

    def cycles() -> None:
        for cycle in range(CYCLES):
            with LeapOCR(FAKE_KEY, base_url=server.base_url) as client:
                assert client.ocr.get_job_status("job_1").progress == 50.0
                # The connection stays pooled while the client lives (counted
                # once: reading the socket tables is slow).
                assert cycle or client_sockets(server.port) == 1

    no_resource_warnings(cycles)
    assert client_sockets(server.port) == 0


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_async_cycles_leak_nothing(server: ScriptedServer, backend: str) -> None:
    """500 create, use, close cycles of AsyncLeapOCR leave no socket, no warning."""

    async def cycles() -> None:
        for cycle in range(CYCLES):
            async with AsyncLeapOCR(FAKE_KEY, base_url=server.base_url) as client:
                status = await client.ocr.get_job_status("job_1")
                assert status.progress == 50.0
                assert cycle or client_sockets(server.port) == 1

    no_resource_warnings(lambda: anyio.run(cycles, backend=backend))
    assert client_sockets(server.port) == 0


def test_sync_close_twice() -> None:
    """close() twice is fine, on an owned and on a lent httpx client."""
    client = LeapOCR(FAKE_KEY, base_url="http://127.0.0.1:9")
    client.close()
    client.close()
    with httpx.Client() as http:
        lent = LeapOCR(FAKE_KEY, base_url="http://127.0.0.1:9", http_client=http)
        lent.close()
        lent.close()
        assert not http.is_closed


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_async_close_twice(backend: str) -> None:
    """close() twice is fine, used or not, owned or lent."""

    async def run() -> None:
        async with AsyncLeapOCR(FAKE_KEY, base_url="http://127.0.0.1:9") as client:
            await client.close()
        await client.close()
        async with httpx.AsyncClient() as http:
            lent = AsyncLeapOCR(
                FAKE_KEY, base_url="http://127.0.0.1:9", http_client=http
            )
            await lent.close()
            await lent.close()
            assert not http.is_closed

    anyio.run(run, backend=backend)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["get_job_status", "wait_until_done", "iter_status"])
def test_closed_client_is_a_clear_error(
    server: ScriptedServer, kind: str, method: str
) -> None:
    """Any call on a closed client raises RuntimeError and sends nothing."""
    server.requests.clear()
    with pytest.raises(RuntimeError, match="client is closed"):
        call_on_closed(kind, server.base_url, method)
    assert server.requests == []


def call_on_closed(kind: str, base_url: str, method: str) -> None:
    """Close a client of ``kind``, then call ``method`` on it."""
    if kind == "sync":
        client = LeapOCR(FAKE_KEY, base_url=base_url)
        client.close()
        result = getattr(client.ocr, method)("job_1")
        list(result) if method == "iter_status" else None
        return

    async def run() -> None:
        client = AsyncLeapOCR(FAKE_KEY, base_url=base_url)
        await client.close()
        if method == "iter_status":
            async for _ in client.ocr.iter_status("job_1"):
                pass
        else:
            await getattr(client.ocr, method)("job_1")

    anyio.run(run, backend=kind)


def test_one_sync_client_shared_by_threads() -> None:
    """Eight threads waiting and reading through one LeapOCR all get their job."""
    with (
        Sandbox() as sandbox,
        LeapOCR(sandbox.api_key, base_url=sandbox.base_url) as client,
    ):
        jobs = [sandbox.add_job(pages=3, duration=0.3) for _ in range(8)]

        def follow(job: str) -> list[JobStatus]:
            reads = [client.ocr.get_job_status(job) for _ in range(5)]
            final = client.ocr.wait_until_done(job, timeout=20, poll_interval=0.05)

            return [*reads, final]

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(follow, jobs))
    for job, statuses in zip(jobs, results, strict=True):
        assert {status.job_id for status in statuses} == {job}
        assert statuses[-1].is_completed


def test_second_asyncio_run_is_a_clear_error(server: ScriptedServer) -> None:
    """A client used in one event loop, then in another: a clear RuntimeError.

    Its pooled connection belongs to the first loop; unchecked, the second
    would fail with a bare "Event loop is closed".
    """
    client = AsyncLeapOCR(FAKE_KEY, base_url=server.base_url)
    first = asyncio.new_event_loop()
    try:
        first.run_until_complete(client.ocr.get_job_status("job_1"))
        assert client_sockets(server.port) == 1
        with pytest.raises(RuntimeError, match="another event loop") as caught:
            asyncio.run(client.ocr.get_job_status("job_1"))
        assert "Event loop is closed" not in str(caught.value)
        with pytest.raises(RuntimeError, match="another event loop"):
            asyncio.run(client.close())
        first.run_until_complete(client.close())
    finally:
        first.close()
    assert client_sockets(server.port) == 0


def test_two_asyncio_runs_in_a_row() -> None:
    """Two asyncio.run calls on one client: the second explains what to do."""
    with Sandbox() as sandbox:
        job = sandbox.add_job(duration=0.1)
        client = AsyncLeapOCR(sandbox.api_key, base_url=sandbox.base_url)
        asyncio.run(client.ocr.get_job_status(job))
        with pytest.raises(RuntimeError, match="create the client inside"):
            asyncio.run(client.ocr.wait_until_done(job))


def test_asyncio_then_trio_is_a_clear_error(server: ScriptedServer) -> None:
    """Moving a client from asyncio to trio fails just as clearly."""
    client = AsyncLeapOCR(FAKE_KEY, base_url=server.base_url)
    first = asyncio.new_event_loop()
    try:
        first.run_until_complete(client.ocr.get_job_status("job_1"))
        with pytest.raises(RuntimeError, match="another event loop"):
            anyio.run(client.ocr.get_job_status, "job_1", backend="trio")
        first.run_until_complete(client.close())
    finally:
        first.close()


def test_one_client_per_run_works(server: ScriptedServer) -> None:
    """The pattern the error points to: a client inside each run, any backend."""

    async def use() -> float:
        async with AsyncLeapOCR(FAKE_KEY, base_url=server.base_url) as client:
            return (await client.ocr.get_job_status("job_1")).progress

    results: list[Any] = [asyncio.run(use()), asyncio.run(use())]
    results.append(anyio.run(use, backend="trio"))
    assert results == [50.0, 50.0, 50.0]
