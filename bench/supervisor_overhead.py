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
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.report_file import BenchError, write_section
from bench.supervisor_big_file import measure_big_file
from bench.supervisor_per_file import measure_per_file
from bench.supervisor_report import describe_machine, render_markdown, render_table
from bench.supervisor_results import FUNCTIONS, MIB, REPORT, Options, Report
from provider.errors import ProviderError
from provider.sandbox.replica import Replica
from tests.support.function import shrinkwrap, start_function
from tests.support.minio_server import ACCESS_KEY, SECRET_KEY, MinioInstance, start_minio

log = logging.getLogger(__name__)


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
            machine = describe_machine(copy)
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
        write_section(options.report, render_markdown(report), name="supervisor")
    # The test helpers report a server that would not start as an AssertionError.
    except (BenchError, ProviderError, AssertionError) as e:
        log.error("benchmark failed: %s", e)
        return 1
    log.info("updated %s", options.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
