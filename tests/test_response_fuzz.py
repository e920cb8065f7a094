"""Property: whatever the body, status and headers, only a status or our error."""

from __future__ import annotations

import json
import pickle
import string

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leapocr import APIError, InvalidResponseError, JobStatus, LeapOCRError
from leapocr._response import EXCERPT_LENGTH, FIELDS, read_status

SECRET = "sk-fuzz-SECRET-4f9a"
REQUEST = httpx.Request(
    "GET",
    "http://127.0.0.1/api/v1/ocr/status/job_1",
    headers={"X-API-Key": SECRET},
)
NOW = 1_800_000_000.0

# Thousands of examples in a few seconds; no example database left behind.
FUZZ = settings(
    max_examples=1000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

FIELD_NAMES = sorted(FIELDS)
STATES = ["pending", "processing", "completed", "failed", "partially_done", "new"]

numbers = (
    st.integers()
    | st.integers(min_value=10**300, max_value=10**600)
    | st.floats(allow_nan=True, allow_infinity=True)
)
texts = st.text(max_size=20) | st.sampled_from([SECRET, "2026-01-02T03:04:05Z"])
scalars = st.none() | st.booleans() | numbers | texts | st.sampled_from(STATES)
values = (
    scalars
    | st.lists(scalars, max_size=3)
    | st.dictionaries(texts, scalars, max_size=3)
)
# Mostly near-misses of a job status, so that most examples get past the JSON.
status_like = st.fixed_dictionaries(
    {}, optional=dict.fromkeys([*FIELD_NAMES, "pages_billed", ""], values)
)


def encode(document: object) -> bytes:
    """JSON as a lax server writes it: NaN and Infinity included."""
    return json.dumps(document, allow_nan=True).encode()


bodies = (
    status_like.map(encode)
    | values.map(encode)
    | st.binary(max_size=300)
    | st.text(max_size=300).map(str.encode)
    | st.sampled_from([b"", b"<html>502</html>", b"[" * 5000, b"{" * 5000])
    | texts.map(lambda t: encode({"code": t, "error": {"message": t * 50}}))
)
statuses = st.integers(min_value=100, max_value=999) | st.sampled_from(
    [200, 201, 204, 301, 302, 400, 401, 403, 404, 429, 500, 502, 503]
)
header_text = st.text(alphabet=string.printable.strip(), max_size=40)
headers = st.dictionaries(
    st.sampled_from(["Retry-After", "X-Request-Id", "Location", "Content-Type"]),
    header_text
    | st.sampled_from(
        ["0", "1.5", "-3", "1e400", "nan", "Wed, 21 Oct 2015 07:28:00 GMT"]
    ),
)


def check_outcome(status_code: int, body: bytes, sent: dict[str, str]) -> None:
    """Read one answer; only a sane JobStatus or a sane LeapOCRError may result."""
    response = httpx.Response(status_code, content=body, headers=sent, request=REQUEST)
    try:
        status = read_status(response, "job_1", NOW)
    except LeapOCRError as error:
        check_error(error, status_code)
    else:
        assert 200 <= status_code < 300
        assert isinstance(status, JobStatus)
        assert isinstance(status.job_id, str)
        assert 0.0 <= status.progress <= 100.0
        assert SECRET not in repr(status.raw)


def check_error(error: LeapOCRError, status_code: int) -> None:
    """An error: the right kind, short, printable, picklable, free of the key."""
    assert isinstance(error, APIError)
    assert error.status_code == status_code
    assert isinstance(error, InvalidResponseError) == (200 <= status_code < 300)
    assert len(error.body) <= EXCERPT_LENGTH
    assert len(error.message) <= 2 * EXCERPT_LENGTH
    assert error.retry_after is None or error.retry_after >= 0
    text = str(error) + repr(error.args) + repr(vars(error))
    assert SECRET not in text
    assert SECRET.encode() not in pickle.dumps(error)
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


@FUZZ
@given(status_code=statuses, body=bodies, sent=headers)
def test_any_answer_is_a_status_or_our_error(
    status_code: int, body: bytes, sent: dict[str, str]
) -> None:
    """Generated statuses, bodies and headers: a JobStatus or a LeapOCRError."""
    check_outcome(status_code, body, sent)


@FUZZ
@given(document=status_like, state=st.sampled_from(STATES))
def test_near_job_statuses_are_read_or_refused(
    document: dict[str, object], state: str
) -> None:
    """Bodies with a valid status and wild other fields, always as a 200."""
    check_outcome(200, encode({**document, "status": state}), {})
