"""What keeps the SDK light: the import path, cached addresses, the field list."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from leapocr._config import ClientConfig
from leapocr._response import FIELDS

ROOT = Path(__file__).resolve().parent.parent

# Each of these would make `import leapocr` slower or drag in test-only code;
# benchmarks/import_cost.py measures what is left.
KEPT_OUT = (
    "anyio",
    "attr",
    "attrs",
    "leapocr._cli",
    "leapocr.testing",
    "leapocr_client",
    "pytest",
    "pytest_httpserver",
    "trio",
    "werkzeug",
)


def _config(base_url: str = "http://127.0.0.1/api/v1") -> ClientConfig:
    return ClientConfig.resolve(
        "test-key-not-a-secret", base_url=base_url, timeout=30.0, max_retries=3
    )


def test_import_leaves_out_the_heavy_parts() -> None:
    """A fresh `import leapocr` loads none of the modules it can do without."""
    code = "import sys, leapocr; print(' '.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    loaded = set(result.stdout.split())
    assert {
        name
        for name in loaded
        if any(name == kept or name.startswith(kept + ".") for kept in KEPT_OUT)
    } == set()


def test_status_fields_follow_the_spec() -> None:
    """The fields read from a status body are the spec's, neither more nor less."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    assert set(spec["components"]["schemas"]["JobStatus"]["properties"]) == FIELDS


def test_status_url_is_parsed_once_per_job() -> None:
    """Asking for the same job twice gives back the same parsed address."""
    config = _config()
    assert config.status_url("job_1") is config.status_url("job_1")
    assert config.status_url("job_1") != config.status_url("job_2")


def test_status_url_depends_on_the_base_url() -> None:
    """Two clients aimed at different places never share an address."""
    first = _config("http://127.0.0.1:8001/api/v1").status_url("job_1")
    second = _config("http://127.0.0.1:8002/api/v1").status_url("job_1")
    assert (first.port, second.port) == (8001, 8002)


def test_status_url_encodes_the_id_as_one_segment() -> None:
    """Slashes, spaces and percent signs stay inside the job's segment."""
    url = _config().status_url("a/b c%2F")
    assert url.raw_path == b"/api/v1/ocr/status/a%2Fb%20c%252F"
