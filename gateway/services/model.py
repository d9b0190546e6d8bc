"""Services: OpenFaaS functions that process files, discovered from the OpenFaaS API.

A function is a service when it names an input, either by annotation or by the environment the
supervisor reads anyway (so a plain stack.yml entry needs no duplicated settings):

| annotation | environment fallback | meaning |
|---|---|---|
| `oscar.input` | `INPUT_PATH` | `bucket/prefix` whose new objects become jobs |
| `oscar.suffix` | | comma-separated suffixes, e.g. `.jpg,.png` (empty: every key) |
| `oscar.output` | `OUTPUT_PATH` | `bucket/prefix` where outputs go |
| `oscar.max_attempts` | | attempts before a job becomes a dead letter (default 3) |
| `oscar.concurrency` | | jobs of this service running at once (default 4) |
| `oscar.timeout` | | seconds to wait for a job's callback before retrying (default 330) |
| `oscar.job_mode` | | `true`: each file runs as a Kubernetes Job (OSCAR's Job mode), not a call |
| `oscar.batch_size` | | most jobs one invocation carries under a backlog (default 30; 1: none) |
| `oscar.batch_window` | | seconds a busy service's jobs may wait to fill a batch (default 0) |

`oscar.concurrency` counts invocations: each carries one job, or under a backlog a batch of
them (`contract.batch`), which the supervisor runs one after another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from contract import environment as env_names
from contract.batch import MAX_BATCH
from contract.errors import BadPath
from contract.naming import RUNTIME_NOTICE
from contract.paths import StoragePath
from gateway.errors import InvalidService

INPUT = "oscar.input"
OUTPUT = "oscar.output"
SUFFIX = "oscar.suffix"
MAX_ATTEMPTS = "oscar.max_attempts"
CONCURRENCY = "oscar.concurrency"
TIMEOUT = "oscar.timeout"
JOB_MODE = "oscar.job_mode"
BATCH_SIZE = "oscar.batch_size"
# Jobs per invocation at most, by default: short jobs under a backlog fill up to it within the
# batch sizer's time budget (gateway.jobs.batching); 30 halves the invocations of 10 (issue 15).
DEFAULT_BATCH = 30
BATCH_WINDOW = "oscar.batch_window"
MAX_WINDOW = 10.0


def parse_path(text: str, *, field: str) -> StoragePath:
    """`bucket/prefix` as the contract reads it, refused as an invalid service naming `field`."""
    try:
        return StoragePath.parse(text)
    except BadPath as e:
        raise InvalidService(f"{field}: {e.reason}") from e


@dataclass(frozen=True)
class Service:
    name: str
    input: StoragePath
    output: StoragePath | None
    suffixes: tuple[str, ...] = ()
    max_attempts: int = 3
    concurrency: int = 4
    timeout: float = 330.0
    job_mode: bool = False  # each file a Kubernetes Job of the function's image (OSCAR's mode)
    # The input's and the output's endpoints (host:port) when not the platform's MinIO (an
    # FDL's storage provider): events from it arrive at `/events?storage=<host:port>`.
    storage: str = ""
    output_storage: str = ""
    batch_size: int = DEFAULT_BATCH
    batch_window: float = 0.0
    # What OSCAR's API shows of the function beside its input and output (the FDL's fields);
    # a description, not what the service does with a file, so no part of its equality.
    image: str = field(default="", compare=False)
    memory: str | None = field(default=None, compare=False)
    cpu: str | None = field(default=None, compare=False)
    variables: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    labels: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    notice: str = field(default="", compare=False)  # the provider's, e.g. on an unbuilt image

    def matches(self, bucket: str, key: str, *, storage: str = "") -> bool:
        if storage != self.storage or not self.input.contains(bucket, key):
            return False
        return not self.suffixes or key.endswith(self.suffixes)

    def check(self) -> None:
        same_place = self.output_storage == self.storage
        if self.output is not None and same_place and self.output.overlaps(self.input):
            raise InvalidService(
                f"service {self.name!r}: output {self.output} overlaps input {self.input}; its "
                "outputs would trigger it again. Use a different bucket or prefix for the output"
            )

    @classmethod
    def from_function(cls, status: Mapping[str, Any]) -> Service | None:
        """The service a FunctionStatus describes, or None when it names no input."""
        annotations = status.get("annotations") or {}
        env = status.get("envVars") or {}
        name = str(status.get("name", ""))
        source = annotations.get(INPUT) or env.get(env_names.INPUT_PATH)
        if not source:
            return None
        target = annotations.get(OUTPUT) or env.get(env_names.OUTPUT_PATH)
        service = cls(
            name=name,
            input=parse_path(source, field=f"{name}: {INPUT}"),
            output=parse_path(target, field=f"{name}: {OUTPUT}") if target else None,
            suffixes=tuple(s.strip() for s in annotations.get(SUFFIX, "").split(",") if s.strip()),
            max_attempts=_number(annotations, MAX_ATTEMPTS, 3, name),
            concurrency=_number(annotations, CONCURRENCY, 4, name),
            timeout=float(_number(annotations, TIMEOUT, 330, name)),
            job_mode=_flag(annotations, JOB_MODE, name),
            batch_size=_number(annotations, BATCH_SIZE, DEFAULT_BATCH, name, most=MAX_BATCH),
            batch_window=_seconds(annotations, BATCH_WINDOW, name),
            image=str(status.get("image") or ""),
            memory=_limit(status, "memory"),
            cpu=_limit(status, "cpu"),
            variables=tuple(sorted((str(k), str(v)) for k, v in env.items())),
            labels=tuple(sorted((str(k), str(v)) for k, v in (status.get("labels") or {}).items())),
            notice=str(annotations.get(RUNTIME_NOTICE, "")),
            storage=_netloc(env.get(env_names.INPUT_S3_ENDPOINT)),
            output_storage=_netloc(env.get(env_names.OUTPUT_S3_ENDPOINT)),
        )
        service.check()
        return service


def route(
    services: Iterable[Service], bucket: str, key: str, *, storage: str = ""
) -> list[Service]:
    """Every service whose input (endpoint, bucket, prefix, suffixes) takes this object."""
    return [s for s in services if s.matches(bucket, key, storage=storage)]


def _netloc(url: object) -> str:
    return urlsplit(str(url)).netloc if url else ""


def _flag(annotations: Mapping[str, str], name: str, service: str) -> bool:
    text = str(annotations.get(name, "false")).strip().lower()
    if text not in {"true", "false"}:
        raise InvalidService(f"{service}: annotation {name} must be true or false, found {text!r}")
    return text == "true"


def _limit(status: Mapping[str, Any], name: str) -> str | None:
    value = (status.get("limits") or {}).get(name)
    return str(value) if value else None


def _number(
    annotations: Mapping[str, str], name: str, default: int, service: str, *, most: int = 0
) -> int:
    text = annotations.get(name)
    if text is None:
        return default
    if not text.strip().isdigit() or int(text) < 1:
        raise InvalidService(
            f"{service}: annotation {name} must be a positive integer, found {text!r}"
        )
    if most and int(text) > most:
        raise InvalidService(f"{service}: annotation {name} must be at most {most}, found {text!r}")
    return int(text)


def _seconds(annotations: Mapping[str, str], name: str, service: str) -> float:
    """A batching window: seconds from 0 to 10 (`0.05`), or 0 when not set."""
    text = annotations.get(name)
    if text is None:
        return 0.0
    try:
        value = float(text.strip().removesuffix("s"))
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_WINDOW:
        raise InvalidService(
            f"{service}: annotation {name} must be seconds from 0 to {MAX_WINDOW:g} (e.g. "
            f"'0.05'), found {text!r}"
        )
    return value
