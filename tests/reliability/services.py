"""Services of the reliability tier: deployed with faas-cli, read through the gateway's API."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.services import has_rule, job_detail, jobs, outputs, upload, watchdogs
from tests.support.stack import S3_SECRETS, RunningStack
from tests.support.waiting import wait_for

FUNCTIONS = Path(__file__).parent / "functions"
TERMINAL = ("succeeded", "dead")


@dataclass(frozen=True)
class Service:
    name: str
    input_bucket: str
    output_bucket: str

    def output_key(self, key: str) -> str:
        """Where the `ok` function's output of input `key` lands (`in/x.txt` -> `out/x.txt`)."""
        return "out/" + key.removeprefix("in/")


def deploy_service(
    stack: RunningStack,
    name: str,
    function: str | Path,
    *,
    annotations: Mapping[str, str] | None = None,
    environment: Mapping[str, str] | None = None,
    limits: Mapping[str, str] | None = None,
    replicas: int = 1,
) -> Service:
    """Deploy `function` as a service reading `<in>/in` and writing `<out>/out` (fresh
    buckets); return once the gateway lists it and MinIO has its notification rule."""
    suffix = uuid.uuid4().hex[:8]
    service = Service(name, f"{name}-in-{suffix}", f"{name}-out-{suffix}")
    env = stack.storage_env(
        input_path=f"{service.input_bucket}/in", output_path=f"{service.output_bucket}/out"
    )
    spec: dict[str, Any] = {
        "environment": {**env, **(environment or {})},
        "secrets": S3_SECRETS,
        "annotations": dict(annotations or {}),
        "labels": {"com.openfaas.scale.min": str(replicas)},
    }
    if limits:
        spec["limits"] = dict(limits)
    stack.deploy(name, function, spec, replicas=replicas)

    def listed() -> bool:
        answer = stack.gateway.get(f"{stack.gateway_url}/system/services/{name}", timeout=10)
        return answer.status_code == 200

    wait_for(listed, timeout=30, what=f"the gateway to list service {name}")
    wait_for(
        lambda: has_rule(stack, service.input_bucket),
        timeout=30,
        what=f"the notification rule of {name}",
    )
    return service


def wait_terminal(
    stack: RunningStack, service: str, count: int, *, timeout: float
) -> list[dict[str, Any]]:
    """The jobs of `service` once at least `count` exist and none is queued or running."""

    def settled() -> list[dict[str, Any]] | None:
        found = jobs(stack, service)
        done = len(found) >= count and all(j["status"] in TERMINAL for j in found)
        return found if done else None

    return wait_for(
        settled, timeout=timeout, what=f"{count} finished jobs of {service}", interval=0.2
    )


__all__ = [
    "Service",
    "deploy_service",
    "has_rule",
    "job_detail",
    "jobs",
    "outputs",
    "upload",
    "wait_terminal",
    "watchdogs",
]
