"""The one module of the k8s tier that uses the `kubernetes` client: only what the tests need.

The client's models are Optional all the way down; the tests ask plain questions (did the job
succeed, what did the pod log) and get plain answers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client import exceptions

ApiException = exceptions.ApiException
NAMESPACE = "default"


@dataclass(frozen=True)
class Kube:
    api: Any

    @classmethod
    def connect(cls, kubeconfig: Path) -> Kube:
        return cls(config.new_client_from_config(config_file=str(kubeconfig)))

    def _core(self) -> Any:
        return client.CoreV1Api(self.api)

    def version(self) -> str:
        info: Any = client.VersionApi(self.api).get_code()
        return str(info.git_version)

    def nodes(self) -> dict[str, str]:
        """Each node's name and its Ready condition's status."""
        items: Any = self._core().list_node().items
        return {
            n.metadata.name: next(c.status for c in n.status.conditions if c.type == "Ready")
            for n in items
        }

    def create(self, body: dict[str, Any]) -> Any:
        """Create a Job, Deployment or Lease from its dict (the client takes dicts as bodies)."""
        kind = body["kind"]
        batch: Any = client.BatchV1Api(self.api)
        apps: Any = client.AppsV1Api(self.api)
        coordination: Any = client.CoordinationV1Api(self.api)
        if kind == "Job":
            return batch.create_namespaced_job(NAMESPACE, body)
        if kind == "Deployment":
            return apps.create_namespaced_deployment(NAMESPACE, body)
        if kind == "Lease":
            return coordination.create_namespaced_lease(NAMESPACE, body)
        if kind == "Secret":
            return self._core().create_namespaced_secret(NAMESPACE, body)
        raise ValueError(f"the k8s tier creates Jobs, Deployments, Leases and Secrets, not {kind}")

    def job_done(self, name: str) -> bool | str:
        """True once the job succeeded; an AssertionError once it failed; else why not yet."""
        status: Any = client.BatchV1Api(self.api).read_namespaced_job_status(name, NAMESPACE).status
        if status.succeeded:
            return True
        if status.failed:
            raise AssertionError(f"job {name} failed: {status.conditions}")
        return f"job {name}: active={status.active}"

    def available(self, deployment: str) -> bool | str:
        apps: Any = client.AppsV1Api(self.api)
        replicas = apps.read_namespaced_deployment_status(deployment, NAMESPACE).status
        return bool(replicas.available_replicas) or f"available={replicas.available_replicas}"

    def pods(self, app: str) -> list[Any]:
        selector = f"app.kubernetes.io/name={app}"
        items: list[Any] = (
            self._core().list_namespaced_pod(NAMESPACE, label_selector=selector).items
        )
        return items

    def log(self, app: str) -> str:
        """The log of the one pod of `app` (what `kubectl logs` shows)."""
        pods = self.pods(app)
        assert len(pods) == 1, [p.metadata.name for p in pods]
        # The raw answer: before version 37 the client turns the log's bytes into "b'...'".
        answer = self._core().read_namespaced_pod_log(
            pods[0].metadata.name, NAMESPACE, _preload_content=False
        )
        return bytes(answer.data).decode()

    def pod_ip(self, app: str) -> str:
        return str(self.pods(app)[0].status.pod_ip)

    def read_lease(self, name: str) -> Any:
        return client.CoordinationV1Api(self.api).read_namespaced_lease(name, NAMESPACE)

    def renew_lease(self, lease: Any) -> Any:
        """Write `lease` back with a new renewTime; 409 if its resourceVersion is stale."""
        lease.spec.renew_time = datetime.datetime.now(datetime.UTC)
        coordination: Any = client.CoordinationV1Api(self.api)
        return coordination.replace_namespaced_lease(lease.metadata.name, NAMESPACE, lease)

    # -- what the provider made, in the functions namespace -----------------------------------
    def create_namespace(self, name: str) -> None:
        body = {
            "metadata": {
                "name": name,
                "labels": {"app.kubernetes.io/managed-by": "oscar-k8s-tests"},
            }
        }
        try:
            self._core().create_namespace(body)
        except ApiException as e:
            if e.status != 409:
                raise

    def plain(self, obj: Any) -> dict[str, Any]:
        """A client model as the API's own camelCase JSON."""
        plain: dict[str, Any] = self.api.sanitize_for_serialization(obj)
        return plain

    def read(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """A Deployment, Service or Secret as a dict; None when it does not exist."""
        read: Any = {
            "Deployment": client.AppsV1Api(self.api).read_namespaced_deployment,
            "Service": self._core().read_namespaced_service,
            "Secret": self._core().read_namespaced_secret,
        }[kind]
        try:
            return self.plain(read(name, namespace))
        except ApiException as e:
            if e.status == 404:
                return None
            raise

    def pods_of(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        items: list[Any] = (
            self._core().list_namespaced_pod(namespace, label_selector=selector).items
        )
        return [self.plain(p) for p in items]

    def pod_log(self, namespace: str, name: str) -> str:
        answer = self._core().read_namespaced_pod_log(name, namespace, _preload_content=False)
        return bytes(answer.data).decode()

    def jobs_of(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        batch: Any = client.BatchV1Api(self.api)
        items: list[Any] = batch.list_namespaced_job(namespace, label_selector=selector).items
        return [self.plain(j) for j in items]

    def delete_pod(self, namespace: str, name: str) -> None:
        """At once (grace 0): the kubelet SIGKILLs its containers."""
        self._core().delete_namespaced_pod(name, namespace, grace_period_seconds=0)

    def token(self, namespace: str, service_account: str) -> str:
        """A short-lived token of the service account (the TokenRequest API, as a pod gets)."""
        body = {"spec": {"expirationSeconds": 3600}}
        made: Any = self._core().create_namespaced_service_account_token(
            service_account, namespace, body
        )
        return str(made.status.token)
