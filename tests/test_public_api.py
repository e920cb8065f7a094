"""The public surface: names, the spec, configuration and secrets."""

from __future__ import annotations

import pickle
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from openapi_spec_validator import validate

import leapocr
from leapocr import AsyncLeapOCR, JobFailedError, JobState, JobStatus, LeapOCR

ROOT = Path(__file__).resolve().parent.parent
FAKE_KEY = "test-key-not-a-secret"


def test_all_is_sorted_and_complete() -> None:
    """__all__ lists every public name, sorted."""
    public = {
        name
        for name, value in vars(leapocr).items()
        if name[0].isalpha() and not isinstance(value, ModuleType)
    }
    assert sorted(leapocr.__all__) == leapocr.__all__
    assert set(leapocr.__all__) - {"__version__"} == public


def test_openapi_document_is_valid() -> None:
    """openapi.yaml is a valid OpenAPI 3.1 document."""
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    validate(document)
    assert document["openapi"].startswith("3.1")


@pytest.mark.parametrize("client_class", [LeapOCR, AsyncLeapOCR])
def test_missing_key_names_the_variable(client_class: type) -> None:
    """Without a key, construction fails naming LEAPOCR_API_KEY."""
    with pytest.raises(ValueError, match="LEAPOCR_API_KEY"):
        client_class(base_url="http://127.0.0.1:9")


@pytest.mark.parametrize("client_class", [LeapOCR, AsyncLeapOCR])
def test_environment_fills_key_and_url(
    client_class: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LEAPOCR_API_KEY and LEAPOCR_BASE_URL are read when not given."""
    monkeypatch.setenv("LEAPOCR_API_KEY", FAKE_KEY)
    monkeypatch.setenv("LEAPOCR_BASE_URL", "http://127.0.0.1:9/api/v1/")
    client = client_class()
    assert client._config.base_url == "http://127.0.0.1:9/api/v1"
    assert client._config.api_key == FAKE_KEY
    assert FAKE_KEY not in repr(client)
    assert FAKE_KEY not in repr(client._config)
    assert FAKE_KEY not in repr(client._auth)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"timeout": 0}, ValueError),
        ({"timeout": -1}, ValueError),
        ({"timeout": float("nan")}, ValueError),
        ({"timeout": float("inf")}, ValueError),
        ({"timeout": "5"}, TypeError),
        ({"max_retries": -1}, ValueError),
        ({"max_retries": 1.5}, TypeError),
        ({"base_url": "ftp://127.0.0.1"}, ValueError),
        ({"base_url": "http://example.invalid/api"}, ValueError),
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, object], error: type) -> None:
    """Out-of-range options raise before anything else happens."""
    options = {"base_url": "http://127.0.0.1:9", **kwargs}
    with pytest.raises(error):
        LeapOCR(FAKE_KEY, **options)  # type: ignore[arg-type]


def test_insecure_http_needs_opting_in() -> None:
    """Plain http to another host is allowed only when asked for."""
    client = LeapOCR(
        FAKE_KEY, base_url="http://sandbox.internal:8080", allow_insecure_http=True
    )
    assert client._config.base_url == "http://sandbox.internal:8080"
    client.close()


def test_unknown_states_compare_by_value() -> None:
    """JobState accepts any string and compares equal to it."""
    assert JobState("archived") == "archived"
    assert JobState("completed") is JobState.COMPLETED
    assert JobState.PARTIALLY_DONE.is_terminal


def test_job_errors_pickle() -> None:
    """JobFailedError survives pickling with its status."""
    status = JobStatus(
        job_id="j", status=JobState.FAILED, progress=50.0, error_message="page 5"
    )
    error = pickle.loads(pickle.dumps(JobFailedError(status)))
    assert error.status == status
    assert error.error_message == "page 5"
    assert "page 5" in str(error)
