"""Reading a service's work through the gateway's API and MinIO, for the tiers that run a stack."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil
from minio.error import S3Error

from gateway.clients.storage import RULE_PREFIX
from tests.support.stack import FUNCTION_USER, RunningStack, processes_of


def has_rule(stack: RunningStack, bucket: str) -> bool:
    try:
        rules = stack.minio.get_bucket_notification(bucket).queue_config_list
    except S3Error:
        return False
    return any((r.config_id or "").startswith(RULE_PREFIX) for r in rules)


def upload(stack: RunningStack, bucket: str, files: Mapping[str, bytes]) -> None:
    for key, data in files.items():
        stack.minio.put_object(bucket, key, io.BytesIO(data), len(data))


def jobs(stack: RunningStack, service: str, status: str | None = None) -> list[dict[str, Any]]:
    """Every job of `service` (optionally of one status), page by page."""
    found: list[dict[str, Any]] = []
    while True:
        query = {
            "limit": "1000",
            "offset": str(len(found)),
            **({"status": status} if status else {}),
        }
        answer = stack.gateway.get(
            f"{stack.gateway_url}/system/jobs/{service}", params=query, timeout=30
        )
        answer.raise_for_status()
        page: list[dict[str, Any]] = answer.json()["jobs"]
        found += page
        if len(page) < 1000:
            return found


def job_detail(stack: RunningStack, service: str, job_id: str) -> dict[str, Any]:
    answer = stack.gateway.get(f"{stack.gateway_url}/system/jobs/{service}/{job_id}", timeout=10)
    answer.raise_for_status()
    detail: dict[str, Any] = answer.json()
    return detail


def outputs(stack: RunningStack, bucket: str) -> dict[str, bytes]:
    found = {}
    for item in stack.minio.list_objects(bucket, recursive=True):
        assert item.object_name is not None
        response = stack.minio.get_object(bucket, item.object_name)
        try:
            found[item.object_name] = response.read()
        finally:
            response.close()
            response.release_conn()
    return found


def watchdogs(stack: RunningStack, name: str) -> dict[str, int]:
    """Instance name -> pid of each live watchdog of `name` (they run as the function user)."""
    folder = f"{stack.state_dir}/replicas/{name}/"
    found = {}
    for process in processes_of(FUNCTION_USER):
        try:
            program = (process.cmdline() or [""])[0]
            home = process.environ().get("HOME", "")
        except psutil.Error:
            continue
        if program.endswith("of-watchdog") and home.startswith(folder):
            found[Path(home).relative_to(folder).parts[0]] = process.pid
    return found
