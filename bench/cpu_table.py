"""The rows of a side-by-side table of CPU per call: each way's rounds, median and ratio to the
first way, beside its wall time (bench.s3_calls, bench.openfaas_async, bench.gateway_callbacks)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

# Per way: (CPU us, wall us) per round.
Rounds = Mapping[str, Sequence[tuple[float, float]]]


def rows(by_way: Rounds, *, lead: str = "") -> list[str]:
    """One markdown row per way, `| <lead>way | CPU median (rounds) | vs first | wall |`."""
    first = statistics.median(c for c, _ in next(iter(by_way.values())))
    out = []
    for name, runs in by_way.items():
        cpu = statistics.median(c for c, _ in runs)
        wall = statistics.median(w for _, w in runs)
        shown = ", ".join(f"{c:.0f}" for c, _ in runs)
        out.append(
            f"| {lead}{name} | {cpu:.0f} us ({shown}) | {cpu / first:.2f}x | {wall:.0f} us |"
        )
    return out
