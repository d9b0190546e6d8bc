"""The faas-provider JSON shapes: FunctionDeployment in, FunctionStatus out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provider.errors import InvalidDeployment

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
MIN_SCALE_LABEL = "com.openfaas.scale.min"


@dataclass(frozen=True)
class Deployment:
    service: str
    image: str
    namespace: str
    env_process: str = ""
    env_vars: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    limits: dict[str, str] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    read_only_root_filesystem: bool = False

    @property
    def min_replicas(self) -> int:
        text = self.labels.get(MIN_SCALE_LABEL, "1")
        return int(text) if text.isdigit() else 1

    @classmethod
    def from_json(cls, body: object, *, default_namespace: str) -> Deployment:
        if not isinstance(body, dict):
            raise InvalidDeployment("expected a FunctionDeployment JSON object")
        service = body.get("service")
        image = body.get("image")
        if not isinstance(service, str) or not NAME.match(service):
            raise InvalidDeployment(
                f"service: expected a DNS-1123 name (lower-case letters, digits, '-'), "
                f"found {service!r}"
            )
        if not isinstance(image, str) or not image:
            raise InvalidDeployment("image: missing; name the image `oscar build` produced")
        return cls(
            service=service,
            image=image,
            namespace=str(body.get("namespace") or default_namespace),
            env_process=str(body.get("envProcess") or ""),
            env_vars=_strings(body.get("envVars"), "envVars"),
            labels=_strings(body.get("labels"), "labels"),
            annotations=_strings(body.get("annotations"), "annotations"),
            secrets=tuple(_string_list(body.get("secrets"), "secrets")),
            constraints=tuple(_string_list(body.get("constraints"), "constraints")),
            limits=_strings(body.get("limits"), "limits"),
            requests=_strings(body.get("requests"), "requests"),
            read_only_root_filesystem=bool(body.get("readOnlyRootFilesystem", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "image": self.image,
            "namespace": self.namespace,
            "envProcess": self.env_process,
            "envVars": self.env_vars,
            "labels": self.labels,
            "annotations": self.annotations,
            "secrets": list(self.secrets),
            "constraints": list(self.constraints),
            "limits": self.limits,
            "requests": self.requests,
            "readOnlyRootFilesystem": self.read_only_root_filesystem,
        }


def function_status(
    deployment: Deployment,
    *,
    replicas: int,
    available: int,
    invocations: int,
    created_at: str,
) -> dict[str, Any]:
    return {
        "name": deployment.service,
        "image": deployment.image,
        "namespace": deployment.namespace,
        "envProcess": deployment.env_process,
        "envVars": deployment.env_vars,
        "labels": deployment.labels,
        "annotations": deployment.annotations,
        "secrets": list(deployment.secrets),
        "constraints": list(deployment.constraints),
        "limits": deployment.limits or None,
        "requests": deployment.requests or None,
        "readOnlyRootFilesystem": deployment.read_only_root_filesystem,
        "replicas": replicas,
        "availableReplicas": available,
        "invocationCount": invocations,
        "createdAt": created_at,
    }


def _strings(value: object, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidDeployment(f"{name}: expected an object of strings")
    return {str(k): str(v) for k, v in value.items()}


def _string_list(value: object, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidDeployment(f"{name}: expected a list of strings")
    return [str(v) for v in value]
