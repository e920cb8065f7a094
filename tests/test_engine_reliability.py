"""The engine on a fake clock: progress held in waits, causes without keys."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import httpcore
import httpx
import pytest

from leapocr import APIConnectionError, APITimeoutError, _deadline, _engine
from leapocr._deadline import request_deadline
from tests.engine_driver import FakeClock, answer, drive, settings

SECRET = "sk-engine-SECRET-77"
KEYED = httpx.Request(
    "GET", "http://127.0.0.1/api/v1/ocr/status/job_1", headers={"X-API-Key": SECRET}
)


def replies(*fractions: float) -> Iterator[_engine.Reply]:
    """Processing answers at these fractions, then completed for good."""
    for fraction in fractions:
        yield answer(job_id="job_1", status="processing", progress=fraction)
    while True:
        yield answer(job_id="job_1", status="completed", progress=1.0)


def wait_machine(clock: FakeClock) -> _engine.Machine:
    """A wait that returns failed jobs instead of raising."""
    return _engine.wait(
        settings(clock), timeout=60.0, poll_interval=0.5, raise_on_failure=False
    )


def test_progress_never_goes_back_in_a_wait() -> None:
    """Lower figures are held at the highest one reported, and not re-reported."""
    clock = FakeClock()
    source = replies(0.2, 0.5, 0.4, 0.45, 0.6, 0.1)
    run = drive(wait_machine(clock), clock, lambda _now: next(source))
    reported = [report.status.progress for report in run.reports]
    assert reported == pytest.approx([20.0, 50.0, 60.0, 100.0])
    assert len(run.fetches) == 7


def test_held_status_keeps_the_service_figures() -> None:
    """A status reported with its progress held keeps the service's own figures."""
    clock = FakeClock()
    source = iter(
        [
            answer(
                status="processing", total_pages=10, processed_pages=5, progress=0.5
            ),
            answer(
                status="processing", total_pages=10, processed_pages=3, progress=0.3
            ),
            answer(job_id="job_1", status="completed", progress=1.0),
        ]
    )
    run = drive(wait_machine(clock), clock, lambda _now: next(source))
    held = run.reports[1].status
    assert held.progress == 50.0
    assert held.processed_pages == 3
    assert held.raw["progress"] == 0.3


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (httpx.ConnectError("refused", request=KEYED), APIConnectionError),
        (httpx.ReadTimeout("slow", request=KEYED), APITimeoutError),
        (httpx.RemoteProtocolError("closed", request=KEYED), APIConnectionError),
    ],
)
def test_transport_error_cause_has_no_request(
    error: httpx.HTTPError, kind: type[APIConnectionError]
) -> None:
    """The httpx cause is kept, by type and message, without the keyed request."""
    clock = FakeClock()
    with pytest.raises(kind) as caught:
        drive(
            _engine.fetch_once(settings(clock, max_retries=0)),
            clock,
            lambda _now: error,
        )
    cause = caught.value.__cause__
    assert type(cause) is type(error)
    assert str(cause) == str(error)
    assert isinstance(cause, httpx.HTTPError)
    with pytest.raises(RuntimeError):
        _ = cause.request
    assert SECRET.encode() not in pickle.dumps(cause)
    assert SECRET.encode() in pickle.dumps(error)


class RecordingStream(httpcore.NetworkStream):
    """A network stream that records the timeout of each read."""

    def __init__(self) -> None:
        """Start with no reads."""
        self.timeouts: list[float | None] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Record the timeout; return nothing."""
        self.timeouts.append(timeout)
        return b""


def test_reads_are_clipped_to_the_request_deadline() -> None:
    """Inside a request's block a read gets at most what is left; outside, as asked."""
    stream = RecordingStream()
    for event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
        _deadline._on_trace(event, {"return_value": stream})
    with request_deadline(2.0):
        stream.read(10, 30.0)
        stream.read(10, None)
    stream.read(10, 30.0)
    with request_deadline(-1.0), pytest.raises(httpcore.ReadTimeout):
        stream.read(10, 30.0)
    first, second, outside = stream.timeouts
    assert first is not None
    assert second is not None
    assert first <= 2.0
    assert second <= 2.0
    assert outside == 30.0
