"""The supervisor benchmark's table and its section of docs/BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.supervisor_results import (
    MIB,
    RSS_TARGET_BYTES,
    SAMPLE_SECONDS,
    SMALL_BYTES,
    WARM_UP_FILES,
    BigFile,
    Machine,
    PerFile,
    Report,
    Stats,
)
from provider.sandbox.replica import Replica
from tests.support.tools import watchdog_is_standin

# --- the machine, the table and the markdown section -------------------------------------------


def describe_machine(function: Replica) -> Machine:
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
    memory = next(int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemTotal:"))
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    python = platform.python_version()
    # The supervisor runs in the template's virtualenv, which may use another interpreter.
    venv_python = function.image.bin_dir / "python3"
    theirs = subprocess.run(
        [str(venv_python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if theirs and theirs != python:
        python = f"{python} (supervisor: {theirs})"
    watchdog = (
        "watchdog-standin (the real of-watchdog is not installable here)"
        if watchdog_is_standin()
        else "of-watchdog"
    )
    return Machine(
        cpus=len(os.sched_getaffinity(0)),  # what `nproc` prints
        memory_bytes=memory,
        cpu_model=models[0] if models else "unknown",
        python=python,
        watchdog=watchdog,
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values)


def render_table(report: Report) -> str:
    pf, big = report.per_file, report.big_file
    rows = [
        ("method", "mean ms", "p50 ms", "p95 ms"),
        ("platform", *(_ms(v) for v in _triple(pf.platform_stats))),
        ("baseline", *(_ms(v) for v in _triple(pf.baseline_stats))),
    ]
    parts = _Breakdown.of(pf)
    lines = [f"Per file ({len(pf.platform)} x {SMALL_BYTES} B, {pf.rounds} alternating rounds)"]
    lines += [f"  {a:<10} {b:>9} {c:>9} {d:>9}" for a, b, c, d in rows]
    lines.append(
        f"  ratio platform/baseline {pf.ratio:.2f}x, overhead {pf.overhead_ms:+.2f} ms per file"
    )
    lines.append(
        f"  mean ms: platform = hop {_ms(parts.hop)} + supervisor {_ms(parts.inside)} "
        f"+ script {_ms(parts.platform_script)}; baseline = storage {_ms(parts.storage)} "
        f"+ script {_ms(parts.baseline_script)}"
    )
    lines.append(f"Big file ({big.size // MIB} MiB, count script)")
    lines.append(
        f"  platform {_seconds(big.platform_seconds)} s, baseline get_object to a file "
        f"{_seconds(big.baseline_seconds)} s"
    )
    lines.append(
        f"  supervisor peak RSS {big.supervisor_peak_rss / MIB:.1f} MiB "
        f"(idle {big.supervisor_idle_rss / MIB:.1f}), script peak {_script_rss(big)}, "
        f"{big.samples} samples"
    )
    lines.append(
        f"  RSS target < {RSS_TARGET_BYTES // 10**6} MB: {'met' if big.target_met else 'MISSED'}"
    )
    lines.append(f"Run time {report.runtime_seconds:.0f} s")
    return "\n".join(lines)


@dataclass(frozen=True)
class _Breakdown:
    """Mean milliseconds per part; each method's parts add up to its mean."""

    hop: float  # caller's clock minus the supervisor's: watchdog proxy, cheroot, Flask, JSON
    inside: float  # the supervisor's clock minus the script: storage, workspace, parsing, log
    platform_script: float
    storage: float  # the baseline's get_object and fput_object (and removing its two files)
    baseline_script: float

    @classmethod
    def of(cls, pf: PerFile) -> _Breakdown:
        return cls(
            hop=_mean([t.total - t.handler for t in pf.platform]),
            inside=_mean([t.handler - t.script for t in pf.platform]),
            platform_script=_mean([t.script for t in pf.platform]),
            storage=_mean([t.download + t.upload for t in pf.baseline]),
            baseline_script=_mean([t.script for t in pf.baseline]),
        )


def _triple(stats: Stats) -> tuple[float, float, float]:
    return stats.mean, stats.p50, stats.p95


def _seconds(values: Sequence[float]) -> str:
    each = ", ".join(f"{v:.2f}" for v in values)
    return f"{_mean(values):.2f} ({each})"


