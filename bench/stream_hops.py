"""Our streaming hops chained without the stack, against a raw GET plus PUT, in one run.

    python -m bench.stream_hops [--mb 1024] [--rounds 2]

`bench.sync_streaming` measures the real `/run` on a whole stack, which needs the machine's one
stack lock (the OpenFaaS gateway's fixed ports). This one needs no lock: it runs our own code
for the hops of a synchronous call as separate processes on free ports and measures the same
three things (time against minio-py's `get_object` to a file plus `fput_object` from a MinIO of
its own, peak RSS per hop, the largest file each hop holds open):

* the supervisor: `python -m supervisor` (cheroot), with the copy script of bench/functions;
* the provider's proxy: `provider.http.proxy.FunctionProxy` on `wsgi_relay.server`, in front of
  the supervisor. Its function manager is `OneReplica`, a stand-in that always names the one
  supervisor (no replica is started: the provider's sandboxes are not what is measured here);
* an outer relay, the same proxy in front of the first: it stands in for the gateway's `/run`
  relay, which forwards with the same `wsgi_relay` code after its token check.

Not in the chain: the OpenFaaS gateway and the watchdog (Go, not ours), and the gateway's own
auth and registry (a few hundred microseconds a call, measured in docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast

import psutil
import requests
from flask import Flask

from bench.platform_calls import Repeating
from bench.platform_stack import MIB, RssSampler, machine
from bench.raw_storage import download
from bench.report_file import write_section
from bench.sync_streaming import OpenFiles
from provider.http.proxy import FunctionProxy
from tests.support.minio_server import start_minio
from tests.support.tools import ROOT
from tests.support.waiting import free_port, wait_for
from wsgi_relay.server import Limits, StreamingServer


@dataclass(frozen=True)
class Upstream:
    url: str


class OneReplica:
    """A stand-in for the provider's function manager: every function is the one upstream."""

    def __init__(self, url: str) -> None:
        self._url = url

    @contextlib.contextmanager
    def replica(self, name: str) -> Iterator[Upstream]:
        yield Upstream(self._url)


def relay(port: int, upstream: str) -> None:
    app = Flask(__name__)
    proxy = FunctionProxy(app.wsgi_app, functions=OneReplica(upstream), timeout=600)  # type: ignore[arg-type]
    StreamingServer(
        proxy, host="127.0.0.1", port=port, ident="relay", limits=Limits(threads=32, io_seconds=630)
    ).run()


@contextlib.contextmanager
def process(command: list[str], *, env: dict[str, str], port: int) -> Iterator[psutil.Process]:
    started = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: _listening(port), timeout=30, what=f"{command} on {port}")
        yield psutil.Process(started.pid)
    finally:
        started.terminate()
        started.wait(10)


