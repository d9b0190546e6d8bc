"""The stack the platform benchmark runs on, and what it does with it: services, uploads, jobs.

The stack is the tests' `running_stack` (a fresh state folder under /var/tmp, free ports except
the OpenFaaS gateway's 8080/8082, `oscar down --purge` whatever happens). Only one stack can
run per machine, so the benchmark first waits, with a deadline, for those two ports to be free.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import requests
from minio.error import S3Error

from bench.report_file import BenchError
from gateway.clients.storage import RULE_PREFIX
from tests.support.stack import (
    FUNCTION_USER,
    OPENFAAS_PORTS,
    S3_SECRETS,
    RunningStack,
    port_taken,
    processes_of,
)
from tests.support.waiting import wait_for

log = logging.getLogger(__name__)
FUNCTIONS = Path(__file__).parent / "functions"
MIB = 1 << 20
_JOBS = re.compile(
    r'oscar_jobs\{service="(?P<service>[^"]+)",status="(?P<status>\w+)"\} (?P<count>\S+)'
)


def wait_for_free_ports(timeout: float) -> None:
    """Another stack (a CI run, a test tier) may hold 8080/8082: wait for it to stop."""
    deadline = time.monotonic() + timeout
    said = False
    while any(port_taken(port) for port in OPENFAAS_PORTS):
        if time.monotonic() > deadline:
            raise BenchError(
                f"ports {OPENFAAS_PORTS} stayed in use for {timeout:.0f}s: another stack runs "
                "(`ss -ltnp`); stop it or run the benchmark later"
            )
        if not said:
            log.info("another stack holds ports %s: waiting for it to stop", OPENFAAS_PORTS)
            said = True
        time.sleep(2)


@dataclass(frozen=True)
class BenchService:
    name: str
    input_bucket: str
    output_bucket: str
    token: str
    project: Path  # the faas-cli project folder: stack.yml and the built function


class Bench:
    """A running stack plus the calls every measurement needs."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {stack.status['gateway']['admin_token']}"

    @property
    def gateway_url(self) -> str:
        return self.stack.gateway_url

    def deploy(
        self,
        name: str,
        function: str,
        *,
        replicas: int = 1,
        annotations: Mapping[str, str] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> BenchService:
        """Build and deploy bench/functions/<function> as service `name` on fresh buckets."""
        suffix = uuid.uuid4().hex[:6]
        buckets = (f"{name}-in-{suffix}", f"{name}-out-{suffix}")
        env = self.stack.storage_env(input_path=f"{buckets[0]}/in", output_path=f"{buckets[1]}/out")
        spec: dict[str, Any] = {
            "environment": {**env, **(environment or {})},
            "secrets": S3_SECRETS,
            "annotations": dict(annotations or {}),
            "labels": {"com.openfaas.scale.min": str(replicas)},
        }
        project = self.stack.deploy(name, FUNCTIONS / function, spec, replicas=replicas)

        def listed() -> dict[str, Any] | None:
            answer = self.session.get(f"{self.gateway_url}/system/services/{name}", timeout=10)
            return answer.json() if answer.status_code == 200 else None

        service = wait_for(listed, timeout=30, what=f"the gateway to list {name}")
        wait_for(lambda: self._has_rule(buckets[0]), timeout=30, what=f"{name}'s bucket rule")
        return BenchService(name, buckets[0], buckets[1], str(service["token"]), project)

    def _has_rule(self, bucket: str) -> bool:
        try:
            rules = self.stack.minio.get_bucket_notification(bucket).queue_config_list
        except S3Error:
            return False
        return any((r.config_id or "").startswith(RULE_PREFIX) for r in rules)

    def put(self, bucket: str, key: str, data: bytes) -> tuple[float, float]:
        """Upload one object; (wall-clock time sent, wall-clock time MinIO acknowledged it)."""
        sent = time.time()
        self.stack.minio.put_object(bucket, key, io.BytesIO(data), len(data))
        return sent, time.time()

    def jobs(self, service: str) -> list[dict[str, Any]]:
        """Every job of `service`, read page by page from the jobs API."""
        found: list[dict[str, Any]] = []
        while True:
            answer = self.session.get(
                f"{self.gateway_url}/system/jobs/{service}",
                params={"limit": "1000", "offset": str(len(found))},
                timeout=30,
            )
            answer.raise_for_status()
            page: list[dict[str, Any]] = answer.json()["jobs"]
            found += page
            if len(page) < 1000:
                return found

    def counts(self, service: str) -> dict[str, int]:
        """Jobs of `service` by status, from the gateway's metrics: cheap to poll, unlike the
        jobs API, whose pages of 1,000 jobs would cost the gateway the CPU being measured."""
        answer = requests.get(f"{self.gateway_url}/metrics", timeout=10)
        answer.raise_for_status()
        found: dict[str, int] = {}
        for line in answer.text.splitlines():
            match = _JOBS.fullmatch(line)
            if match and match["service"] == service:
                found[match["status"]] = int(float(match["count"]))
        return found

    def wait_succeeded(self, service: str, count: int, *, timeout: float) -> list[dict[str, Any]]:
        """All `count` jobs of `service` once each has succeeded; a dead letter fails the run."""

        def done() -> bool:
            counts = self.counts(service)
            if counts.get("dead"):
                dead = [j for j in self.jobs(service) if j["status"] == "dead"]
                raise BenchError(f"{len(dead)} job(s) of {service} failed, e.g. {dead[:1]}")
            return counts.get("succeeded", 0) >= count

        wait_for(done, timeout=timeout, what=f"{count} succeeded jobs of {service}", interval=0.1)
        return [j for j in self.jobs(service) if j["status"] == "succeeded"]

    def count_objects(self, bucket: str, prefix: str) -> int:
        return sum(1 for _ in self.stack.minio.list_objects(bucket, prefix=prefix, recursive=True))

    def supervisors(self, service: str) -> list[psutil.Process]:
        """The supervisor processes of `service`'s replicas (they run as the function user)."""
        folder = f"{self.stack.state_dir}/replicas/{service}/"
        found = []
        for process in processes_of(FUNCTION_USER):
            try:
                if "supervisor" in " ".join(process.cmdline()) and process.environ().get(
                    "HOME", ""
                ).startswith(folder):
                    found.append(process)
            except psutil.Error:
                continue
        return found

    def processes(self, service: str) -> dict[str, list[psutil.Process]]:
        """The stack's processes by component (queue-workers together), and `service`'s
        replicas: each watchdog, its supervisor and (reaped by the supervisor) the scripts."""
        found: dict[str, list[psutil.Process]] = {}
        for name, component in self.stack.status["components"].items():
            group = "queue-workers" if name.startswith("queue-worker") else name
            found.setdefault(group, []).append(psutil.Process(int(component["pid"])))
        folder = f"{self.stack.state_dir}/replicas/{service}/"
        replicas = []
        for process in processes_of(FUNCTION_USER):
            try:
                if process.environ().get("HOME", "").startswith(folder):
                    replicas.append(process)
            except psutil.Error:
                continue
        found["replicas"] = replicas
        return found

    def component(self, name: str) -> psutil.Process:
        return psutil.Process(int(self.stack.status["components"][name]["pid"]))

    def replica_url(self, service: str) -> str:
        """One replica's watchdog, as the provider lists it (`instances[].url`)."""
        provider = self.stack.status["provider"]["url"]
        status = requests.get(f"{provider}/system/function/{service}", timeout=10).json()
        return str(status["instances"][0]["url"])


class RssSampler:
    """Peak RSS per watched process, sampled every `interval` seconds in a thread of its own."""

    def __init__(
        self,
        processes: Mapping[str, list[psutil.Process]],
        *,
        interval: float = 0.02,
        probe: Callable[[], bool] | None = None,
    ) -> None:
        self.peaks: dict[str, int] = dict.fromkeys(processes, 0)
        self.samples = 0
        self.probe_true_at: float | None = None  # wall clock of the first true `probe()`
        self._processes = processes
        self._probe = probe
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            for label, processes in self._processes.items():
                for process in processes:
                    try:
                        rss = process.memory_info().rss
                    except psutil.Error:
                        continue  # a replica restarted: its peak so far stands
                    self.peaks[label] = max(self.peaks[label], rss)
            self.samples += 1
            if self._probe is not None and self.probe_true_at is None and self._probe():
                self.probe_true_at = time.time()
            if self._stop.wait(self._interval):
                return


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """CPU time so far of `processes` and of the children they have reaped."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue  # a replica that restarted: what it used is lost, and small
        total += times.user + times.system + times.children_user + times.children_system
    return total


def load_average() -> float:
    return os.getloadavg()[0]


def machine() -> str:
    """One line: CPUs, their model, memory, Python."""
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
    memory = next(int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemTotal:"))
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    cpus = len(os.sched_getaffinity(0))
    python = ".".join(map(str, sys.version_info[:3]))
    return (
        f"{cpus} CPUs ({models[0] if models else 'unknown'}), {memory / 2**30:.1f} GiB memory, "
        f"Python {python}"
    )
