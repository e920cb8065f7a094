"""Fail when regenerating leapocr_client/ from openapi.yaml would change a byte.

Run by `make test`; `make generate` is the fix it asks for.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "leapocr_client"
BIN = Path(sys.executable).parent


def _generate(into: Path) -> None:
    command = [
        str(BIN / "openapi-python-client"),
        "generate",
        *("--path", str(ROOT / "openapi.yaml")),
        *("--config", str(ROOT / "generator-config.yaml")),
        *("--meta", "none"),
        *("--output-path", str(into)),
    ]
    # The generator's post hooks call `ruff`; use the pinned one in this venv.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)  # noqa: S603


def _files(tree: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(tree)): path.read_bytes()
        for path in sorted(tree.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def main() -> int:
    """Regenerate into a temporary folder and compare byte for byte."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "leapocr_client"
        _generate(fresh)
        expected, actual = _files(fresh), _files(PACKAGE)
    problems = sorted(
        name
        for name in expected.keys() | actual.keys()
        if expected.get(name) != actual.get(name)
    )
    if problems:
        print("leapocr_client/ is stale; run `make generate`. Differs:")  # noqa: T201
        print(*problems, sep="\n")  # noqa: T201
        return 1

    print("leapocr_client/ matches openapi.yaml and generator-config.yaml")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
