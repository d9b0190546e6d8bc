"""The one module that uses the `kubernetes` client: only the calls the provider makes.

Bodies go in as dicts and come out as camelCase dicts (the API's own JSON), so the rest of the
backend reads plain data. API errors map to the provider's errors in `_mapped`: 404 and 409 to
what a caller acts on, anything else (or an unreachable API server) to `ClusterUnavailable`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.client import exceptions

from provider.errors import (
    ClusterUnavailable,
    FunctionExists,
    FunctionNotFound,
    ProviderError,
    SecretError,
    SecretNotFound,
)

log = logging.getLogger(__name__)
MAX_REASON = 300


@contextmanager
def _mapped(
    what: str,
    *,
    missing: type[ProviderError] = FunctionNotFound,
    exists: type[ProviderError] = FunctionExists,
) -> Iterator[None]:
    try:
        yield
    except exceptions.ApiException as e:
        reason = _reason(e)
        if e.status == 404:
            raise missing(f"{what}: not found ({reason})") from e
        if e.status == 409:
            raise exists(f"{what}: already exists ({reason})") from e
        if e.status in {400, 422}:
            raise ProviderError(f"{what}: the API server refused it: {reason}") from e
        raise ClusterUnavailable(f"{what}: the API server answered {e.status}: {reason}") from e
    except urllib3.exceptions.HTTPError as e:
        raise ClusterUnavailable(f"{what}: the API server cannot be reached: {e}") from e


def _reason(error: exceptions.ApiException) -> str:
    try:
        message = str(json.loads(error.body or "{}").get("message", ""))
    except ValueError:
        message = str(error.body or error.reason)
    return message[:MAX_REASON]


class KubeApi:
    """Deployments, Services, Secrets and pods in one namespace."""

    def __init__(self, api: Any, namespace: str) -> None:
        self._api = api
        self.namespace = namespace
        self._core: Any = client.CoreV1Api(api)
        self._apps: Any = client.AppsV1Api(api)

    @classmethod
    def connect(cls, *, kubeconfig: Path | None, namespace: str) -> KubeApi:
        """From a kubeconfig file, or (None) the pod's own service account."""
        try:
            if kubeconfig is None:
                config.load_incluster_config()
                api = client.ApiClient()
            else:
                api = config.new_client_from_config(config_file=str(kubeconfig))
        except config.ConfigException as e:
            raise ClusterUnavailable(
                f"no Kubernetes credentials: {e}; set OSCAR_KUBECONFIG or run in a pod"
            ) from e
        return cls(api, namespace)

    def _plain(self, obj: Any) -> dict[str, Any]:
        plain: dict[str, Any] = self._api.sanitize_for_serialization(obj)
        return plain

    # -- Deployments and Services ------------------------------------------------------------
    def read_deployment(self, name: str) -> dict[str, Any]:
        with _mapped(f"function {name!r}"):
            return self._plain(self._apps.read_namespaced_deployment(name, self.namespace))

    def list_deployments(self, selector: str) -> list[dict[str, Any]]:
        with _mapped("the functions"):
            found = self._apps.list_namespaced_deployment(self.namespace, label_selector=selector)
        return [self._plain(d) for d in found.items]

    def create(self, body: dict[str, Any]) -> None:
        what = f"{body['kind']} {body['metadata']['name']!r}"
        exists = SecretError if body["kind"] == "Secret" else FunctionExists
        with _mapped(what, exists=exists):
            if body["kind"] == "Deployment":
                self._apps.create_namespaced_deployment(self.namespace, body)
            elif body["kind"] == "Service":
                self._core.create_namespaced_service(self.namespace, body)
            else:
                self._core.create_namespaced_secret(self.namespace, body)

    def replace_deployment(self, body: dict[str, Any]) -> None:
        name = body["metadata"]["name"]
        with _mapped(f"function {name!r}"):
            self._apps.replace_namespaced_deployment(name, self.namespace, body)

    def patch_service(self, body: dict[str, Any]) -> None:
        name = body["metadata"]["name"]
        with _mapped(f"Service {name!r}"):
            self._core.patch_namespaced_service(name, self.namespace, body)

    def scale(self, name: str, replicas: int) -> None:
        with _mapped(f"function {name!r}"):
            self._apps.patch_namespaced_deployment_scale(
                name, self.namespace, {"spec": {"replicas": replicas}}
            )

    def delete(self, kind: str, name: str) -> None:
        missing = SecretNotFound if kind == "Secret" else FunctionNotFound
        with _mapped(f"{kind} {name!r}", missing=missing):
            if kind == "Deployment":
                self._apps.delete_namespaced_deployment(name, self.namespace)
            elif kind == "Service":
                self._core.delete_namespaced_service(name, self.namespace)
            else:
                self._core.delete_namespaced_secret(name, self.namespace)

    # -- pods --------------------------------------------------------------------------------
    def pods(self, selector: str) -> list[dict[str, Any]]:
        with _mapped("the pods"):
            found = self._core.list_namespaced_pod(self.namespace, label_selector=selector)
        return [self._plain(p) for p in found.items]

    def pod_log(
        self, pod: str, *, tail: int, since_seconds: int | None, follow: bool
    ) -> Iterator[str]:
        """The pod's log lines, each prefixed by its RFC 3339 time (`timestamps=True`)."""
        options: dict[str, Any] = {"timestamps": True, "follow": follow}
        if tail >= 0:
            options["tail_lines"] = tail
        if since_seconds is not None:
            options["since_seconds"] = max(1, since_seconds)
        with _mapped(f"the log of pod {pod!r}"):
            response = self._core.read_namespaced_pod_log(
                pod, self.namespace, _preload_content=False, **options
            )
        try:
            pending = b""
            for chunk in response.stream(4096):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", "replace")
            if pending:
                yield pending.decode("utf-8", "replace")
        finally:
            response.release_conn()

    # -- Secrets -----------------------------------------------------------------------------
    def secret_names(self, selector: str) -> list[str]:
        with _mapped("the secrets"):
            found = self._core.list_namespaced_secret(self.namespace, label_selector=selector)
        return sorted(s.metadata.name for s in found.items)

    def replace_secret(self, body: dict[str, Any]) -> None:
        name = body["metadata"]["name"]
        with _mapped(f"secret {name!r}", missing=SecretNotFound):
            self._core.replace_namespaced_secret(name, self.namespace, body)
