"""`python -m bench.s3_calls`: what the supervisor's storage calls cost a replica in each client,
against one real MinIO (started here, on loopback; run it under the stack lock).

A job of a 1 KiB file makes these calls: the call record's read (a 404 the first time), the
input's download into a file, the output's upload from a file, the call record's write. Each
client (`supervisor.minio_storage.MinioStorage`, minio-py, what every replica used before;
`supervisor.storage.S3Storage`, the lean client) makes the same calls in turn, rounds
alternating; what counts is the calling thread's CPU per call (`time.thread_time`), beside the
wall time. MinIO's own CPU is not in it.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench.cpu_table import rows
from bench.platform_stack import machine
from bench.report_file import write_section
from contract.records import Created
from supervisor.config import StorageConfig
from supervisor.minio_storage import MinioStorage
from supervisor.storage import S3Storage
from tests.support.minio_server import ACCESS_KEY, SECRET_KEY, start_minio
from tests.support.tools import ROOT

REPORT = ROOT / "docs" / "BENCHMARKS.md"
BUCKET = "bench-s3-calls"
Calls = dict[str, Callable[[int], object]]


def calls(storage: S3Storage | MinioStorage, scratch: Path, tag: str) -> Calls:
    source = scratch / "output.bin"
    source.write_bytes(b"y" * 1024)
    ref = Created(
        bucket=BUCKET, key="in/input.bin", etag=None, version_id=None, size=1024,
        event_name="s3:ObjectCreated:Put", event_time="", record={},
    )  # fmt: skip

    def download(n: int) -> None:
        target = scratch / f"{tag}-{n}.bin"
        storage.download(ref, target)
        target.unlink()

    return {
        "call record read (404)": lambda n: storage.read_bytes(BUCKET, "calls/none.json"),
        "input download (1 KiB)": download,
        "output upload (1 KiB)": lambda n: storage.upload(BUCKET, f"out/{tag}/{n}.bin", source),
        "call record write": lambda n: storage.write_bytes(BUCKET, f"calls/{tag}-{n}.json", b"{}"),
    }


def measure(count: int, rounds: int) -> dict[str, dict[str, list[tuple[float, float]]]]:
    with tempfile.TemporaryDirectory(prefix="s3-calls-") as tmp:
        scratch = Path(tmp)
        server = start_minio(scratch / "minio")
        try:
            server.client().make_bucket(BUCKET)
            server.client().put_object(BUCKET, "in/input.bin", io.BytesIO(b"x" * 1024), 1024)
            config = StorageConfig(
                urlsplit(server.endpoint).netloc, False, ACCESS_KEY, SECRET_KEY, "us-east-1"
            )
            clients = {
                "minio-py (before)": calls(MinioStorage(config), scratch, "minio"),
                "supervisor.s3 (now)": calls(S3Storage(config), scratch, "lean"),
            }
            seen: dict[str, dict[str, list[tuple[float, float]]]] = {
                op: {name: [] for name in clients} for op in next(iter(clients.values()))
            }
            for r in range(rounds):
                for op in seen:
                    for name, made in clients.items():
                        call = made[op]
                        for n in range(10):
                            call(-1 - n)  # warm-up
                        cpu, wall = time.thread_time(), time.perf_counter()
                        for n in range(count):
                            call(r * count + n)
                        seen[op][name].append(
                            ((time.thread_time() - cpu) / count * 1e6,
                             (time.perf_counter() - wall) / count * 1e6)
                        )  # fmt: skip
            return seen
        finally:
            server.stop()


def render(seen: dict[str, dict[str, list[tuple[float, float]]]], *, command: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Storage calls: a replica's CPU per call, minio-py beside the lean client",
        "",
        f"`{command}` on {when}; {machine()}. One real MinIO on loopback; each client makes"
        " the same calls in turn, rounds alternating; the calling thread's CPU per call.",
        "",
        "| call | client | CPU per call, median (rounds) | vs minio-py | wall per call, median |",
        "|---|---|---:|---:|---:|",
    ]
    for op, by_client in seen.items():
        lines += rows(by_client, lead=f"{op} | ")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.s3_calls", description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    command = " ".join(["python -m bench.s3_calls", *(argv or sys.argv[1:])])
    section = render(measure(args.calls, args.rounds), command=command)
    print(section)
    write_section(REPORT, section, name="s3-calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
