"""Per-call cost: one `get_job_status` through the SDK against the floor.

Every variant sends the same GET through the same in-process
`httpx.MockTransport`, which answers a canned body in the live service's
shape, so only client-side work is timed: building the request, httpx's own
machinery, and reading the answer. The variants are interleaved (their order
rotates each round) in many short batches, so that other load on the machine
hits them all alike; each one's median over the batches is reported, in CPU
time of the thread.

Two patterns: the same job asked about again and again (how a job is polled
by hand), and a different job each call, which defeats the SDK's cache of
parsed job addresses.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator

import httpx

from benchmarks._report import median, ratio, table
from leapocr import AsyncLeapOCR, LeapOCR
from leapocr._config import STATUS_URL_CACHE
from leapocr_client import AuthenticatedClient
from leapocr_client.api.ocr.get_job_status import asyncio_detailed, sync_detailed

BASE_URL = "http://127.0.0.1/api/v1"
API_KEY = "bench-key-not-a-secret"
JOB_ID = "5b0d3c1e-8f4a-4e0b-9a57-2d6c1f9e7a30"
ROUNDS = 200
CALLS_PER_ROUND = 25
TARGET = 1.10
FLOOR = "httpx + json()"
CLIENTS = (FLOOR, "generated *_detailed", "leapocr")
PATTERNS = ("same job", "new job")

BODY = json.dumps(
    {
        "id": JOB_ID,
        "status": "processing",
        "total_pages": 10,
        "processed_pages": 4,
        "created_at": "2025-01-01T00:00:00.000Z",
        "updated_at": "2025-01-01T00:00:01.200Z",
        "error_message": None,
        "file_name": "document-1.pdf",
        "processing_time": 1,
        "result_format": "structured",
    }
).encode()
HEADERS = {"Content-Type": "application/json", "X-Request-Id": "req_bench"}

SyncCall = Callable[[], object]
AsyncCall = Callable[[], Awaitable[object]]
Results = dict[tuple[str, str], float]


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers=HEADERS, content=BODY)


def _job_ids() -> dict[str, Iterator[str]]:
    # Cycling through twice as many jobs as the SDK keeps addresses for makes
    # every one of its lookups a miss.
    fresh = [str(uuid.uuid4()) for _ in range(2 * STATUS_URL_CACHE)]

    return {"same job": itertools.repeat(JOB_ID), "new job": itertools.cycle(fresh)}


def _generated(transport: httpx.MockTransport) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=BASE_URL,
        token=API_KEY,
        prefix="",
        auth_header_name="X-API-Key",
        httpx_args={"transport": transport},
    )


def _sync_variants(transport: httpx.MockTransport) -> dict[tuple[str, str], SyncCall]:
    plain = httpx.Client(transport=transport, headers={"X-API-Key": API_KEY})
    generated = _generated(transport)
    sdk = LeapOCR(
        API_KEY, base_url=BASE_URL, http_client=httpx.Client(transport=transport)
    )

    def calls(ids: Iterator[str]) -> tuple[SyncCall, SyncCall, SyncCall]:
        return (
            lambda: plain.get(f"{BASE_URL}/ocr/status/{next(ids)}").json(),
            lambda: sync_detailed(next(ids), client=generated),
            lambda: sdk.ocr.get_job_status(next(ids)),
        )

    return {
        (client, pattern): call
        for pattern, ids in _job_ids().items()
        for client, call in zip(CLIENTS, calls(ids), strict=True)
    }


def _async_variants(
    transport: httpx.MockTransport,
) -> dict[tuple[str, str], AsyncCall]:
    plain = httpx.AsyncClient(transport=transport, headers={"X-API-Key": API_KEY})
    generated = _generated(transport)
    sdk = AsyncLeapOCR(
        API_KEY, base_url=BASE_URL, http_client=httpx.AsyncClient(transport=transport)
    )

    def calls(ids: Iterator[str]) -> tuple[AsyncCall, AsyncCall, AsyncCall]:
        async def plain_call() -> object:
            return (await plain.get(f"{BASE_URL}/ocr/status/{next(ids)}")).json()

        return (
            plain_call,
            lambda: asyncio_detailed(next(ids), client=generated),
            lambda: sdk.ocr.get_job_status(next(ids)),
        )

    return {
        (client, pattern): call
        for pattern, ids in _job_ids().items()
        for client, call in zip(CLIENTS, calls(ids), strict=True)
    }


def _rotated(names: list[tuple[str, str]], turn: int) -> list[tuple[str, str]]:
    shift = turn % len(names)

    return names[shift:] + names[:shift]


def measure_sync(variants: dict[tuple[str, str], SyncCall]) -> Results:
    """Median CPU microseconds per call of each variant, interleaved by round."""
    samples: dict[tuple[str, str], list[float]] = {name: [] for name in variants}
    with _collector_paused():
        for turn in range(-1, ROUNDS):  # round -1 warms up and is dropped
            for name in _rotated(list(variants), turn):
                call = variants[name]
                began = time.thread_time()
                for _ in range(CALLS_PER_ROUND):
                    call()
                if turn >= 0:
                    samples[name].append(_per_call(time.thread_time() - began))
            gc.collect()

    return {name: median(values) for name, values in samples.items()}


async def measure_async(variants: dict[tuple[str, str], AsyncCall]) -> Results:
    """Median CPU microseconds per awaited call of each variant, interleaved."""
    samples: dict[tuple[str, str], list[float]] = {name: [] for name in variants}
    with _collector_paused():
        for turn in range(-1, ROUNDS):
            for name in _rotated(list(variants), turn):
                call = variants[name]
                began = time.thread_time()
                for _ in range(CALLS_PER_ROUND):
                    await call()
                if turn >= 0:
                    samples[name].append(_per_call(time.thread_time() - began))
            gc.collect()

    return {name: median(values) for name, values in samples.items()}


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    # Collections run between rounds, so that none lands inside a timed batch.
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _per_call(seconds: float) -> float:
    return seconds / CALLS_PER_ROUND * 1e6


def _rows(results: Results) -> list[list[object]]:
    rows: list[list[object]] = []
    for client in CLIENTS:
        row: list[object] = [client]
        for pattern in PATTERNS:
            micros = results[client, pattern]
            row += [f"{micros:.1f}", ratio(micros, results[FLOOR, pattern])]
        rows.append(row)

    return rows


def _verdict(form: str, results: Results) -> str:
    same, new = (
        results["leapocr", p] / results[FLOOR, p] for p in ("same job", "new job")
    )
    worst = max(same, new)
    met = "met" if worst <= TARGET else f"missed by {worst - TARGET:.2f}x"

    return (
        f"- {form}: leapocr is {same:.2f}x httpx on the same job, {new:.2f}x on "
        f"a new job each call; target at most {TARGET:.2f}x: {met}\n"
    )


def run() -> str:
    """Measure both forms and return the markdown section."""
    transport = httpx.MockTransport(_answer)
    sync = measure_sync(_sync_variants(transport))
    asynchronous = asyncio.run(measure_async(_async_variants(transport)))
    headers = ["client", "same job µs", "vs httpx", "new job µs", "vs httpx"]

    return (
        "## Per-call cost\n\n"
        "`get_job_status` on an in-process `httpx.MockTransport` answering a "
        f"live-shape body: CPU time per call, median of {ROUNDS} interleaved "
        f'batches of {CALLS_PER_ROUND} calls. "same job" asks about one job '
        'again and again, as a loop polling by hand does; "new job" asks about '
        "a different one each call. The SDK keeps the parsed addresses of "
        f"the last {STATUS_URL_CACHE} jobs; httpx parses the address it is "
        "given as text on every request.\n\n"
        f"### Sync\n\n{table(headers, _rows(sync))}\n"
        f"### Async (asyncio)\n\n{table(headers, _rows(asynchronous))}\n"
        + _verdict("sync", sync)
        + _verdict("async", asynchronous)
    )
