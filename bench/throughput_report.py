"""The throughput benchmark's section of docs/BENCHMARKS.md and its two plots."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.platform_measure import Latency, percentile
from bench.platform_stack import MIB
from bench.throughput_measure import Cell

RATIO_TARGET = {1024: 0.80, MIB: 0.95}
START_P50, START_P99 = 0.030, 0.150
OUTPUT_RATIO = 2.0
CPU_TARGET_MS = 8.0
PLOT_RATE = "throughput-concurrency.png"
PLOT_SIZE = "throughput-size.png"
OURS = ("gateway", "provider", "replicas")


@dataclass(frozen=True)
class Run:
    command: str
    machine: str
    date: datetime
    seconds: float
    load_before: float
    load_during: list[float]
    load_after: float
    cells: list[Cell]
    latency: Latency
    loop_single: list[float]


def size_name(size: int) -> str:
    return f"{size // MIB} MiB" if size >= MIB else f"{size // 1024} KiB"


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def render(run: Run) -> str:
    loads = ", ".join(f"{x:.1f}" for x in run.load_during)
    parts = [
        "## Throughput: the platform beside a loop with no platform",
        "",
        f"Written by `{run.command}` on {run.date:%Y-%m-%d %H:%M} UTC in {run.seconds:.0f} s, "
        "under the stack lock (`flock /tmp/oscar-stack.lock ...`).",
        "",
        f"- Machine: {run.machine}; shared with other work: 1-minute load average "
        f"{run.load_before:.1f} before, {loads} after each cell, {run.load_after:.1f} after. "
        "Absolute numbers move with that load; the ratios compare runs made one after the other.",
        "- Each cell: the loop first (N threads, each file: `put_object` of the input, "
        "`get_object` to a file, the copy script through `subprocess.run`, `fput_object` of the "
        "output), then the platform (a copy service with `oscar.concurrency: N`, 2 replicas, "
        "8 queue-workers, batching as it comes; N uploading threads; the clock runs from the "
        "first upload to the last callback, every output counted).",
        "",
        f"![files/s against concurrency, platform beside loop]({PLOT_RATE})",
        f"![files/s against file size]({PLOT_SIZE})",
        "",
        _table(run.cells),
        _targets(run),
        _cpu(run.cells),
    ]
    return "\n".join(parts)


def _table(cells: list[Cell]) -> str:
    rows = [
        "| file | N | files | loop files/s | platform files/s | platform / loop | jobs per "
        "invocation |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cells:
        rows.append(
            f"| {size_name(c.size)} | {c.concurrency} | {c.files} | {c.loop_rate:.1f} | "
            f"{c.platform_rate:.1f} | {c.ratio:.0%} | {c.batches:.1f} |"
        )
    return "\n".join(rows) + "\n"


def _targets(run: Run) -> str:
    lines = ["### Targets", ""]
    for size, target in RATIO_TARGET.items():
        ratios = [c.ratio for c in run.cells if c.size == size]
        worst = min(ratios)
        lines.append(
            f"- {size_name(size)}: platform at least {target:.0%} of the loop at the same "
            f"parallelism: {_verdict(worst >= target)} (from {worst:.0%} to {max(ratios):.0%})."
        )
    started = run.latency.phases["script started"]
    written = run.latency.phases["output in MinIO"]
    finished = run.latency.phases["job finished (callback)"]
    loop = statistics.median(run.loop_single)
    p50, p99 = percentile(started, 0.5), percentile(started, 0.99)
    out50, done50 = percentile(written, 0.5), percentile(finished, 0.5)
    lines += [
        f"- Single files ({run.latency.uploads} at {run.latency.rate:g}/s), upload "
        f"acknowledged to script start: p50 {p50 * 1000:.1f} ms ({_verdict(p50 <= START_P50)}, "
        f"≤ 30), p99 {p99 * 1000:.1f} ms ({_verdict(p99 <= START_P99)}, ≤ 150).",
        f"- Upload acknowledged to output, p50: platform {out50 * 1000:.1f} ms (the output's "
        f"LastModified in MinIO), the loop one file at a time {loop * 1000:.1f} ms (its "
        f"output's upload acknowledged): {out50 / loop:.1f}x "
        f"({_verdict(out50 <= OUTPUT_RATIO * loop)}, ≤ 2x); to the job's callback, after its "
        f"result record: {done50 * 1000:.1f} ms, {done50 / loop:.1f}x.",
    ]
    small = [c for c in run.cells if c.size == 1024]
    cpu = [sum(c.platform_cpu_ms.values()) for c in small]
    ours = [sum(v for k, v in c.platform_cpu_ms.items() if k in OURS) for c in small]
    lines.append(
        f"- CPU per 1 KiB file across the whole platform (every process, MinIO and the "
        f"uploading client included): {min(cpu):.1f} to {max(cpu):.1f} ms "
        f"({_verdict(min(cpu) <= CPU_TARGET_MS)} at best, ≤ 8); in our processes (gateway, "
        f"provider, replicas with their scripts) {min(ours):.1f} to {max(ours):.1f} ms."
    )
    return "\n".join(lines) + "\n"


def _cpu(cells: list[Cell]) -> str:
    names = sorted({k for c in cells for k in c.platform_cpu_ms}, key=_order)
    head = " | ".join(f"{size_name(c.size)} N={c.concurrency}" for c in cells)
    rows = [
        "### CPU per file (ms), by process",
        "",
        f"| process | {head} |",
        "|---|" + "---:|" * len(cells),
    ]
    for name in names:
        values = " | ".join(f"{c.platform_cpu_ms.get(name, 0):.2f}" for c in cells)
        rows.append(f"| platform: {name} | {values} |")
    rows.append(
        "| **platform, all** | "
        + " | ".join(f"**{sum(c.platform_cpu_ms.values()):.2f}**" for c in cells)
        + " |"
    )
    for name in ("the loop (with its scripts)", "minio"):
        values = " | ".join(f"{c.loop_cpu_ms.get(name, 0):.2f}" for c in cells)
        rows.append(f"| loop: {name} | {values} |")
    rows.append(
        "| **loop, all** | "
        + " | ".join(f"**{sum(c.loop_cpu_ms.values()):.2f}**" for c in cells)
        + " |"
    )
    return "\n".join(rows) + "\n"


def _order(name: str) -> tuple[int, str]:
    return (OURS.index(name) if name in OURS else len(OURS), name)


def plot(run: Run, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({c.size for c in run.cells})
    figure, axes = plt.subplots(1, len(sizes), figsize=(4 * len(sizes), 3.4))
    for axis, size in zip(axes, sizes, strict=True):
        cells = [c for c in run.cells if c.size == size]
        xs = [c.concurrency for c in cells]
        axis.plot(xs, [c.loop_rate for c in cells], "o--", label="loop, no platform")
        axis.plot(xs, [c.platform_rate for c in cells], "o-", label="platform")
        axis.set_title(f"{size_name(size)} files")
        axis.set_xlabel("concurrent jobs (loop threads)")
        axis.set_xticks(xs)
        axis.set_ylim(bottom=0)
    axes[0].set_ylabel("files/s")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(folder / PLOT_RATE, dpi=100)
    plt.close(figure)

    figure, (rates, ratios) = plt.subplots(1, 2, figsize=(9, 3.4))
    for n in sorted({c.concurrency for c in run.cells}):
        cells = sorted((c for c in run.cells if c.concurrency == n), key=lambda c: c.size)
        xs = [c.size // 1024 for c in cells]
        line = rates.plot(xs, [c.platform_rate for c in cells], "o-", label=f"platform, N={n}")
        rates.plot(xs, [c.loop_rate for c in cells], "o--", color=line[0].get_color())
        ratios.plot(xs, [c.ratio * 100 for c in cells], "o-", label=f"N={n}")
    for axis in (rates, ratios):
        axis.set_xscale("log")
        axis.set_xlabel("file size (KiB)")
    rates.set_yscale("log")
    rates.set_ylabel("files/s (dashed: loop)")
    rates.legend(fontsize="small")
    ratios.set_ylabel("platform / loop (%)")
    ratios.axhline(80, color="grey", linewidth=0.8)
    ratios.axhline(95, color="grey", linewidth=0.8, linestyle=":")
    ratios.set_ylim(0, max(110, 10 + max(c.ratio * 100 for c in run.cells)))
    ratios.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(folder / PLOT_SIZE, dpi=100)
    plt.close(figure)
