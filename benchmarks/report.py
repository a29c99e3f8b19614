"""Markdown tables: timing rows (`benchmarks.harness.Row`) and tape memory."""
from __future__ import annotations

from typing import Sequence

from benchmarks.harness import Row


def _us(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e6:.3f}"


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:.2f}"


def table(rows: Sequence[Row], limit: float, reference: str = "hand") -> str:
    """A markdown table of rows; ratios above `limit` are flagged.

    "srcgrad" calls the object `grad` returns, as a user does; "generated"
    calls the plain generated function inside it (`.generated`), so the
    difference between the two is the cost of the call mechanism alone."""
    out = [f"| function | primal µs | {reference} µs | srcgrad µs | srcgrad/{reference} "
           f"| generated µs | generated/{reference} | decorate ms (CPU) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        if "srcgrad" not in row.best:
            cells = [row.note or "srcgrad: not supported yet"] + ["—"] * 3
        else:
            cells = [_us(row.best["srcgrad"]), _ratio(row.ratios["srcgrad"], limit),
                     _us(row.best["plain"]), _ratio(row.ratios["plain"], limit)]
        out.append(f"| {row.name} | {_us(row.best['primal'])} | {_us(row.best['hand'])} | {' | '.join(cells)} "
                   f"| {_ms(row.decorate)} |")
    return "\n".join(out)


def _ratio(value: float, limit: float) -> str:
    return f"{value:.2f}" + (" ⚠" if value > limit else "")


def memory_table(results) -> str:
    """Rows of `benchmarks.bench_loops.tape_memory`: peak bytes and bytes per iteration."""
    out = ["| n | srcgrad peak bytes | bytes/iteration | hand peak bytes | bytes/iteration |",
           "|---:|---:|---:|---:|---:|"]
    for n, ours, hand in results:
        ours_cells = ("srcgrad: not supported yet", "—") if ours is None else (f"{ours:,}", f"{ours / n:.1f}")
        out.append(f"| {n:,} | {ours_cells[0]} | {ours_cells[1]} | {hand:,} | {hand / n:.1f} |")
    return "\n".join(out)
