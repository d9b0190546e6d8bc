"""What recording results costs per file when jobs come in batches (issue 15): CPU, not time.

    python -m bench.results_batches [--files 300] [--batch 10] [--rounds 4]

One run starts a real MinIO and the `copy` function (watchdog in front of the supervisor, as
`bench.results_overhead` does), uploads small files, and POSTs them as batches of the
dispatcher's shape (`contract.batch`: a record per job), in alternating rounds three ways:
without records; with records and one call id per batch, as the dispatcher sends them (the
batch's call record is read once and written once); and with records but a call id per job,
which the supervisor records job by job, one GET and one PUT each, as every batch was recorded
before call records. Per file it takes the CPU time of the function's processes (the watchdog,
the supervisor and its scripts) and of MinIO, whose difference is what the records cost. It
prints the medians; no stack, no lock needed (every port is a free one).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import uuid
from collections.abc import Sequence
from dataclasses import replace

import psutil
import requests

from bench.platform_stack import cpu_seconds
from bench.report_file import BenchError
from bench.results_overhead import RESULTS, _job, copy_function
from contract.batch import Batch

log = logging.getLogger(__name__)
WAYS = ("without records", "records: one call record a batch", "records: one a job (before)")


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return [root]


def _post_all(url: str, objects: list[tuple[str, str]], *, batch: int, way: str) -> None:
    results = "" if way == WAYS[0] else RESULTS
    jobs = [_job(key, etag, results=results) for key, etag in objects]  # a call id each
    with requests.Session() as session:
        for start in range(0, len(jobs), batch):
            call = uuid.uuid4().hex
            chunk = jobs[start : start + batch]
            body = Batch(
                tuple(chunk if way == WAYS[2] else (replace(j, call_id=call) for j in chunk))
            )
            answer = session.post(
                url, data=body.to_json(), headers={"X-Oscar-Input": "event"}, timeout=120
            )
            if answer.status_code != 200:
                raise BenchError(f"the function answered {answer.status_code}: {answer.text[:300]}")


def run(files: int, batch: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """For each way, the CPU ms per file of the function and of MinIO, one value per round."""
    spent: dict[str, dict[str, list[float]]] = {w: {"function": [], "minio": []} for w in WAYS}
    with copy_function(files) as (minio, function, objects):
        watchdog = psutil.Process(function.process.pid)
        server = [psutil.Process(minio.process.process.pid)]
        _post_all(function.url, objects[:20], batch=batch, way=WAYS[1])  # warm
        for round_ in range(rounds):
            for way in WAYS[round_ % 3 :] + WAYS[: round_ % 3]:
                tree = _tree(watchdog)
                before = cpu_seconds(tree), cpu_seconds(server)
                _post_all(function.url, objects, batch=batch, way=way)
                spent[way]["function"].append((cpu_seconds(tree) - before[0]) * 1000 / files)
                spent[way]["minio"].append((cpu_seconds(server) - before[1]) * 1000 / files)
            log.info("round %d/%d done", round_ + 1, rounds)
    return spent


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(prog="python -m bench.results_batches")
    parser.add_argument("--files", type=int, default=300, help="files per way and round (300)")
    parser.add_argument("--batch", type=int, default=10, help="jobs per invocation (10)")
    parser.add_argument("--rounds", type=int, default=6, help="rotating rounds (6)")
    args = parser.parse_args(argv)
    try:
        spent = run(args.files, args.batch, args.rounds)
    except (BenchError, AssertionError) as e:
        log.error("benchmark failed: %s", e)
        return 1
    base = {part: statistics.median(spent[WAYS[0]][part]) for part in ("function", "minio")}
    print(f"{args.files} files of 1 KiB in batches of {args.batch}, {args.rounds} rounds each way")
    print("| way | function CPU ms per file | MinIO CPU ms per file |")
    print("|---|---:|---:|")
    for way in WAYS:
        function, server = (statistics.median(spent[way][p]) for p in ("function", "minio"))
        print(
            f"| {way} | {function:.2f} ({function - base['function']:+.2f}) "
            f"| {server:.2f} ({server - base['minio']:+.2f}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
