"""The scripts in examples/ run to the end against sandboxes they start."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))
TIMEOUT = 60


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Every example started at once: each runs its own sandbox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAPOCR_")}
    started = {
        path.name: subprocess.Popen(
            [sys.executable, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for path in EXAMPLES
    }
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize("name", [path.name for path in EXAMPLES])
def test_example_exits_0(runs: dict[str, subprocess.Popen[str]], name: str) -> None:
    """The example finishes in time with exit status 0."""
    output, _ = runs[name].communicate(timeout=TIMEOUT)
    assert runs[name].returncode == 0, output


def test_there_are_examples() -> None:
    """The directory holds the demo and a few short scripts."""
    assert {"demo.py", "wait_for_one.py", "wait_for_many.py"} <= {
        path.name for path in EXAMPLES
    }


def test_import_stays_light() -> None:
    """`import leapocr` loads neither the command, the sandbox, nor anyio's parts."""
    code = (
        "import sys, leapocr; "
        "print(sorted(m for m in sys.modules if m.startswith(('leapocr._cli', "
        "'leapocr.testing', 'argparse', 'pytest', 'werkzeug', 'anyio.abc', "
        "'anyio.streams'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_package_ships_py_typed() -> None:
    """leapocr/py.typed marks the package as typed for type checkers."""
    import leapocr

    assert (Path(leapocr.__file__).parent / "py.typed").is_file()
