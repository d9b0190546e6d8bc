"""The platform benchmark's call measurements: synchronous hops, one big file, cold start."""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import requests
import yaml
from minio import Minio
from minio.error import S3Error

from bench.platform_measure import SMALL, script_time
from bench.platform_stack import MIB, Bench, BenchService, RssSampler
from bench.raw_storage import download
from bench.report_file import BenchError
from tests.support.waiting import wait_for

# --- synchronous calls -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sync:
    calls: int
    seconds: dict[str, list[float]]  # path -> per-call seconds


SYNC_DIRECT = "watchdog (direct)"
SYNC_RUN = "gateway /run"


def measure_sync(bench: Bench, service: BenchService, *, calls: int) -> Sync:
    """The same 1 KiB call through each hop, interleaved call by call after a warm-up."""
    session = requests.Session()
    body = b"x" * SMALL
    name = service.name
    urls = {
        SYNC_DIRECT: (bench.replica_url(name), {}),
        "provider": (f"{bench.stack.status['provider']['url']}/function/{name}", {}),
        "OpenFaaS gateway": (f"{bench.stack.openfaas_url}/function/{name}", {}),
        SYNC_RUN: (
            f"{bench.gateway_url}/run/{name}",
            {"Authorization": f"Bearer {service.token}"},
        ),
    }

    def call(url: str, headers: dict[str, str]) -> float:
        started = time.perf_counter()
        answer = session.post(url, data=body, headers=headers, timeout=30)
        seconds = time.perf_counter() - started
        if answer.status_code != 200 or answer.text.strip() != str(SMALL):
            raise BenchError(f"{url} answered {answer.status_code}: {answer.text[:300]!r}")
        return seconds

    seconds: dict[str, list[float]] = {path: [] for path in urls}
    for url, headers in urls.values():
        for _ in range(20):
            call(url, headers)
    # Interleaved call by call, each time in another order: a burst of other work on the
    # machine then lands on every path alike instead of on one path's round.
    order = list(urls.items())
    for number in range(calls):
        shift = number % len(order)
        for path, (url, headers) in order[shift:] + order[:shift]:
            seconds[path].append(call(url, headers))
    return Sync(calls, seconds)


# --- one big file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Big:
    size: int
    upload_seconds: float
    platform_seconds: float  # event at the gateway -> output present in MinIO
    before_script_seconds: float  # event -> the script's first line: dispatch and download
    script_seconds: float  # the script's own `cp` of the file
    after_script_seconds: float  # the script's last line -> the callback: the output's upload
    raw_get_seconds: float
    raw_put_seconds: float
    sync_seconds: float  # POST /run with the file, the copy read back
    peaks: dict[str, int]  # process -> peak RSS during the async job
    sync_peaks: dict[str, int]  # process -> peak RSS during the sync call
    idle: dict[str, int]
    samples: int


