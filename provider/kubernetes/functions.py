"""Functions as Kubernetes Deployments and Services: deploy, update, scale, list, delete, call.

The cluster holds all the state (desired and available replicas, the deployment itself, read
back by `objects.deployment_of`), so a restarted provider knows every function at once and
several providers could share one namespace. Only invocation counts live here.

Calls go to a ready pod's IP, not the Service: without kube-proxy (the one-node cluster of the
`k8s` tier) a ClusterIP routes nowhere, and the pod IP works with or without it.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from provider.deployments import Deployment, function_status
from provider.errors import FunctionNotFound, InvalidDeployment, NoReadyReplica, ProviderError
from provider.kubernetes.client import KubeApi
from provider.kubernetes.objects import (
    FUNCTION_LABEL,
    WATCHDOG_PORT,
    deployment_object,
    deployment_of,
    function_selector,
    service_object,
)
from provider.kubernetes.secrets import KubeSecrets

log = logging.getLogger(__name__)
POLL = 0.2  # how often a call waiting for a ready pod asks again


@dataclass(frozen=True)
class PodTarget:
    pod: str
    url: str


def ready_pods(pods: list[dict[str, Any]]) -> list[PodTarget]:
    """The pods that are Ready, not terminating, and have an IP: the ones a call may reach."""
    targets = []
    for pod in pods:
        status = pod.get("status") or {}
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        if ready and status.get("podIP") and not pod["metadata"].get("deletionTimestamp"):
            url = f"http://{status['podIP']}:{WATCHDOG_PORT}"
            targets.append(PodTarget(pod["metadata"]["name"], url))
    return targets


class KubeFunctions:
    def __init__(self, *, api: KubeApi, secrets: KubeSecrets, ready_timeout: float) -> None:
        self._api = api
        self._secrets = secrets
        self._ready_timeout = ready_timeout
        self._lock = threading.Lock()
        self._invocations: dict[str, int] = {}
        self._turn = itertools.count()

    @property
    def api(self) -> KubeApi:
        return self._api

    def start(self) -> None:
        self._api.list_deployments(function_selector())  # fails early when the cluster cannot

    def shutdown(self) -> None:
        """Nothing to stop: the cluster keeps the functions running."""

    def deploy(self, deployment: Deployment, *, update: bool) -> None:
        missing = self._secrets.missing(deployment.secrets)
        if missing:
            raise InvalidDeployment(
                f"secrets {missing} do not exist in namespace {deployment.namespace!r}; "
                f"create them with `faas-cli secret create NAME`"
            )
        if not update:
            self._api.create(deployment_object(deployment, replicas=deployment.min_replicas))
            self._api.create(service_object(deployment))
            return
        current = self._api.read_deployment(deployment.service)  # FunctionNotFound if absent
        replicas = int(current["spec"].get("replicas") or 0)
        # Keep the replica count the scaler chose; a rolling update replaces the pods.
        self._api.replace_deployment(deployment_object(deployment, replicas=replicas))
        try:
            self._api.patch_service(service_object(deployment))
        except FunctionNotFound:
            self._api.create(service_object(deployment))

    def delete(self, name: str) -> None:
        self._api.delete("Deployment", name)
        try:
            self._api.delete("Service", name)
        except FunctionNotFound:
            log.warning("function %s had no Service", name)
        with self._lock:
            self._invocations.pop(name, None)

    def scale(self, name: str, replicas: int) -> None:
        if replicas < 0:
            raise ProviderError(f"replicas must be 0 or more, found {replicas}")
        self._api.scale(name, replicas)

    def status(self, name: str) -> dict[str, Any]:
        return self._status(self._api.read_deployment(name))

    def statuses(self, namespace: str) -> list[dict[str, Any]]:
        return [self._status(d) for d in self._api.list_deployments(function_selector())]

    def pods(self, name: str) -> list[dict[str, Any]]:
        return self._api.pods(f"{FUNCTION_LABEL}={name}")

    @contextmanager
    def replica(self, name: str) -> Iterator[PodTarget]:
        """A ready pod of `name` (in turn), waking a function scaled to zero."""
        deadline = time.monotonic() + self._ready_timeout
        woken = False
        while True:
            targets = ready_pods(self.pods(name))
            if targets:
                break
            if not woken:
                woken = True
                current = self._api.read_deployment(name)  # FunctionNotFound if absent
                if not current["spec"].get("replicas"):
                    wake = max(1, deployment_of(current).min_replicas)
                    log.info("%s: a call woke it from zero to %d", name, wake)
                    self._api.scale(name, wake)
            if time.monotonic() >= deadline:
                raise NoReadyReplica(
                    f"function {name!r} has no ready pod after {self._ready_timeout:.0f} s; "
                    f"scale it up or check `faas-cli logs {name}`"
                )
            time.sleep(POLL)
        with self._lock:
            self._invocations[name] = self._invocations.get(name, 0) + 1
        yield targets[next(self._turn) % len(targets)]

    def _status(self, obj: dict[str, Any]) -> dict[str, Any]:
        deployment = deployment_of(obj)
        with self._lock:
            invocations = self._invocations.get(deployment.service, 0)
        return function_status(
            deployment,
            replicas=int(obj["spec"].get("replicas") or 0),
            available=int((obj.get("status") or {}).get("availableReplicas") or 0),
            invocations=invocations,
            created_at=str(obj["metadata"].get("creationTimestamp") or ""),
        )
