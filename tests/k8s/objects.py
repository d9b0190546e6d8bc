"""The Kubernetes objects the k8s tier creates: small pure functions, labelled by who made them."""

from __future__ import annotations

from typing import Any

MANAGED_BY = {"app.kubernetes.io/managed-by": "oscar-k8s-tests"}


def labels(name: str) -> dict[str, str]:
    return {**MANAGED_BY, "app.kubernetes.io/name": name}


def container(name: str, image: str, command: list[str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent"}
    if command:
        spec["command"] = command
    return spec


def job(
    name: str,
    image: str,
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    host_network: bool = False,
) -> dict[str, Any]:
    """Runs `command` once; `host_network` puts the pod in the node's network namespace."""
    main = container(name, image, command)
    if env:
        main["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": 600,
            "template": {
                "metadata": {"labels": labels(name)},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [main],
                    "automountServiceAccountToken": False,
                    "hostNetwork": host_network,
                },
            },
        },
    }


def deployment(
    name: str,
    image: str,
    *,
    port: int,
    env: dict[str, str] | None = None,
    secrets: str = "",
) -> dict[str, Any]:
    """One replica of a function image; `secrets` names a Secret mounted where OpenFaaS mounts
    a function's secrets (/var/openfaas/secrets)."""
    main = container(name, image)
    main["ports"] = [{"containerPort": port}]
    main["readinessProbe"] = {"httpGet": {"path": "/_/health", "port": port}, "periodSeconds": 1}
    main["env"] = [{"name": k, "value": v} for k, v in (env or {}).items()]
    volumes = []
    if secrets:
        main["volumeMounts"] = [
            {"name": "secrets", "mountPath": "/var/openfaas/secrets", "readOnly": True}
        ]
        volumes = [{"name": "secrets", "secret": {"secretName": secrets}}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels(name)},
            "template": {
                "metadata": {"labels": labels(name)},
                "spec": {
                    "containers": [main],
                    "volumes": volumes,
                    "automountServiceAccountToken": False,
                },
            },
        },
    }


def secret(name: str, values: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": labels(name)},
        "stringData": values,
    }


def lease(name: str, *, holder: str, seconds: int) -> dict[str, Any]:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": seconds},
    }


def host_network_deployment(
    name: str,
    image: str,
    command: list[str],
    *,
    env: dict[str, str],
    secret: str = "",
    mount: str = "",
) -> dict[str, Any]:
    """One pod in the node's network namespace (the OpenFaaS gateway, NATS, the queue-worker:
    without kube-proxy they find each other at the node's address); `secret` mounts at `mount`."""
    main = container(name, image, command)
    main["env"] = [{"name": k, "value": v} for k, v in env.items()]
    volumes = []
    if secret:
        main["volumeMounts"] = [{"name": "secret", "mountPath": mount, "readOnly": True}]
        volumes = [{"name": "secret", "secret": {"secretName": secret}}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels(name)},
            "template": {
                "metadata": {"labels": labels(name)},
                "spec": {
                    "hostNetwork": True,
                    "containers": [main],
                    "volumes": volumes,
                    "automountServiceAccountToken": False,
                },
            },
        },
    }
