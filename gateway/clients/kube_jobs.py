"""OSCAR's Job mode: one Kubernetes Job per attempt, built from the function's own Deployment.

The Job's pod is the function's pod (image, environment, secrets volume, resources, security
context) with the supervisor in its one-shot mode (`python3 -m supervisor`, the attempt's event
in OSCAR_ONESHOT_EVENT) instead of the watchdog: no OpenFaaS timeout bounds it, only the
attempt's deadline (`activeDeadlineSeconds`), and the scheduler queues what does not fit. A
finished pod's termination message is the supervisor's answer; its log's tail comes too.
Finished Jobs are labelled settled once read, and removed by Kubernetes after
`ttlSecondsAfterFinished`.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

import urllib3
from kubernetes import client
from kubernetes.client import exceptions

from contract import environment as names
from gateway.clients.job_answers import Finished
from gateway.errors import GatewayError

MANAGED_BY = "oscar-gateway"
JOB_LABEL = "oscar-faas.io/job"
CALL_LABEL = "oscar-faas.io/call"
SETTLED_LABEL = "oscar-faas.io/settled"
LOG_TAIL_BYTES = 4096


class JobModeUnavailable(GatewayError):
    """The API server cannot be reached, or refuses the gateway's account, for a Job."""


def job_name(function: str, job_id: str, call_id: str) -> str:
    """A DNS label of at most 63 characters, unique per attempt."""
    digest = hashlib.sha256(f"{job_id}/{call_id}".encode()).hexdigest()[:10]
    stem = re.sub(r"[^a-z0-9-]", "-", function.lower()).strip("-")[:40] or "fn"
    return f"{stem}-{digest}"


def job_body(
    deployment: dict[str, Any],
    *,
    name: str,
    job_id: str,
    call_id: str,
    event: str,
    deadline: float,
    ttl: int,
) -> dict[str, Any]:
    """The Job of one attempt, from the function's Deployment (camelCase, as the API reads)."""
    pod = copy.deepcopy(deployment["spec"]["template"]["spec"])
    main = pod["containers"][0]
    pod["containers"] = [main]
    for dropped in ("readinessProbe", "livenessProbe", "startupProbe", "ports", "args"):
        main.pop(dropped, None)
    main["command"] = ["python3", "-m", "supervisor"]
    env = [e for e in main.get("env", []) if e.get("name") != names.OSCAR_ONESHOT_EVENT]
    main["env"] = [*env, {"name": names.OSCAR_ONESHOT_EVENT, "value": event}]
    main["terminationMessagePolicy"] = "File"
    pod["restartPolicy"] = "Never"
    labels = {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "faas_function": deployment["metadata"]["name"],
        JOB_LABEL: job_id,
        CALL_LABEL: call_id,
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "backoffLimit": 0,  # the gateway retries, with its own backoff and dead letters
            "activeDeadlineSeconds": max(1, int(deadline)),
            "ttlSecondsAfterFinished": ttl,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


class KubeJobs:
    """Jobs of the gateway's job-mode services in the functions namespace."""

    def __init__(self, api: Any, *, namespace: str, ttl: int) -> None:
        self._api = api
        self._batch: Any = client.BatchV1Api(api)
        self._apps: Any = client.AppsV1Api(api)
        self._core: Any = client.CoreV1Api(api)
        self.namespace = namespace
        self.ttl = ttl

    def start(self, function: str, *, job_id: str, call_id: str, event: str,
              deadline: float) -> str:  # fmt: skip
        """Create the attempt's Job; its name. A Job that exists (a resend) is left running."""
        name = job_name(function, job_id, call_id)
        with _unavailable(f"job {name} of {function}"):
            deployment = self._api.sanitize_for_serialization(
                self._apps.read_namespaced_deployment(function, self.namespace)
            )
            body = job_body(deployment, name=name, job_id=job_id, call_id=call_id,
                            event=event, deadline=deadline, ttl=self.ttl)  # fmt: skip
            try:
                self._batch.create_namespaced_job(self.namespace, body)
            except exceptions.ApiException as e:
                if e.status != 409:
                    raise
        return name

    def finished(self) -> list[Finished]:
        """Jobs that ended and were not settled yet."""
        selector = f"app.kubernetes.io/managed-by={MANAGED_BY},{SETTLED_LABEL}!=true"
        with _unavailable("listing jobs"):
            jobs: Any = self._batch.list_namespaced_job(self.namespace, label_selector=selector)
            return [self._read(j) for j in jobs.items if j.status.succeeded or j.status.failed]

    def settled(self, name: str) -> None:
        patch = {"metadata": {"labels": {SETTLED_LABEL: "true"}}}
        with _unavailable(f"labelling job {name}"):
            self._batch.patch_namespaced_job(name, self.namespace, patch)

    def _read(self, job: Any) -> Finished:
        name = job.metadata.name
        labels = job.metadata.labels or {}
        pods: Any = self._core.list_namespaced_pod(
            self.namespace, label_selector=f"job-name={name}"
        )
        message, code, reason, tail = "", None, "", ""
        for pod in pods.items:
            for status in pod.status.container_statuses or []:
                terminated = status.state.terminated if status.state else None
                if terminated is not None:
                    message, code = terminated.message or "", terminated.exit_code
                    reason = terminated.reason or ""
            tail = self._log_tail(pod.metadata.name)
        if not message:  # killed (a deadline), or never ran: the Job's own conditions say why
            conditions = job.status.conditions or []
            failed = {"Failed", "FailureTarget"}  # the latter first, while pods are stopped
            said = [f"{c.reason}: {c.message}" for c in conditions if c.type in failed]
            reason = "; ".join(said) or reason
        started, ended = job.status.start_time, job.status.completion_time
        duration = (ended - started).total_seconds() if started and ended else None
        return Finished(name, labels.get(JOB_LABEL, ""), labels.get(CALL_LABEL, ""),
                        bool(job.status.succeeded), message, code, reason, tail,
                        duration)  # fmt: skip

    def _log_tail(self, pod: str) -> str:
        try:
            answer = self._core.read_namespaced_pod_log(
                pod, self.namespace, limit_bytes=1 << 20, _preload_content=False
            )
        except exceptions.ApiException:
            return ""  # the pod is gone: its log with it
        text = bytes(answer.data).decode("utf-8", "replace")
        return text[-LOG_TAIL_BYTES:]


class _unavailable:
    def __init__(self, what: str) -> None:
        self._what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        if isinstance(error, exceptions.ApiException):
            raise JobModeUnavailable(
                f"{self._what}: the API server answered {error.status}: "
                f"{str(error.body or error.reason)[:300]}; check the gateway's Role in the"
                " functions namespace (the chart's jobMode.enabled)"
            ) from error
        if isinstance(error, urllib3.exceptions.HTTPError):
            raise JobModeUnavailable(f"{self._what}: the API server cannot be reached: {error}")
