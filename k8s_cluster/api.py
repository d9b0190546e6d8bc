"""The few API server reads that readiness needs, over HTTPS with the admin certificate.

Deliberately the standard library only: the cluster package starts the cluster, and the tests
(not this package) talk to it with the `kubernetes` client.
"""

from __future__ import annotations

import http.client
import json
import ssl
from typing import Any

from .config import ClusterConfig


def _context(config: ClusterConfig) -> ssl.SSLContext:
    pki = config.pki_dir
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    return context


def get(config: ClusterConfig, path: str, *, timeout: float = 5.0) -> tuple[int, str]:
    connection = http.client.HTTPSConnection(
        "127.0.0.1", config.api_port, context=_context(config), timeout=timeout
    )
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def get_json(config: ClusterConfig, path: str) -> dict[str, Any]:
    status, body = get(config, path)
    if status != 200:
        raise OSError(f"GET {path} answered {status}: {body[:200]}")
    document: dict[str, Any] = json.loads(body)
    return document


def readyz(config: ClusterConfig) -> bool | str:
    status, body = get(config, "/readyz")
    return True if status == 200 else f"/readyz {status}: {body[-200:]}"


def node_ready(config: ClusterConfig) -> bool | str:
    status, body = get(config, f"/api/v1/nodes/{config.node_name}")
    if status != 200:
        return f"node {config.node_name}: {status}"
    conditions = json.loads(body).get("status", {}).get("conditions", [])
    ready = [c for c in conditions if c.get("type") == "Ready"]
    if ready and ready[0].get("status") == "True":
        return True
    return f"node not Ready: {ready[0].get('message', '') if ready else 'no condition yet'}"


def default_service_account(config: ClusterConfig) -> bool | str:
    """The controller-manager makes it; pods cannot be created in `default` before it exists."""
    status, _ = get(config, "/api/v1/namespaces/default/serviceaccounts/default")
    return True if status == 200 else f"no default service account yet ({status})"


def registry_ready(config: ClusterConfig) -> bool | str:
    """The registry's API root answers 200 through the forwarder."""
    connection = http.client.HTTPConnection("127.0.0.1", config.registry_port, timeout=5)
    try:
        connection.request("GET", "/v2/")
        status = connection.getresponse().status
    finally:
        connection.close()
    return True if status == 200 else f"registry /v2/ answered {status}"