def _script_rss(big: BigFile) -> str:
    if big.script_peak_rss == 0:
        return (
            f"not caught (the script ran {big.script_seconds * 1000:.0f} ms, "
            f"less than one {SAMPLE_SECONDS * 1000:.0f} ms interval)"
        )
    return f"{big.script_peak_rss / MIB:.1f} MiB"


def render_markdown(report: Report) -> str:
    pf, big, m, o = report.per_file, report.big_file, report.machine, report.options
    ps, bs = pf.platform_stats, pf.baseline_stats
    parts = _Breakdown.of(pf)
    spawn_ms = (parts.platform_script - parts.baseline_script) * 1000
    target = RSS_TARGET_BYTES // 10**6
    verdict = "met" if big.target_met else "**missed**"
    return f"""\
## Supervisor overhead

Written by `python -m bench.supervisor_overhead --files {o.files} --big-mb {o.big_bytes // MIB}` \
on {report.date:%Y-%m-%d %H:%M} UTC in {report.runtime_seconds:.0f} s; run it again to refresh \
this section.

- Machine: {m.cpus} CPUs ({m.cpu_model}), {m.memory_bytes / 2**30:.1f} GiB memory, Python {m.python}
- Watchdog: {m.watchdog}
- MinIO: the pinned server on loopback, one drive in a temporary folder

### Per-file overhead

{len(pf.platform)} files of {SMALL_BYTES} bytes, a script that copies its input to its output, \
{pf.rounds} rounds alternating the two methods (after {WARM_UP_FILES} warm-up files each).
The platform POSTs a MinIO event per file to the watchdog and waits for the 200, one at a time; \
the baseline is a plain Python loop: `get_object` to a file, the same script through \
`subprocess.run` with the same environment, `fput_object`.

| method | mean ms | p50 ms | p95 ms |
|---|---:|---:|---:|
| platform (event → watchdog → supervisor) | {_ms(ps.mean)} | {_ms(ps.p50)} | {_ms(ps.p95)} |
| baseline (plain loop) | {_ms(bs.mean)} | {_ms(bs.p50)} | {_ms(bs.p95)} |

Ratio platform/baseline: **{pf.ratio:.2f}x** (mean), {ps.p50 / bs.p50:.2f}x (p50). \
Overhead: **{pf.overhead_ms:+.2f} ms per file** (mean), {(ps.p50 - bs.p50) * 1000:+.2f} ms (p50).

| where the time goes (mean ms) | platform | baseline |
|---|---:|---:|
| HTTP hop: watchdog proxy, cheroot, Flask, JSON answer | {_ms(parts.hop)} | — |
| storage, workspace, event parsing, log file | {_ms(parts.inside)} | {_ms(parts.storage)} |
| script, spawn to exit | {_ms(parts.platform_script)} | {_ms(parts.baseline_script)} |

What the overhead consists of: the HTTP hop, the caller's clock minus the supervisor's own \
({_ms(parts.hop)} ms: the watchdog proxies the POST to cheroot, Flask routes it, the JSON answer \
comes back the same way); {(parts.inside - parts.storage) * 1000:+.2f} ms of event parsing, \
workspace creation and removal (`mkdtemp`, `in/`, `out/`, the walk for outputs) and the script's \
log file beyond the same `get_object` and `fput_object`; and {spawn_ms:+.2f} ms of process \
spawn beyond `subprocess.run` (a session of its own, the log file, waiting with a timeout, \
killing the process group afterwards).

### Peak memory on a big file

One object of {big.size // MIB} MiB, a script that only counts its bytes (`wc -c`); each method \
read it twice, baseline and platform in ABBA order, after one untimed read. RSS sampled every \
{SAMPLE_SECONDS * 1000:.0f} ms during the requests ({big.samples} samples).

| | time s, mean (runs) | peak RSS |
|---|---:|---:|
| platform: supervisor process (idle before: {big.supervisor_idle_rss / MIB:.1f} MiB) \
| {_seconds(big.platform_seconds)} | {big.supervisor_peak_rss / MIB:.1f} MiB |
| platform: the script's processes | | {_script_rss(big)} |
| baseline: `get_object` streamed to a file | {_seconds(big.baseline_seconds)} | — |

Target, supervisor peak RSS under {target} MB ({RSS_TARGET_BYTES / MIB:.1f} MiB): {verdict}.
"""
