"""One request's work: input into a workspace, the script, outputs out, workspace gone."""

from __future__ import annotations

import base64
import binascii
import errno
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from contract import environment as names
from contract.job import Job
from contract.records import Created
from supervisor.config import SupervisorConfig
from supervisor.errors import (
    BadRequest,
    OutputRejected,
    ScriptFailed,
    ScriptTimedOut,
    StorageNotConfigured,
    SupervisorError,
    WorkspaceFull,
)
from supervisor.event import StorageEvent
from supervisor.keys import local_name, output_key, relative_dir
from supervisor.results import ResultBook, recordable
from supervisor.script import ScriptRun, echo_log, read_tail, run_script
from supervisor.storage import Storage
from supervisor.workspace import Workspace

log = logging.getLogger(__name__)
COPY_CHUNK = 1 << 20
# Environment values are limited to 128 KiB each by Linux; a bigger event goes in as its record.
MAX_EVENT_ENV = 64 * 1024
# How much of each run's log is copied into the replica's own log (`faas-cli logs`).
ECHO_LIMIT = 64 * 1024


class BodyStream(Protocol):
    """What a request body must offer: a sized read (WSGI input streams do)."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class ObjectResult:
    bucket: str
    key: str
    outputs: list[str]
    duration_seconds: float
    exit_code: int | None
    log_tail: str
    repeat_of: int | None = None  # the attempt whose recorded success this answer repeats

    def as_json(self) -> dict[str, Any]:
        answer = {
            "bucket": self.bucket,
            "key": self.key,
            "outputs": self.outputs,
            "duration_seconds": round(self.duration_seconds, 6),
            "exit_code": self.exit_code,
            "log_tail": self.log_tail,
        }
        return answer if self.repeat_of is None else {**answer, "repeat_of": self.repeat_of}


@dataclass
class SyncResult:
    """A finished synchronous run; its workspace lives until the response has been sent."""

    workspace: Workspace
    outputs: list[tuple[PurePosixPath, Path]]
    stdout: Path
    duration_seconds: float
    log_tail: str
    extra: dict[str, str] = field(default_factory=dict)


class Runner:
    def __init__(
        self,
        *,
        config: SupervisorConfig,
        storage: Storage | None,
        output_storage: Storage | None = None,
        results: ResultBook | None = None,
    ) -> None:
        """`storage` reads the inputs; `output_storage`, when the outputs go to another endpoint
        (an FDL storage provider), writes them (else `storage` does); `results` records each
        attempt's result (contract.results) on the platform's MinIO."""
        self._config = config
        self._storage = storage
        self._output_storage = output_storage or storage
        self._results = results

    def run_event(self, event: StorageEvent) -> list[ObjectResult]:
        """Process every created object of the event in turn; the first failure is raised."""
        if event.objects and self._storage is None:
            raise StorageNotConfigured(
                "a storage event arrived but this function has no storage configured; set "
                "S3_ENDPOINT and the s3-access-key / s3-secret-key secrets"
            )
        if len(event.jobs) == 1:
            return [self.run_job(event.jobs[0])]
        return [self._run_object(ref, event.raw) for ref in event.objects]

    @contextmanager
    def batch(self, jobs: Sequence[Job]) -> Iterator[None]:
        """While one invocation's jobs run: their results recorded together (one call record,
        `supervisor.results.ResultBook.batch`), when they are recorded at all."""
        if self._results is None or not jobs:
            yield
            return
        with self._results.batch(jobs):
            yield

    def run_job(self, job: Job) -> ObjectResult:
        """One job of the gateway's, alone or one of a batch: its input, its script (with its
        own one-record `$EVENT`), its outputs. Raises its failure as a `SupervisorError`."""
        if self._storage is None:
            raise StorageNotConfigured(
                "a job arrived but this function has no storage configured; set "
                "S3_ENDPOINT and the s3-access-key / s3-secret-key secrets"
            )
        if self._results is not None and recordable(job):
            return self._run_recorded(job, self._results)
        return self._run_object(job.created(), job.event_json())

    def _run_recorded(self, job: Job, book: ResultBook) -> ObjectResult:
        """One job: its script runs unless an attempt of it already succeeded (then that
        result is the answer); either way this attempt's result is recorded before the answer."""
        earlier = book.earlier_success(job)
        if earlier is not None:
            first = earlier.repeat_of or earlier.attempt
            log.info(
                "job %s attempt %d: attempt %d already succeeded, its result is the answer "
                "and the script is not run again",
                *(job.job_id, job.attempt, first),
            )
            repeat = ObjectResult(
                job.bucket, job.key, list(earlier.outputs), earlier.duration_seconds or 0.0,
                earlier.exit_code, earlier.log_tail, repeat_of=first,
            )  # fmt: skip
            book.succeeded(job, repeat)
            return repeat
        started = time.monotonic()
        try:
            result = self._run_object(job.created(), job.event_json())
        except SupervisorError as e:
            book.failed(job, e, duration=time.monotonic() - started)
            raise
        book.succeeded(job, result)
        return result

    def _run_object(self, ref: Created, raw_event: str) -> ObjectResult:
        assert self._storage is not None
        with self._workspace() as ws:
            input_file = ws.input_dir / local_name(ref.key)
            self._storage.download(ref, input_file)
            output_dir = ws.output_dir(relative_dir(ref.key, self._config.input_path))
            if len(raw_event.encode()) > MAX_EVENT_ENV:
                raw_event = json.dumps({"Records": [ref.record]})
            env = self._script_env(
                input_file,
                ws,
                output_dir,
                {
                    names.STORAGE_OBJECT_KEY: ref.key,
                    names.STORAGE_BUCKET: ref.bucket,
                    names.EVENT: raw_event,
                    names.EVENT_TIME: ref.event_time,
                },
            )
            log_file = ws.root / "script.log"
            run = self._run(env, ws, stdout=log_file, stderr=log_file)
            echo_log(log_file, label=f"{ref.bucket}/{ref.key}", limit=ECHO_LIMIT)
            tail = read_tail(log_file, self._config.log_tail_bytes)
            _raise_unless_succeeded(run, tail, self._config.script_timeout)
            uploaded = self._upload(ws)
            log.info(
                "processed %s/%s in %.3fs: %d output(s)",
                ref.bucket,
                ref.key,
                run.duration,
                len(uploaded),
            )
            return ObjectResult(ref.bucket, ref.key, uploaded, run.duration, run.exit_code, tail)

    def run_sync(self, body: BodyStream, *, filename: str, decode_base64: bool) -> SyncResult:
        ws = Workspace.create(self._config.workspace_root)
        try:
            input_file = ws.input_dir / local_name(filename)
            with input_file.open("xb") as out:
                _copy_body(body, out, decode_base64=decode_base64)
            output_dir = ws.output_dir(PurePosixPath())
            env = self._script_env(
                input_file,
                ws,
                output_dir,
                {names.STORAGE_OBJECT_KEY: "", names.EVENT: "", names.EVENT_TIME: ""},
            )
            stdout, stderr = ws.root / "stdout", ws.root / "stderr"
            run = self._run(env, ws, stdout=stdout, stderr=stderr)
            outputs = list(ws.outputs())
            label = f"sync {input_file.name}"
            echo_log(stderr, label=label, limit=ECHO_LIMIT)
            if outputs or not run.succeeded:  # stdout is the answer only when nothing else is
                echo_log(stdout, label=label, limit=ECHO_LIMIT)
            tail = read_tail(stderr, self._config.log_tail_bytes) or read_tail(
                stdout, self._config.log_tail_bytes
            )
            _raise_unless_succeeded(run, tail, self._config.script_timeout)
            return SyncResult(ws, outputs, stdout, run.duration, tail)
        except OSError as e:
            ws.remove()
            if e.errno == errno.ENOSPC:
                raise WorkspaceFull("workspace is full while storing the request body") from e
            raise
        except BaseException:
            ws.remove()
            raise

    def _run(
        self, env: Mapping[str, str], ws: Workspace, *, stdout: Path, stderr: Path
    ) -> ScriptRun:
        return run_script(
            self._config.script,
            env=env,
            cwd=ws.root,
            timeout=self._config.script_timeout,
            stdout=stdout,
            stderr=stderr,
        )

    def _script_env(
        self, input_file: Path, ws: Workspace, output_dir: Path, extra: Mapping[str, str]
    ) -> dict[str, str]:
        env = dict(self._config.script_env)
        env.update(
            {
                names.INPUT_FILE_PATH: str(input_file),
                names.TMP_INPUT_DIR: str(ws.input_dir),
                names.TMP_OUTPUT_DIR: str(output_dir),
                **extra,
            }
        )
        return env

    def _upload(self, ws: Workspace) -> list[str]:
        assert self._output_storage is not None
        outputs = list(ws.outputs())
        if not outputs:
            return []
        target = self._config.output_path
        if target is None:
            raise OutputRejected(
                f"the script wrote {len(outputs)} output(s) but the function has no output "
                "configured; set OUTPUT_PATH=bucket/prefix in its environment"
            )
        keys: list[str] = []
        for relative, path in outputs:
            key = output_key(target, relative)
            self._output_storage.upload(target.bucket, key, path)
            keys.append(key)
        return keys

    @contextmanager
    def _workspace(self) -> Iterator[Workspace]:
        ws = Workspace.create(self._config.workspace_root)
        try:
            yield ws
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise WorkspaceFull("workspace is full; give WORKSPACE_ROOT more space") from e
            raise
        finally:
            ws.remove()


def _raise_unless_succeeded(run: ScriptRun, tail: str, timeout: float) -> None:
    if run.timed_out:
        raise ScriptTimedOut(timeout=timeout, log_tail=tail)
    if run.exit_code != 0:
        raise ScriptFailed(
            f"script exited with code {run.exit_code}; nothing was uploaded",
            exit_code=run.exit_code,
            log_tail=tail,
        )


def _copy_body(body: BodyStream, out: IO[bytes], *, decode_base64: bool) -> None:
    pending = b""
    while chunk := body.read(COPY_CHUNK):
        if not decode_base64:
            out.write(chunk)
            continue
        pending += b"".join(chunk.split())
        usable = len(pending) - len(pending) % 4
        out.write(_b64decode(pending[:usable]))
        pending = pending[usable:]
    if pending:
        out.write(_b64decode(pending))


def _b64decode(data: bytes) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error as e:
        raise BadRequest(f"the body is not valid base64 ({e}); send raw bytes instead") from e
