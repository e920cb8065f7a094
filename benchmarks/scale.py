"""Scale: thousands of async `wait_until_done` calls at once, in one process.

Each run adds jobs a few seconds long to a `JobBook`, then waits on all of them
at once with one `AsyncLeapOCR` on asyncio. The transport is wrapped to count
requests, the most in flight at once, and (in-process) the CPU time spent
answering, which is the server's work, not the client's.

The book is served two ways:

* in-process, through `mock_transport(book)`, with a simulated round trip so
  that requests overlap as they would on a network: only the client works;
* over real HTTP on loopback, through the `Sandbox`, whose server opens a
  thread per connection and closes each connection after one answer.

For reference, the in-process runs are repeated with the plainest loop one
could write over httpx: poll every half second, at most as many requests in
flight as the SDK allows. Peak memory comes from a second pass of each
in-process SDK run under tracemalloc, which slows everything down and would
spoil the timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx

from benchmarks._report import table
from leapocr import AsyncLeapOCR
from leapocr._options import MAX_CONNECTIONS, MAX_IN_FLIGHT, http_limits
from leapocr.testing import JobBook, Sandbox, mock_transport

IN_PROCESS_URL = "http://127.0.0.1/api/v1"
#: Jobs last between these many seconds, drawn at random.
SHORTEST_JOB, LONGEST_JOB = 2.0, 4.0
#: The simulated round trip of the in-process transport, in seconds.
ROUND_TRIP = 0.001
#: How often the reference loop polls, in seconds.
REFERENCE_INTERVAL = 0.5
TERMINAL = frozenset({"completed", "failed", "partially_done"})
SEED = 6
TARGET_CPU_US, TARGET_MEMORY_KB = 150.0, 10.0


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport to count what goes through it.

    Attributes:
        requests: Requests sent.
        most_in_flight: The most requests in flight at once.
        serving: CPU seconds of this thread spent inside the wrapped transport.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, round_trip: float) -> None:
        self._inner = inner
        self._round_trip = round_trip
        self._in_flight = 0
        self.requests = 0
        self.most_in_flight = 0
        self.serving = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request through the wrapped transport, counting it."""
        self.requests += 1
        self._in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            if self._round_trip:
                await asyncio.sleep(self._round_trip)
            began = time.thread_time()
            response = await self._inner.handle_async_request(request)
            self.serving += time.thread_time() - began
            return response
        finally:
            self._in_flight -= 1

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


@dataclass
class Outcome:
    """What one run measured; times in seconds."""

    label: str
    waiters: int
    wall: float
    ideal: float
    requests: int
    client_cpu: float
    server_cpu: float
    most_in_flight: int
    errors: int
    peak_bytes: int | None = None

    @property
    def cpu_per_request(self) -> float:
        """Client CPU microseconds per request."""
        return self.client_cpu * 1e6 / max(self.requests, 1)

    @property
    def server_per_request(self) -> float:
        """Server CPU microseconds per request."""
        return self.server_cpu * 1e6 / max(self.requests, 1)

    @property
    def kb_per_waiter(self) -> float | None:
        """Peak traced KB per waiting job, if traced."""
        if self.peak_bytes is None:
            return None

        return self.peak_bytes / self.waiters / 1024


Waits = Callable[[httpx.AsyncClient, str, str, list[str]], Awaitable[int]]


async def sdk_waits(
    http: httpx.AsyncClient, base_url: str, api_key: str, job_ids: list[str]
) -> int:
    """Wait on every job at once with one AsyncLeapOCR; return the errors."""
    client = AsyncLeapOCR(api_key, base_url=base_url, http_client=http)
    outcomes = await asyncio.gather(
        *(client.ocr.wait_until_done(job_id) for job_id in job_ids),
        return_exceptions=True,
    )

    return sum(
        1
        for outcome in outcomes
        if isinstance(outcome, BaseException) or not outcome.is_completed
    )


