"""Per file: a MinIO event POSTed to the function against a plain loop doing the same work."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import time
from pathlib import Path

import requests
from minio import Minio

from bench.raw_storage import download
from bench.report_file import BenchError
from bench.supervisor_results import (
    JSON,
    SMALL_BYTES,
    WARM_UP_FILES,
    BaselineTiming,
    Options,
    PerFile,
    PlatformTiming,
)
from provider.sandbox.replica import Replica
from supervisor.config import SupervisorConfig
from tests.support.events import minio_event, minio_record

log = logging.getLogger(__name__)

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
        download(self._s3, self._source, key, input_file)
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


def _check_outputs(s3: Minio, bucket: str, *, expected: int) -> None:
    for prefix in ("out/", "baseline/"):
        found = sum(1 for _ in s3.list_objects(bucket, prefix=prefix))
        if found != expected:
            raise BenchError(f"expected {expected} outputs under {bucket}/{prefix}, found {found}")
