"""Import cost: ``import leapocr`` against ``import httpx``, in fresh interpreters.

Each run starts a new interpreter and times the import statement alone (not
the interpreter's own start), alternating which of the pair goes first. The
SDK is byte-compiled beforehand, as pip does when it installs a wheel, so
that neither side pays for compiling source.
"""

from __future__ import annotations

import compileall
import subprocess
import sys
from pathlib import Path

from benchmarks._report import median, ratio, table

PAIRS = 31
TARGET = 1.2
ROOT = Path(__file__).resolve().parent.parent

#: Modules kept out of ``import leapocr`` (tests/test_lean.py checks them all):
#: the CLI, the sandbox, the generated package and attrs (loaded with the first
#: request), anyio (loaded with the first async client).
KEPT_OUT = (
    "leapocr._cli",
    "leapocr.testing",
    "werkzeug",
    "leapocr_client",
    "attrs",
    "anyio",
)

_TIMED = (
    "import time\n"
    "began = time.perf_counter()\n"
    "import {module}\n"
    "print(time.perf_counter() - began)\n"
)
_LOADED = "import sys, leapocr\nprint(' '.join(sorted(sys.modules)))\n"


def _import_seconds(module: str) -> float:
    code = _TIMED.format(module=module)
    result = subprocess.run(  # noqa: S603 -- our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    return float(result.stdout)


def _compile() -> None:
    for package in ("leapocr", "leapocr_client"):
        compileall.compile_dir(ROOT / package, quiet=1)


def _loaded_modules() -> set[str]:
    result = subprocess.run(  # noqa: S603 -- our own interpreter, fixed code
        [sys.executable, "-c", _LOADED], capture_output=True, text=True, check=True
    )

    return set(result.stdout.split())


def _kept_out_rows(loaded: set[str]) -> list[list[object]]:
    def present(name: str) -> bool:
        return any(m == name or m.startswith(name + ".") for m in loaded)

    return [
        [f"`{name}`", "loaded" if present(name) else "not loaded"] for name in KEPT_OUT
    ]


def run() -> str:
    """Time both imports and return the markdown section."""
    _compile()
    httpx_times: list[float] = []
    sdk_times: list[float] = []
    for turn in range(PAIRS):
        order = ["httpx", "leapocr"] if turn % 2 else ["leapocr", "httpx"]
        for module in order:
            took = _import_seconds(module)
            (httpx_times if module == "httpx" else sdk_times).append(took)
    pair_ratios = [s / h for s, h in zip(sdk_times, httpx_times, strict=True)]
    floor, sdk = median(httpx_times), median(sdk_times)
    rows = [
        ["`import httpx`", f"{floor * 1000:.1f}", "1.00x"],
        ["`import leapocr`", f"{sdk * 1000:.1f}", ratio(sdk, floor)],
    ]

    return (
        "## Import cost\n\n"
        f"Median of {PAIRS} paired fresh-interpreter runs, timing the import "
        "statement alone; byte-compiled first.\n\n"
        + table(["import", "ms", "vs httpx"], rows)
        + f"\n- median of the paired ratios: {median(pair_ratios):.2f}x"
        f" (target at most {TARGET:.2f}x)\n\n"
        + table(["kept out of `import leapocr`", ""], _kept_out_rows(_loaded_modules()))
    )