async def reference_waits(
    http: httpx.AsyncClient, base_url: str, api_key: str, job_ids: list[str]
) -> int:
    """The same waits as a plain httpx loop at a fixed interval."""
    slots = asyncio.Semaphore(MAX_IN_FLIGHT)
    http.headers["X-API-Key"] = api_key

    async def wait(job_id: str) -> bool:
        url = f"{base_url}/ocr/status/{job_id}"
        while True:
            async with slots:
                response = await http.get(url)
            state: object = response.json().get("status")
            if state in TERMINAL:
                return bool(state == "completed")
            await asyncio.sleep(REFERENCE_INTERVAL)

    outcomes = await asyncio.gather(*map(wait, job_ids), return_exceptions=True)

    return sum(1 for outcome in outcomes if outcome is not True)


def _add_jobs(book: JobBook, count: int) -> tuple[list[str], float]:
    """Add ``count`` jobs; return their ids and when the last one ends."""
    rng = random.Random(SEED)
    job_ids, last_end = [], 0.0
    for _ in range(count):
        duration = rng.uniform(SHORTEST_JOB, LONGEST_JOB)
        job_ids.append(book.add_job(pages=10, duration=duration))
        last_end = max(last_end, time.monotonic() + duration)

    return job_ids, last_end


@contextlib.contextmanager
def _served(book: JobBook, loopback: bool) -> Iterator[tuple[str, CountingTransport]]:
    """The base URL and counting transport that reach ``book``."""
    if not loopback:
        yield IN_PROCESS_URL, CountingTransport(mock_transport(book), ROUND_TRIP)
        return

    with Sandbox(book) as sandbox:
        real = httpx.AsyncHTTPTransport(limits=http_limits())
        yield sandbox.base_url, CountingTransport(real, 0.0)


def measure(
    label: str, count: int, waits: Waits, *, loopback: bool, traced: bool = False
) -> Outcome:
    """Wait on ``count`` new jobs at once and say what it took."""
    book = JobBook()
    with _served(book, loopback) as (base_url, transport):
        job_ids, last_end = _add_jobs(book, count)
        if traced:
            tracemalloc.start()
        began = time.monotonic(), time.thread_time(), time.process_time()
        errors = asyncio.run(_waited(waits, transport, base_url, book, job_ids))
        wall, thread, process = (
            now - then
            for now, then in zip(
                (time.monotonic(), time.thread_time(), time.process_time()),
                began,
                strict=True,
            )
        )
        peak = tracemalloc.get_traced_memory()[1] if traced else None
        tracemalloc.stop()

    # In-process, the answers are made on the client's thread; over loopback,
    # on the server's own threads, in this same process.
    server = process - thread if loopback else transport.serving

    return Outcome(
        label=label,
        waiters=count,
        wall=wall,
        ideal=last_end - began[0],
        requests=transport.requests,
        client_cpu=thread - (0.0 if loopback else server),
        server_cpu=server,
        most_in_flight=transport.most_in_flight,
        errors=errors,
        peak_bytes=peak,
    )


async def _waited(
    waits: Waits,
    transport: CountingTransport,
    base_url: str,
    book: JobBook,
    job_ids: list[str],
) -> int:
    async with httpx.AsyncClient(transport=transport, limits=http_limits()) as http:
        return await waits(http, base_url, book.api_key, job_ids)


def _with_memory(label: str, count: int) -> Outcome:
    timed = measure(label, count, sdk_waits, loopback=False)
    timed.peak_bytes = measure(
        label, count, sdk_waits, loopback=False, traced=True
    ).peak_bytes

    return timed


HEADERS = [
    "run",
    "waiters",
    "wall s",
    "ideal s",
    "wall / ideal",
    "requests",
    "per job",
    "client CPU µs/req",
    "server CPU µs/req",
    "peak KB/job",
    "most in flight",
    "errors",
]


