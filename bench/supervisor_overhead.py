"""What the function runtime costs per file, and what memory it holds while reading a big file.

Run from the repository root:

    python -m bench.supervisor_overhead [--files 200] [--big-mb 1024]

One run starts a real MinIO and two functions built the way the integration tests build them
(faas-cli shrinkwrap, the template's virtualenv, the watchdog binary in front of the supervisor),
then measures, side by side:

* per file: a MinIO event for a 1 KiB object POSTed to the function (the platform), against a plain
  Python loop doing the same work with no platform (get_object, the same script through
  subprocess with the same environment, fput_object); the two alternate in rounds so that neither
  gets all the warm caches;
* on one big object: the supervisor's peak RSS while it streams the object into its workspace and
  a script counts the bytes, against a plain get_object streamed to a file (time only).

It prints a table and rewrites the supervisor section of docs/BENCHMARKS.md, nothing else.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast

import psutil
import requests
from minio import Minio

from engine.errors import EngineError
from engine.replica import Replica
from supervisor.config import SupervisorConfig
from tests.support.events import minio_event, minio_record
from tests.support.function import shrinkwrap, start_function
from tests.support.minio_server import ACCESS_KEY, SECRET_KEY, MinioInstance, start_minio
from tests.support.tools import ROOT, watchdog_is_standin

log = logging.getLogger(__name__)

FUNCTIONS = Path(__file__).parent / "functions"
REPORT = ROOT / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- supervisor:begin -->", "<!-- supervisor:end -->"
SMALL_BYTES = 1024
# Files each method processes before the clock starts: first-request imports and connection
# set-up are start-up costs, not per-file ones.
WARM_UP_FILES = 5
SAMPLE_SECONDS = 0.02
# Each method reads the big file twice, ABBA, so that neither always reads right after the other.
BIG_FILE_ORDER = ("baseline", "platform", "platform", "baseline")
RSS_TARGET_BYTES = 100 * 1000 * 1000
CHUNK = 1 << 20  # what the supervisor streams downloads with; the baseline does the same
MIB = 1 << 20
JSON = {"Content-Type": "application/json"}


class BenchError(Exception):
    """The benchmark could not measure something; the message says what and where to look."""


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


def run(options: Options) -> Report:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="oscar-bench-") as tmp:
        workdir = Path(tmp)
        running: list[Callable[[], None]] = []
        try:
            log.info("starting MinIO and building the functions")
            minio = start_minio(workdir / "minio")
            running.append(minio.stop)
            s3 = minio.client()
            source, target = "bench-in", "bench-out"
            for bucket in (source, target):
                s3.make_bucket(bucket)
            env = _function_env(minio, workdir, source=source, target=target)
            copy = _start("copy", workdir, env)
            running.append(copy.stop)
            count = _start("count", workdir, env)
            running.append(count.stop)
            machine = _describe_machine(copy)
            per_file = measure_per_file(
                s3, copy, source=source, target=target, options=options, scratch=workdir
            )
            big_file = measure_big_file(
                s3, count, source=source, size=options.big_bytes, scratch=workdir
            )
        finally:
            for stop in reversed(running):
                stop()
    return Report(
        options=options,
        date=datetime.now(UTC),
        machine=machine,
        per_file=per_file,
        big_file=big_file,
        runtime_seconds=time.monotonic() - started,
    )


def _function_env(
    minio: MinioInstance, workdir: Path, *, source: str, target: str
) -> dict[str, str]:
    """What the integration tests' `run_function` fixture gives a function."""
    secrets = workdir / "secrets"
    secrets.mkdir()
    (secrets / "s3-access-key").write_text(ACCESS_KEY)
    (secrets / "s3-secret-key").write_text(SECRET_KEY)
    return {
        "S3_ENDPOINT": minio.endpoint,
        "SECRETS_DIR": str(secrets),
        "INPUT_PATH": f"{source}/in",
        "OUTPUT_PATH": f"{target}/out",
    }


def _start(name: str, workdir: Path, env: dict[str, str]) -> Replica:
    # A name of its own: the image store keys images by it, and two replicas must not share one.
    context = shrinkwrap(FUNCTIONS / name, workdir / f"build-{name}", name=f"bench-{name}")
    function = start_function(context, workdir / f"fn-{name}", env=env)
    log.info("function %s ready at %s (log %s)", name, function.url, function.log_path)
    return function