def _listening(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/", timeout=1)
    except requests.RequestException:
        return False
    return True


def through(port: int, size: int) -> float:
    received = 0
    started = time.perf_counter()
    with requests.post(
        f"http://127.0.0.1:{port}/function/copy",
        data=Repeating(size),
        headers={"X-Filename": "big.bin"},
        stream=True,
        timeout=900,
    ) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_content(MIB):
            received += len(chunk)
    assert received == size, f"{received} bytes back for {size}"
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stream_hops")
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--relay", nargs=2, metavar=("PORT", "UPSTREAM"))
    args = parser.parse_args(argv)
    if args.relay:
        relay(int(args.relay[0]), args.relay[1])
        return 0
    began, size = time.monotonic(), args.mb * MIB
    with tempfile.TemporaryDirectory(dir="/var/tmp") as scratch_name:
        scratch = Path(scratch_name)
        function = scratch / "function"
        function.mkdir()
        (function / "script.sh").write_bytes((ROOT / "bench/functions/copy/script.sh").read_bytes())
        (scratch / "ws").mkdir()
        ports = {"supervisor": free_port(), "provider": free_port(), "outer": free_port()}
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "FUNCTION_DIR": str(function),
            "WORKSPACE_ROOT": str(scratch / "ws"),
            "SUPERVISOR_LISTEN": f"127.0.0.1:{ports['supervisor']}",
            "SCRIPT_TIMEOUT": "600",
        }
        minio = start_minio(scratch / "minio")
        s3 = minio.client()
        bucket = f"raw-{uuid.uuid4().hex[:6]}"
        s3.make_bucket(bucket)
        s3.put_object(bucket, "big.bin", cast(BinaryIO, Repeating(size)), size, part_size=64 * MIB)
        me = [sys.executable, "-m", "bench.stream_hops", "--relay"]
        with (
            process([sys.executable, "-m", "supervisor"], env=env, port=ports["supervisor"]) as sup,
            process(
                [*me, str(ports["provider"]), f"http://127.0.0.1:{ports['supervisor']}"],
                env=env,
                port=ports["provider"],
            ) as provider,
            process(
                [*me, str(ports["outer"]), f"http://127.0.0.1:{ports['provider']}/function/copy"],
                env=env,
                port=ports["outer"],
            ) as outer,
        ):
            watched = {
                "outer relay (the gateway's)": [outer],
                "provider proxy": [provider],
                "supervisor": [sup],
            }
            idle = {k: ps[0].memory_info().rss for k, ps in watched.items()}

            def raw() -> float:
                started = time.perf_counter()
                download(s3, bucket, "big.bin", scratch / "raw.bin")
                s3.fput_object(bucket, "copy.bin", str(scratch / "raw.bin"))
                (scratch / "raw.bin").unlink()
                return time.perf_counter() - started

            raw()  # warms the page cache
            raws, runs = [], []
            with RssSampler(watched) as rss, OpenFiles(watched, skip="/job-") as files:
                for _ in range(args.rounds):
                    raws.append(raw())
                    runs.append(through(ports["outer"], size))
        minio.stop()
    section = render(
        args,
        raws,
        runs,
        idle=idle,
        peaks=rss.peaks,
        largest=files.largest,
        took=time.monotonic() - began,
    )
    print(section)
    write_section(ROOT / "docs" / "BENCHMARKS.md", section, name="stream-hops")
    return 0


def render(
    args: argparse.Namespace,
    raws: list[float],
    runs: list[float],
    *,
    idle: dict[str, int],
    peaks: dict[str, int],
    largest: dict[str, tuple[int, str]],
    took: float,
) -> str:
    ratio = statistics.mean(runs) / statistics.mean(raws)
    rows = [
        f"| {hop} | {idle[hop] / MIB:.1f} MiB | {peaks[hop] / MIB:.1f} MiB | "
        f"{'met' if peaks[hop] < 100e6 else 'missed'} | {largest[hop][0] / MIB:.2f} MiB |"
        for hop in peaks
    ]
    return "\n".join(
        [
            "## Our streaming hops chained, without the stack (no lock needed)",
            "",
            f"Written by `python -m bench.stream_hops --mb {args.mb} --rounds {args.rounds}` on "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {took:.0f} s; "
            f"{machine()}. What runs is in the module's docstring: the supervisor, the provider's "
            "proxy and a second proxy standing in for the gateway's relay, each its own process.",
            "",
            "| | seconds, mean (runs) |",
            "|---|---:|",
            f"| raw: `get_object` of {args.mb} MiB to a file, then `fput_object` | "
            f"{statistics.mean(raws):.2f} ({', '.join(f'{s:.2f}' for s in raws)}) |",
            f"| through the three hops, the copy streamed back | {statistics.mean(runs):.2f} "
            f"({', '.join(f'{s:.2f}' for s in runs)}) |",
            "",
            f"Ratio hops / raw: **{ratio:.2f}x** (the /run target is at most 1.5x).",
            "",
            "| hop | idle RSS | peak RSS | under 100 MB | largest file open (workspace aside) |",
            "|---|---:|---:|---|---:|",
            *rows,
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
