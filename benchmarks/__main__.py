"""`make bench`: run every benchmark, print its tables, save them to docs/.

Each benchmark is a module in this package with a ``run() -> str`` function
returning markdown; add its name to ``SUITES`` to include it.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from pathlib import Path

SUITES: list[str] = ["polling", "call_cost", "import_cost", "scale", "many_jobs"]
REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    """One line describing where the numbers were measured."""
    return (
        f"Measured on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}."
    )


def main(names: list[str]) -> int:
    """Run the named suites (all by default) and write the report."""
    sections = [f"# Benchmarks\n\n{machine()}\n"]
    for name in names or SUITES:
        module = importlib.import_module(f"benchmarks.{name}")
        section = module.run()
        print(section, flush=True)
        sections.append(section)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(sections))
    print(f"written to {REPORT.relative_to(Path.cwd())}")

    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