def _row(outcome: Outcome) -> list[object]:
    memory = outcome.kb_per_waiter

    return [
        outcome.label,
        f"{outcome.waiters:,}",
        f"{outcome.wall:.1f}",
        f"{outcome.ideal:.1f}",
        f"{outcome.wall / outcome.ideal:.2f}x",
        f"{outcome.requests:,}",
        f"{outcome.requests / outcome.waiters:.1f}",
        f"{outcome.cpu_per_request:.0f}",
        f"{outcome.server_per_request:.0f}",
        "n/a" if memory is None else f"{memory:.1f}",
        f"{outcome.most_in_flight}",
        f"{outcome.errors}",
    ]


def _verdict(outcome: Outcome) -> str:
    checks = [
        f"errors {outcome.errors}: {_ok(outcome.errors == 0)}",
        f"CPU {outcome.cpu_per_request:.0f} µs/req: "
        + _ok(outcome.cpu_per_request <= TARGET_CPU_US),
        f"in flight {outcome.most_in_flight}: "
        + _ok(outcome.most_in_flight <= MAX_IN_FLIGHT),
    ]
    memory = outcome.kb_per_waiter
    if memory is not None:
        checks.append(f"memory {memory:.1f} KB/job: {_ok(memory <= TARGET_MEMORY_KB)}")

    return f"- {outcome.label}, {outcome.waiters:,} waiters: " + "; ".join(checks)


def _bottleneck(loopback: Outcome, in_process: Outcome) -> str:
    busy = (loopback.client_cpu + loopback.server_cpu) / loopback.wall
    share = loopback.server_cpu / (loopback.client_cpu + loopback.server_cpu)
    dearer = loopback.cpu_per_request / in_process.cpu_per_request

    return (
        f"Over loopback, client and sandbox together kept {busy:.0%} of one CPU "
        f"busy for the whole run (they share one process and its GIL), the "
        f"sandbox's threads {share:.0%} of it; the client spent {dearer:.1f}x "
        "its in-process CPU per request, because the sandbox answers "
        "`Connection: close` and every poll opens a new connection. The "
        "sandbox is the bottleneck there, which is why 10,000 waiters are "
        "measured in-process only.\n"
    )


def _ok(met: bool) -> str:
    return "met" if met else "missed"


def run() -> str:
    """Run every scale scenario and return the markdown section."""
    sdk = [
        _with_memory("leapocr, in-process", 1_000),
        _with_memory("leapocr, in-process", 10_000),
        measure("leapocr, loopback sandbox", 1_000, sdk_waits, loopback=True),
    ]
    reference = [
        measure("httpx loop, in-process", count, reference_waits, loopback=False)
        for count in (1_000, 10_000)
    ]

    return (
        "## Scale\n\n"
        "Concurrent `wait_until_done` calls on one `AsyncLeapOCR` (asyncio), "
        f"on jobs of {SHORTEST_JOB:.0f} to {LONGEST_JOB:.0f} s added just "
        "before; the ideal is the moment the last job ends. In-process: the job "
        "book behind `mock_transport`, with a simulated "
        f"{ROUND_TRIP * 1000:.0f} ms round trip; the time spent answering is "
        "counted as the server's. Loopback: the `Sandbox` over real HTTP; the "
        "client's CPU is its event loop thread's, the server's that of the "
        "process's other threads. The httpx loop rows are "
        f"a plain loop polling every {REFERENCE_INTERVAL} s, for reference. "
        f"The pool holds {MAX_CONNECTIONS} connections; a client keeps at most "
        f"{MAX_IN_FLIGHT} requests in flight.\n\n"
        + table(HEADERS, [_row(outcome) for outcome in sdk + reference])
        + f"\nTargets: 0 errors, at most {TARGET_CPU_US:.0f} µs of client CPU "
        f"per request, at most {TARGET_MEMORY_KB:.0f} KB per waiting job, "
        "never more in flight than the pool allows.\n\n"
        + "\n".join(_verdict(outcome) for outcome in sdk)
        + "\n\n"
        + _bottleneck(sdk[2], sdk[0])
    )
