"""One big object: the supervisor's peak RSS while it streams it, against a plain get_object."""

from __future__ import annotations

import io
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

import psutil
import requests
from minio import Minio

from bench.raw_storage import download
from bench.report_file import BenchError
from bench.supervisor_results import BIG_FILE_ORDER, JSON, MIB, SAMPLE_SECONDS, BigFile
from provider.sandbox.replica import Replica
from tests.support.events import minio_event, minio_record

log = logging.getLogger(__name__)

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
    download(s3, source, key, Path(os.devnull), mode="wb")
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
        download(s3, source, key, dest)
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
