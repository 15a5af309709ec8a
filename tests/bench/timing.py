"""How a figure is measured: the median of several runs, each of at least ``min_time`` s.

A run repeats its batch until at least ``min_time`` seconds have passed and divides the time
by the operations done; the runs of the libraries being compared are interleaved (each round
runs every library once, in a rotated order), so that a change of load on the machine falls
on all of them alike. The garbage collector stays on, as it is for users; it runs a full
collection before each run so that no run pays for another's garbage.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Figure:
    """Seconds per operation of each run; ``median`` is the figure reported."""

    runs: list[float] = field(default_factory=list)
    ops: int = 0  # operations in one run (the last)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def spread(self) -> float:
        """(max - min) / median over the runs: how steady the machine was."""
        return (max(self.runs) - min(self.runs)) / self.median if self.runs else 0.0


def one_run(batch: Callable[[], int], min_time: float) -> tuple[float, int]:
    """Run ``batch`` (which returns how many operations it did) until ``min_time`` has
    passed; return (seconds per operation, operations)."""
    gc.collect()
    ops = 0
    start = time.perf_counter()
    while True:
        ops += batch()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / ops, ops


def interleaved(
    contenders: dict[str, Callable[[], tuple[float, int]]], rounds: int
) -> dict[str, Figure]:
    """Run each contender's run ``rounds`` times, round-robin, rotating who goes first."""
    names = list(contenders)
    figures = {name: Figure() for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            per_op, ops = contenders[name]()
            figures[name].runs.append(per_op)
            figures[name].ops = ops
    return figures


def load() -> str:
    """The machine's load averages (1, 5, 15 min), as ``uptime`` shows them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"