class Repeating(io.RawIOBase):
    """`size` bytes of one random MiB over and over: a big body that is never held in memory."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.len = size  # requests sends it with this Content-Length, streamed
        self._left = size
        self._chunk = os.urandom(MIB)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = self._left if size is None or size < 0 else min(size, self._left)
        whole, rest = divmod(n, len(self._chunk))
        self._left -= n
        return self._chunk * whole + self._chunk[:rest]


def measure_big(bench: Bench, service: BenchService, *, size: int, scratch: Path) -> Big:
    s3, name = bench.stack.minio, service.name
    key, output = "in/big.bin", "out/big.bin"
    supervisors = bench.supervisors(name)
    if not supervisors:
        raise BenchError(f"no supervisor process of {name} found (user oscar-fn, cmdline)")
    watched = {
        "supervisor": supervisors,
        "gateway": [bench.component("gateway")],
        "provider": [bench.component("provider")],
    }
    idle = {label: max(p.memory_info().rss for p in ps) for label, ps in watched.items()}

    def present() -> bool:
        try:
            s3.stat_object(service.output_bucket, output)
        except S3Error:
            return False
        return True

    with RssSampler(watched, probe=present) as sampler:
        started = time.perf_counter()
        s3.put_object(service.input_bucket, key, cast(BinaryIO, Repeating(size)), size,
                      part_size=64 * MIB)  # fmt: skip
        upload = time.perf_counter() - started
        [job] = bench.wait_succeeded(name, 1, timeout=600)
        wait_for(lambda: sampler.probe_true_at, timeout=30, what="the big output to appear")
    assert sampler.probe_true_at is not None
    stat = s3.stat_object(service.output_bucket, output)
    if stat.size != size:
        raise BenchError(f"the big output has {stat.size} bytes, expected {size}")
    script_began = script_time(job["log_tail"], "started")
    script_ended = script_time(job["log_tail"], "copied")
    raw_get, raw_put = _raw_get_put(s3, service, key, scratch / "raw.bin")
    sync, sync_peaks = _sync_big(bench, service, watched, size)
    return Big(
        size=size,
        upload_seconds=upload,
        platform_seconds=sampler.probe_true_at - float(job["received_at"]),
        before_script_seconds=script_began - float(job["received_at"]),
        script_seconds=script_ended - script_began,
        after_script_seconds=float(job["finished_at"]) - script_ended,
        raw_get_seconds=raw_get,
        raw_put_seconds=raw_put,
        sync_seconds=sync,
        peaks=sampler.peaks,
        sync_peaks=sync_peaks,
        idle=idle,
        samples=sampler.samples,
    )


def _raw_get_put(s3: Minio, service: BenchService, key: str, dest: Path) -> tuple[float, float]:
    started = time.perf_counter()
    download(s3, service.input_bucket, key, dest)
    got = time.perf_counter()
    s3.fput_object(service.output_bucket, "raw/big.bin", str(dest))
    put = time.perf_counter()
    dest.unlink()
    return got - started, put - got


def _sync_big(
    bench: Bench, service: BenchService, watched: dict[str, Any], size: int
) -> tuple[float, dict[str, int]]:
    """The same file through POST /run: streamed in, copied, streamed back and counted."""
    received = 0
    with RssSampler(watched) as sampler:
        started = time.perf_counter()
        with requests.post(
            f"{bench.gateway_url}/run/{service.name}",
            data=Repeating(size),
            headers={"Authorization": f"Bearer {service.token}", "X-Filename": "big.bin"},
            stream=True,
            timeout=600,
        ) as answer:
            if answer.status_code != 200:
                raise BenchError(
                    f"/run with the big file: {answer.status_code} {answer.text[:300]}"
                )
            for chunk in answer.iter_content(MIB):
                received += len(chunk)
        seconds = time.perf_counter() - started
    if received != size:
        raise BenchError(f"/run answered {received} bytes for a {size}-byte input")
    return seconds, sampler.peaks


# --- cold start --------------------------------------------------------------------------------


def measure_cold_start(bench: Bench, built: BenchService, *, runs: int) -> list[float]:
    """`faas-cli deploy` of an image already built, to the first 200 from the gateway's /run."""
    document = yaml.safe_load((built.project / "stack.yml").read_text(encoding="utf-8"))
    entry = document["functions"][built.name]
    admin = {"Authorization": f"Bearer {bench.stack.status['gateway']['admin_token']}"}
    times = []
    for run in range(runs):
        name = f"cold{run}"
        stack_file = built.project / f"{name}.yml"
        stack_file.write_text(yaml.safe_dump({**document, "functions": {name: entry}}))
        url = f"{bench.gateway_url}/run/{name}"

        def answered(url: str = url) -> bool:
            return requests.post(url, data=b"x", headers=admin, timeout=30).status_code == 200

        started = time.perf_counter()
        bench.stack.faas_cli.run(
            "deploy", "-f", stack_file.name, "--gateway", bench.stack.openfaas_url,
            cwd=built.project,
        )  # fmt: skip
        wait_for(answered, timeout=60, what=f"{name} to answer", interval=0.005)
        times.append(time.perf_counter() - started)
        bench.stack.faas_cli.run("remove", name, "--gateway", bench.stack.openfaas_url)
    return times
