"""What recording each attempt's result costs per file (`contract.results`, issue 10).

Run from the repository root:

    python -m bench.results_overhead [--files 200] [--rounds 4]

One run starts a real MinIO and the `copy` function (watchdog in front of the supervisor, built
as the integration tests build it), uploads small files, and POSTs each as a job from our
gateway, side by side in alternating rounds: half with `OscarJob.results` (the supervisor reads
the job's earlier records, runs the script, writes a record) and half without (the old path).
A third set sends each recorded job a second time: the answer from its record, no script.
It prints a table and rewrites the `results` section of docs/BENCHMARKS.md, nothing else.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import requests

from bench.report_file import BenchError, write_section
from bench.supervisor_overhead import _function_env, _start
from bench.supervisor_results import REPORT, SMALL_BYTES
from contract.job import Job
from localstack.minio_server import MinioServer
from provider.sandbox.replica import Replica
from tests.support.events import minio_record
from tests.support.minio_server import start_minio

log = logging.getLogger(__name__)
RESULTS = "oscar-results"
WAYS = ("without a record", "with a record", "repeat, from its record")


def run(files: int, rounds: int) -> dict[str, list[float]]:
    with copy_function(files) as (_, function, objects):
        return _measure(function.url, objects, rounds)


@contextmanager
def copy_function(files: int) -> Iterator[tuple[MinioServer, Replica, list[tuple[str, str]]]]:
    """A real MinIO, the `copy` function reading `bench-in` and writing `bench-out`, and
    `files` objects of SMALL_BYTES uploaded as (key, etag); all stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="oscar-bench-") as tmp:
        workdir = Path(tmp)
        minio = start_minio(workdir / "minio")
        try:
            s3 = minio.client()
            for bucket in ("bench-in", "bench-out"):
                s3.make_bucket(bucket)
            function = _start(
                "copy",
                workdir,
                _function_env(minio, workdir, source="bench-in", target="bench-out"),
            )
            try:
                objects = []
                for index in range(files):
                    key = f"in/small-{index:05d}.bin"
                    data = io.BytesIO(os.urandom(SMALL_BYTES))
                    etag = str(s3.put_object("bench-in", key, data, SMALL_BYTES).etag)
                    objects.append((key, etag))
                yield minio, function, objects
            finally:
                function.stop()
        finally:
            minio.stop()


def _measure(url: str, objects: list[tuple[str, str]], rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {way: [] for way in WAYS}
    with requests.Session() as session:
        for warm in objects[:5]:
            _post(session, url, _job(*warm, results=RESULTS))
        for r in range(rounds):
            block = objects[len(objects) * r // rounds : len(objects) * (r + 1) // rounds]
            plain = [_job(*o, results="") for o in block]
            recorded = [_job(*o, results=RESULTS) for o in block]
            order = (0, 1) if r % 2 == 0 else (1, 0)
            for way in order:
                for job in (plain, recorded)[way]:
                    timings[WAYS[way]].append(_post(session, url, job))
            for job in recorded:
                again = replace(job, attempt=2, call_id=uuid.uuid4().hex)
                timings[WAYS[2]].append(_post(session, url, again))
            log.info("round %d/%d: %d files each way", r + 1, rounds, len(block))
    return timings


def _job(key: str, etag: str, *, results: str) -> Job:
    return Job(
        service="copy", bucket="bench-in", key=key, identity=etag, job_id=uuid.uuid4().hex,
        attempt=1, event_name="s3:ObjectCreated:Put",
        record=minio_record("bench-in", key, etag=etag, size=SMALL_BYTES),
        call_id=uuid.uuid4().hex, results_bucket=results,
    )  # fmt: skip


def _post(session: requests.Session, url: str, job: Job) -> float:
    started = time.perf_counter()
    answer = session.post(url, data=job.to_json(), headers={"X-Oscar-Input": "event"}, timeout=60)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise BenchError(f"the function answered {answer.status_code}: {answer.text[:300]}")
    return elapsed


def render(timings: dict[str, list[float]], *, files: int) -> str:
    base = statistics.median(timings[WAYS[0]])
    lines = [
        "## Result records: the cost per file (`python -m bench.results_overhead`)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} CPUs shared with other sessions' work; "
        f"{files} files of {SMALL_BYTES} bytes each way, a real MinIO, the `copy` function "
        "(watchdog, supervisor, `cp`), POSTed one at a time as jobs, the ways alternating by "
        "round. With a record the supervisor reads the job's record (a 404), runs the script, "
        "uploads and writes the record; a repeat (attempt 2) reads its records until the "
        "success and writes its own record, and runs no script.",
        "",
        "| way | median | p90 | median vs. without |",
        "|---|---|---|---|",
    ]
    for way in WAYS:
        values = sorted(timings[way])
        median = statistics.median(values)
        p90 = values[int(len(values) * 0.9) - 1]
        lines.append(
            f"| {way} | {median * 1000:.1f} ms | {p90 * 1000:.1f} ms | {median / base:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(prog="python -m bench.results_overhead")
    parser.add_argument("--files", type=int, default=200, help="files per way (200)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (4)")
    parser.add_argument("--report", type=Path, default=REPORT, help="markdown file to update")
    args = parser.parse_args(argv)
    try:
        timings = run(args.files, args.rounds)
    except (BenchError, AssertionError) as e:
        log.error("benchmark failed: %s", e)
        return 1
    section = render(timings, files=args.files)
    print(section)
    write_section(args.report, section, name="results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