# --- per-file overhead -------------------------------------------------------------------------


def measure_per_file(
    s3: Minio,
    function: Replica,
    *,
    source: str,
    target: str,
    options: Options,
    scratch: Path,
) -> PerFile:
    log.info("uploading %d files of %d bytes", options.files + WARM_UP_FILES, SMALL_BYTES)
    # Events are built before the clock starts: making them is the caller's cost, not the path's.
    events: list[tuple[str, bytes]] = []
    for index in range(options.files + WARM_UP_FILES):
        key = f"in/small-{index:05d}.bin"
        etag = s3.put_object(source, key, io.BytesIO(os.urandom(SMALL_BYTES)), SMALL_BYTES).etag
        events.append(
            (key, minio_event(minio_record(source, key, etag=str(etag), size=SMALL_BYTES)))
        )
    # Exactly the command and environment the supervisor gives the script, built the same way.
    config = SupervisorConfig.from_env(function.env)
    platform_path = _Platform(function)
    baseline = _Baseline(s3, config, source=source, target=target, scratch=scratch / "baseline")
    try:
        for key, body in events[:WARM_UP_FILES]:
            platform_path.process(body)
            baseline.process(key, body)
        measured = events[WARM_UP_FILES:]
        platform_timings: list[PlatformTiming] = []
        baseline_timings: list[BaselineTiming] = []
        for r in range(options.rounds):
            block = measured[
                len(measured) * r // options.rounds : len(measured) * (r + 1) // options.rounds
            ]
            # Alternate who goes first, so that neither always follows the other's cache misses.
            order = ("platform", "baseline") if r % 2 == 0 else ("baseline", "platform")
            for method in order:
                for key, body in block:
                    if method == "platform":
                        platform_timings.append(platform_path.process(body))
                    else:
                        baseline_timings.append(baseline.process(key, body))
            log.info("round %d/%d: %d files each way", r + 1, options.rounds, len(block))
    finally:
        platform_path.close()
    _check_outputs(s3, target, expected=len(events))
    return PerFile(rounds=options.rounds, platform=platform_timings, baseline=baseline_timings)


class _Platform:
    """A caller of the function, like the gateway: one keep-alive session, one event at a time."""

    def __init__(self, function: Replica) -> None:
        self._function = function
        self._session = requests.Session()

    def process(self, body: bytes) -> PlatformTiming:
        started = time.perf_counter()
        response = self._session.post(self._function.url, data=body, headers=JSON, timeout=60)
        total = time.perf_counter() - started
        if response.status_code != 200:
            raise BenchError(
                f"the function answered {response.status_code}, expected 200: "
                f"{response.text[:500]}; its log is {self._function.log_path}"
            )
        answer = response.json()
        [result] = answer["results"]
        if len(result["outputs"]) != 1:
            raise BenchError(f"expected one output per file, the function reported {result}")
        return PlatformTiming(
            total=total,
            handler=float(answer["duration_seconds"]),
            script=float(result["duration_seconds"]),
        )

    def close(self) -> None:
        self._session.close()


