"""Small helpers shared by the suites: markdown tables and statistics."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

__all__ = ["median", "ratio", "table"]


def median(values: Sequence[float]) -> float:
    """The median of ``values``; 0 when there are none."""
    return statistics.median(values) if values else 0.0


def ratio(value: float, floor: float) -> str:
    """``value`` as a multiple of ``floor``, such as "1.07x"."""
    return f"{value / floor:.2f}x" if floor else "n/a"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table; the first column is left-aligned, the rest right."""
    align = [":---"] + ["---:"] * (len(headers) - 1)
    lines = [_row(headers), _row(align)]
    lines.extend(_row([str(cell) for cell in row]) for row in rows)

    return "\n".join(lines) + "\n"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
