"""The Kubernetes objects of one function, as faas-netes shapes them: small pure functions.

A function is a Deployment and a Service of its name in the functions namespace, selected by the
`faas_function` label; the FunctionDeployment's labels and annotations go on both and on the
pods; its secrets are one projected volume at /var/openfaas/secrets; readiness is the watchdog's
`/_/health`. Every object also says who made it (`app.kubernetes.io/managed-by`), and
`deployment_of` reads a FunctionDeployment back from the Deployment, so nothing else is stored.
"""

from __future__ import annotations

import base64
from typing import Any

from contract.naming import SECRETS_MOUNT
from provider.deployments import Deployment

FUNCTION_LABEL = "faas_function"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "oscar-provider"
WATCHDOG_PORT = 8080
HEALTH_PATH = "/_/health"
# faas-netes' own annotation: the function's pods are not scraped by Prometheus on their own.
SCRAPE_ANNOTATION = "prometheus.io.scrape"
OURS = {MANAGED_BY_LABEL: MANAGED_BY}


def selector(name: str) -> dict[str, str]:
    return {FUNCTION_LABEL: name}


def function_selector() -> str:
    """The label selector of every function this provider made."""
    return f"{FUNCTION_LABEL},{MANAGED_BY_LABEL}={MANAGED_BY}"


def _labels(deployment: Deployment) -> dict[str, str]:
    return {**deployment.labels, **selector(deployment.service), **OURS}


def _annotations(deployment: Deployment) -> dict[str, str]:
    return {SCRAPE_ANNOTATION: "false", **deployment.annotations}


def _metadata(deployment: Deployment) -> dict[str, Any]:
    return {
        "name": deployment.service,
        "namespace": deployment.namespace,
        "labels": _labels(deployment),
        "annotations": _annotations(deployment),
    }


def _env(deployment: Deployment) -> list[dict[str, str]]:
    env = dict(deployment.env_vars)
    if deployment.env_process:
        env["fprocess"] = deployment.env_process
    return [{"name": k, "value": v} for k, v in sorted(env.items())]


def _probe() -> dict[str, Any]:
    return {
        "httpGet": {"path": HEALTH_PATH, "port": WATCHDOG_PORT, "scheme": "HTTP"},
        "initialDelaySeconds": 0,
        "periodSeconds": 1,
        "timeoutSeconds": 1,
        "failureThreshold": 3,
    }


def _container(deployment: Deployment) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if deployment.limits:
        resources["limits"] = dict(deployment.limits)
    if deployment.requests:
        resources["requests"] = dict(deployment.requests)
    container: dict[str, Any] = {
        "name": deployment.service,
        "image": deployment.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": WATCHDOG_PORT, "protocol": "TCP"}],
        "env": _env(deployment),
        "resources": resources,
        "readinessProbe": _probe(),
        "livenessProbe": {**_probe(), "periodSeconds": 5},
        "securityContext": {
            "readOnlyRootFilesystem": deployment.read_only_root_filesystem,
            "allowPrivilegeEscalation": False,
        },
    }
    if deployment.secrets:
        container["volumeMounts"] = [
            {"name": _secrets_volume(deployment), "mountPath": SECRETS_MOUNT, "readOnly": True}
        ]
    return container


def _secrets_volume(deployment: Deployment) -> str:
    return f"{deployment.service}-projected-secrets"


def _volumes(deployment: Deployment) -> list[dict[str, Any]]:
    if not deployment.secrets:
        return []
    sources = [{"secret": {"name": s}} for s in deployment.secrets]
    return [{"name": _secrets_volume(deployment), "projected": {"sources": sources}}]


def deployment_object(deployment: Deployment, *, replicas: int) -> dict[str, Any]:
    """The apps/v1 Deployment that runs `deployment`'s replicas."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(deployment),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector(deployment.service)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {
                "metadata": {
                    "labels": _labels(deployment),
                    "annotations": _annotations(deployment),
                },
                "spec": {
                    "containers": [_container(deployment)],
                    "volumes": _volumes(deployment),
                    # A function gets no token for the API server: it has no business there.
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                },
            },
        },
    }


def service_object(deployment: Deployment) -> dict[str, Any]:
    """The ClusterIP Service faas-netes makes. Without kube-proxy (the one-node cluster) it
    routes nowhere; the provider calls pods by their IP either way."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(deployment),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(deployment.service),
            "ports": [
                {"name": "http", "port": WATCHDOG_PORT, "targetPort": WATCHDOG_PORT,
                 "protocol": "TCP"}
            ],
        },
    }  # fmt: skip


def secret_object(namespace: str, name: str, data: bytes) -> dict[str, Any]:
    """An OpenFaaS secret: one key of its own name, so it mounts as a file of that name."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(OURS)},
        "data": {name: base64.b64encode(data).decode()},
    }


def deployment_of(obj: dict[str, Any]) -> Deployment:
    """The FunctionDeployment a Deployment object of ours was made from (camelCase dict)."""
    meta, pod = obj["metadata"], obj["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e.get("value", "") for e in container.get("env") or []}
    process = env.pop("fprocess", "")
    secrets = [
        source["secret"]["name"]
        for volume in pod.get("volumes") or []
        for source in (volume.get("projected") or {}).get("sources") or []
        if "secret" in source
    ]
    resources = container.get("resources") or {}
    labels = dict(meta.get("labels") or {})
    for key in (FUNCTION_LABEL, MANAGED_BY_LABEL):
        labels.pop(key, None)
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(SCRAPE_ANNOTATION, None)
    annotations.pop("deployment.kubernetes.io/revision", None)
    security = container.get("securityContext") or {}
    return Deployment(
        service=meta["name"],
        image=container["image"],
        namespace=meta["namespace"],
        env_process=process,
        env_vars=env,
        labels=labels,
        annotations=annotations,
        secrets=tuple(secrets),
        limits={k: str(v) for k, v in (resources.get("limits") or {}).items()},
        requests={k: str(v) for k, v in (resources.get("requests") or {}).items()},
        read_only_root_filesystem=bool(security.get("readOnlyRootFilesystem", False)),
    )