class _Baseline:
    """The same per-file work as a plain loop with no platform: no HTTP, watchdog or supervisor."""

    def __init__(
        self, s3: Minio, config: SupervisorConfig, *, source: str, target: str, scratch: Path
    ) -> None:
        self._s3 = s3
        self._command = list(config.script)
        self._env = dict(config.script_env)
        self._source = source
        self._target = target
        self._scratch = scratch
        self._inputs = scratch / "in"
        self._outputs = scratch / "out"
        self._inputs.mkdir(parents=True)
        self._outputs.mkdir()

    def process(self, key: str, event: bytes) -> BaselineTiming:
        [record] = json.loads(event)["Records"]
        input_file = self._inputs / key.rsplit("/", 1)[-1]
        started = time.perf_counter()
        _download(self._s3, self._source, key, input_file)
        downloaded = time.perf_counter()
        env = {
            **self._env,
            "INPUT_FILE_PATH": str(input_file),
            "TMP_INPUT_DIR": str(self._inputs),
            "TMP_OUTPUT_DIR": str(self._outputs),
            "STORAGE_OBJECT_KEY": key,
            "STORAGE_BUCKET": self._source,
            "EVENT": event.decode(),
            "EVENT_TIME": record["eventTime"],
        }
        result = subprocess.run(
            self._command,
            env=env,
            cwd=self._scratch,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise BenchError(
                f"the baseline's script exited {result.returncode}: {result.stderr[-500:]!r}"
            )
        ran = time.perf_counter()
        for output in sorted(self._outputs.iterdir()):
            self._s3.fput_object(self._target, f"baseline/{output.name}", str(output))
            output.unlink()
        input_file.unlink()
        done = time.perf_counter()
        return BaselineTiming(
            total=done - started,
            download=downloaded - started,
            script=ran - downloaded,
            upload=done - ran,
        )


def _download(s3: Minio, bucket: str, key: str, dest: Path, *, mode: str = "xb") -> int:
    """get_object streamed to `dest` in CHUNK pieces, as the supervisor's storage module does."""
    written = 0
    response = s3.get_object(bucket, key)
    try:
        with dest.open(mode) as out:
            for chunk in response.stream(CHUNK):
                out.write(chunk)
                written += len(chunk)
    finally:
        response.close()
        response.release_conn()
    return written


def _check_outputs(s3: Minio, bucket: str, *, expected: int) -> None:
    for prefix in ("out/", "baseline/"):
        found = sum(1 for _ in s3.list_objects(bucket, prefix=prefix))
        if found != expected:
            raise BenchError(f"expected {expected} outputs under {bucket}/{prefix}, found {found}")


# --- peak memory on a big file -----------------------------------------------------------------


def measure_big_file(
    s3: Minio, function: Replica, *, source: str, size: int, scratch: Path
) -> BigFile:
    key = "in/big.bin"
    log.info("uploading a %d MiB object", size // MIB)
    data = cast(BinaryIO, _Repeating(size))
    etag = s3.put_object(source, key, data, size, part_size=64 * MIB).etag
    # Whoever reads first after the upload would also pay for its write-back: flush it, and read
    # the object once untimed, so both methods start from the same page cache.
    os.sync()
    _download(s3, source, key, Path(os.devnull), mode="wb")
    body = minio_event(minio_record(source, key, etag=str(etag), size=size))
    supervisor = _supervisor_process(function)
    idle = supervisor.memory_info().rss
    runs: list[_BigRun] = []
    baseline: list[float] = []
    for method in BIG_FILE_ORDER:
        log.info("big file: %s", method)
        if method == "platform":
            runs.append(_big_file_request(function, supervisor, body, size))
            continue
        dest = scratch / "big.bin"
        started = time.perf_counter()
        _download(s3, source, key, dest)
        baseline.append(time.perf_counter() - started)
        dest.unlink()
    return BigFile(
        size=size,
        platform_seconds=[r.seconds for r in runs],
        script_seconds=max(r.script_seconds for r in runs),
        supervisor_idle_rss=idle,
        supervisor_peak_rss=max(r.peak_rss for r in runs),
        script_peak_rss=max(r.children_peak_rss for r in runs),
        samples=sum(r.samples for r in runs),
        baseline_seconds=baseline,
    )


@dataclass(frozen=True)
class _BigRun:
    seconds: float
    script_seconds: float
    peak_rss: int
    children_peak_rss: int
    samples: int


def _big_file_request(
    function: Replica, supervisor: psutil.Process, body: bytes, size: int
) -> _BigRun:
    with _RssSampler(supervisor) as sampler:
        started = time.perf_counter()
        response = requests.post(function.url, data=body, headers=JSON, timeout=900)
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise BenchError(
            f"the count function answered {response.status_code}: {response.text[:500]}; "
            f"its log is {function.log_path}"
        )
    [result] = response.json()["results"]
    if str(size) not in result["log_tail"]:
        raise BenchError(f"the count script did not see {size} bytes: {result['log_tail']!r}")
    return _BigRun(
        seconds=seconds,
        script_seconds=float(result["duration_seconds"]),
        peak_rss=sampler.peak,
        children_peak_rss=sampler.children_peak,
        samples=sampler.samples,
    )


class _Repeating(io.RawIOBase):
    """`size` bytes of one random MiB over and over: a big upload that is never held in memory."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._left = size
        self._chunk = os.urandom(MIB)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = self._left if size < 0 else min(size, self._left)
        whole, rest = divmod(n, len(self._chunk))
        self._left -= n
        return self._chunk * whole + self._chunk[:rest]


def _supervisor_process(function: Replica) -> psutil.Process:
    watchdog = psutil.Process(function.process.pid)
    found = [p for p in watchdog.children(recursive=True) if "python" in p.name()]
    if len(found) != 1:
        names = [(p.pid, p.name()) for p in watchdog.children(recursive=True)]
        raise BenchError(
            f"expected one python process under the watchdog {watchdog.pid}, found {names}"
        )
    return found[0]


class _RssSampler:
    """Peak RSS of a process, and of its children together, sampled in a thread."""

    def __init__(self, process: psutil.Process, *, interval: float = SAMPLE_SECONDS) -> None:
        self.peak = 0
        self.children_peak = 0
        self.samples = 0
        self._process = process
        self._interval = interval
        self._error: psutil.Error | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self._error is not None:
            raise BenchError(f"could not sample the supervisor's memory: {self._error}")

    def _run(self) -> None:
        try:
            while True:
                self._sample()
                if self._stop.wait(self._interval):
                    return
        except psutil.Error as e:  # the supervisor itself went away: reported by __exit__
            self._error = e

    def _sample(self) -> None:
        self.peak = max(self.peak, self._process.memory_info().rss)
        children = 0
        for child in self._process.children(recursive=True):
            try:
                children += child.memory_info().rss
            except psutil.NoSuchProcess:
                continue  # the script ended between the listing and the read
        self.children_peak = max(self.children_peak, children)
        self.samples += 1


# --- the machine, the table and the markdown section -------------------------------------------


def _describe_machine(function: Replica) -> Machine:
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

    hop: float  # caller's clock minus the supervisor's: watchdog proxy, waitress, Flask, JSON
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
| HTTP hop: watchdog proxy, waitress, Flask, JSON answer | {_ms(parts.hop)} | — |
| storage, workspace, event parsing, log file | {_ms(parts.inside)} | {_ms(parts.storage)} |
| script, spawn to exit | {_ms(parts.platform_script)} | {_ms(parts.baseline_script)} |

What the overhead consists of: the HTTP hop, the caller's clock minus the supervisor's own \
({_ms(parts.hop)} ms: the watchdog proxies the POST to waitress, Flask routes it, the JSON answer \
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


def write_section(path: Path, section: str) -> None:
    """Replace the text between the supervisor markers in `path`, leaving the rest alone."""
    block = f"{BEGIN}\n{section.rstrip()}\n{END}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# Benchmarks\n\nEach benchmark in `bench/` rewrites only its own section, between its "
            f"markers.\n\n{block}\n",
            encoding="utf-8",
        )
        return
    text = path.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start == -1 and end == -1:
        path.write_text(f"{text.rstrip()}\n\n{block}\n", encoding="utf-8")
    elif start == -1 or end < start:
        raise BenchError(
            f"{path}: expected {BEGIN} before {END}, found only one of them or both out of order; "
            "fix the markers by hand, then run the benchmark again"
        )
    else:
        path.write_text(text[:start] + block + text[end + len(END) :], encoding="utf-8")


def parse_options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.supervisor_overhead",
        description="Measure the function runtime's per-file overhead and its peak memory.",
    )
    parser.add_argument("--files", type=int, default=200, help="small files per method (200)")
    parser.add_argument(
        "--big-mb", type=int, default=1024, help="size of the big file in MiB (1024)"
    )
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (4)")
    parser.add_argument("--report", type=Path, default=REPORT, help="markdown file to update")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.files < max(2, args.rounds):
        parser.error(f"--files must be at least 2 and at least --rounds; found {args.files}")
    if args.big_mb < 1:
        parser.error(f"--big-mb must be at least 1; found {args.big_mb}")
    return Options(
        files=args.files, big_bytes=args.big_mb * MIB, rounds=args.rounds, report=args.report
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    options = parse_options(argv)
    try:
        report = run(options)
        print(render_table(report))
        write_section(options.report, render_markdown(report))
    # The test helpers report a server that would not start as an AssertionError.
    except (BenchError, EngineError, AssertionError) as e:
        log.error("benchmark failed: %s", e)
        return 1
    log.info("updated %s", options.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
