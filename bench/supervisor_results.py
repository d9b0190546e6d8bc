"""The supervisor benchmark's settings, constants and results (bench.supervisor_overhead)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tests.support.tools import ROOT

FUNCTIONS = Path(__file__).parent / "functions"
REPORT = ROOT / "docs" / "BENCHMARKS.md"
SMALL_BYTES = 1024
# Files each method processes before the clock starts: first-request imports and connection
# set-up are start-up costs, not per-file ones.
WARM_UP_FILES = 5
SAMPLE_SECONDS = 0.02
# Each method reads the big file twice, ABBA, so that neither always reads right after the other.
BIG_FILE_ORDER = ("baseline", "platform", "platform", "baseline")
RSS_TARGET_BYTES = 100 * 1000 * 1000
MIB = 1 << 20
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Options:
    files: int
    big_bytes: int
    rounds: int
    report: Path


@dataclass(frozen=True)
class Stats:
    mean: float
    p50: float
    p95: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Stats:
        cuts = statistics.quantiles(seconds, n=100, method="inclusive")
        return cls(mean=statistics.fmean(seconds), p50=statistics.median(seconds), p95=cuts[94])


@dataclass(frozen=True)
class PlatformTiming:
    total: float  # the caller's clock: POST sent to 200 read
    handler: float  # the supervisor's clock for the whole request (its `duration_seconds`)
    script: float  # the script's run, spawn to exit, as the supervisor timed it


@dataclass(frozen=True)
class BaselineTiming:
    total: float
    download: float
    script: float
    upload: float


@dataclass(frozen=True)
class PerFile:
    rounds: int
    platform: list[PlatformTiming]
    baseline: list[BaselineTiming]

    @property
    def platform_stats(self) -> Stats:
        return Stats.of([t.total for t in self.platform])

    @property
    def baseline_stats(self) -> Stats:
        return Stats.of([t.total for t in self.baseline])

    @property
    def ratio(self) -> float:
        return self.platform_stats.mean / self.baseline_stats.mean

    @property
    def overhead_ms(self) -> float:
        return (self.platform_stats.mean - self.baseline_stats.mean) * 1000


@dataclass(frozen=True)
class BigFile:
    size: int
    platform_seconds: list[float]
    script_seconds: float
    supervisor_idle_rss: int
    supervisor_peak_rss: int
    script_peak_rss: int
    samples: int
    baseline_seconds: list[float]

    @property
    def platform_mean(self) -> float:
        return statistics.fmean(self.platform_seconds)

    @property
    def baseline_mean(self) -> float:
        return statistics.fmean(self.baseline_seconds)

    @property
    def target_met(self) -> bool:
        return self.supervisor_peak_rss < RSS_TARGET_BYTES


@dataclass(frozen=True)
class Machine:
    cpus: int
    memory_bytes: int
    cpu_model: str
    python: str
    watchdog: str


@dataclass(frozen=True)
class Report:
    options: Options
    date: datetime
    machine: Machine
    per_file: PerFile
    big_file: BigFile
    runtime_seconds: float
