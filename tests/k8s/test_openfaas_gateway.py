"""The real OpenFaaS gateway, NATS Streaming and a queue-worker in the cluster, in front of our
provider's Kubernetes backend, and unmodified `faas-cli deploy` of grayify through them.

OpenFaaS runs from the binaries the installer built (one image, crane, no Docker), in pods on
the node's network (no kube-proxy: they find each other, and the provider, at the node's
address). The provider runs in the cluster's network namespace, as in test_provider.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from k8s_cluster import ClusterConfig, processes
from k8s_cluster.images import push_base_images, push_openfaas
from k8s_cluster.waiting import wait_until

from . import objects
from .faas import build_grayify, faas_cli, faas_login, faas_project, forward, stack_yml
from .kube import Kube
from .test_grayify import SAMPLE, MinioInCluster, _colour_type, _event, minio_server  # noqa: F401
from .test_provider import NAMESPACE, PROVIDER_PORT, kube, provider  # noqa: F401

GATEWAY_PORT = 8080
S3_SECRETS = ("s3-access-key", "s3-secret-key")
NATS = {"faas_nats_port": "4222", "faas_nats_cluster_name": "faas-cluster"}


def _openfaas_pods(config: ClusterConfig, api: Kube) -> str:
    """The OpenFaaS pods, made by the first module that needs them (they outlive it: a later
    module's provider starts on the same address); the admin password."""
    known = api.read("Secret", "default", "basic-auth")
    if known is not None:
        return base64.b64decode(known["data"]["basic-auth-password"]).decode()
    password = secrets.token_hex(12)
    push_base_images(config)
    image = push_openfaas(config).replace(config.registry_on_host, config.registry_inside)
    node = config.node_ip
    nats = {**NATS, "faas_nats_address": node}
    api.create(objects.secret("basic-auth", {"basic-auth-user": "admin",
                                              "basic-auth-password": password}))  # fmt: skip
    api.create(
        objects.host_network_deployment(
            "nats", image,
            ["nats-streaming-server", "--cluster_id", "faas-cluster", "--store", "memory",
             "--addr", node, "--port", "4222", "--http_port", "8222"],
            env={},
        )
    )  # fmt: skip
    api.create(
        objects.host_network_deployment(
            "openfaas-gateway", image, ["openfaas-gateway"],
            env={
                **nats,
                "functions_provider_url": f"http://{node}:{PROVIDER_PORT}/",
                "direct_functions": "false",
                "scale_from_zero": "false",
                "basic_auth": "true",
                "secret_mount_path": "/var/secrets/gateway",
                "upstream_timeout": "120s",
                "read_timeout": "125s",
                "write_timeout": "125s",
                "faas_prometheus_host": node,
                "faas_prometheus_port": str(PROVIDER_PORT),
            },
            secret="basic-auth", mount="/var/secrets/gateway",
        )
    )  # fmt: skip
    api.create(
        objects.host_network_deployment(
            "queue-worker", image, ["nats-queue-worker"],
            env={**nats, "faas_gateway_address": node, "faas_gateway_port": str(GATEWAY_PORT),
                 "ack_wait": "120s"},
        )
    )  # fmt: skip
    for name in ("nats", "openfaas-gateway", "queue-worker"):
        ok, last = wait_until(lambda: api.available(name), timeout=180, interval=0.5)  # noqa: B023
        assert ok, f"{name}: {last}"
    return password


@pytest.fixture(scope="module")
def openfaas(k8s_cluster: ClusterConfig, kube: Kube, provider: str) -> Iterator[tuple[str, str]]:  # noqa: F811
    """The in-cluster OpenFaaS gateway's URL on the host's loopback, and its password."""
    config = k8s_cluster
    password = _openfaas_pods(config, kube)
    host, forwarder = forward(config, "test-openfaas-forward", f"{config.node_ip}:{GATEWAY_PORT}")
    url = f"http://{host}"

    def healthy() -> bool | str:
        try:
            return requests.get(f"{url}/healthz", timeout=2).ok or "not ok"
        except requests.RequestException as e:
            return str(e)

    ok, last = wait_until(healthy, timeout=60, interval=0.3)
    assert ok, last
    try:
        yield url, password
    finally:
        processes.stop(forwarder, grace=5)


def _grey_through_the_queue(url: str, minio: MinioInCluster, tmp_path: Path) -> Path:
    """An upload's event posted to /async-function (NATS, the queue-worker): its output file."""
    storage = minio.client
    if not storage.bucket_exists("grayify"):
        storage.make_bucket("grayify")
    storage.fput_object("grayify", "in/k8s/sunset.png", str(SAMPLE))
    event = _event("grayify", "in/k8s/sunset.png", SAMPLE.stat().st_size)
    headers = {"Content-Type": "application/json"}
    queued = requests.post(f"{url}/async-function/grayify", data=event, headers=headers, timeout=30)
    assert queued.status_code == 202, queued.text

    def grey() -> bool | str:
        names = [o.object_name for o in storage.list_objects("grayify", "out/k8s/")]
        return names == ["out/k8s/sunset.png"] or f"outputs: {names}"

    ok, last = wait_until(grey, timeout=180, interval=0.5)
    assert ok, last
    output = tmp_path / "sunset.png"
    storage.fget_object("grayify", "out/k8s/sunset.png", str(output))
    return output


def test_faas_cli_deploys_grayify_through_the_in_cluster_gateway_and_async_calls_make_grey(
    k8s_cluster: ClusterConfig,
    kube: Kube,  # noqa: F811
    openfaas: tuple[str, str],
    minio_server: MinioInCluster,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = k8s_cluster
    url, password = openfaas
    image = build_grayify(config)
    stack = stack_yml("grayify", image, s3=minio_server.endpoint_for_pods, secrets=S3_SECRETS,
                      environment={"SCRIPT_TIMEOUT": "60", "exec_timeout": "90s"})  # fmt: skip
    faas_project(tmp_path, "grayify", stack)
    faas_login(config, tmp_path, url, password)
    keys = (minio_server.access_key, minio_server.secret_key)
    for secret, value in zip(S3_SECRETS, keys, strict=True):
        faas_cli(config, tmp_path, "secret", "create", secret, "--from-literal", value,
                 "--gateway", url)  # fmt: skip

    faas_cli(config, tmp_path, "deploy", "-f", "stack.yml", "--gateway", url)
    try:
        auth = ("admin", password)

        def ready() -> bool | str:
            found = requests.get(f"{url}/system/function/grayify", auth=auth, timeout=10)
            return (found.ok and found.json().get("availableReplicas") == 1) or found.text[:200]

        ok, last = wait_until(ready, timeout=180, interval=0.5)
        assert ok, last
        output = _grey_through_the_queue(url, minio_server, tmp_path)
        assert _colour_type(output) == "Grayscale"
        listed = faas_cli(config, tmp_path, "list", "--gateway", url)
        assert "grayify" in listed
        described = faas_cli(config, tmp_path, "describe", "grayify", "--gateway", url)
        assert re.search(r"Status:\s+Ready", described), described
        assert re.search(r"Available Replicas:\s+1", described), described
        logs = faas_cli(config, tmp_path, "logs", "grayify", "--tail=false", "--gateway", url)
        assert "grayifying sunset.png" in logs, logs
        deployment = kube.read("Deployment", NAMESPACE, "grayify")
        assert deployment is not None
        assert deployment["metadata"]["labels"]["faas_function"] == "grayify"
    finally:  # the provider's tests that follow count the functions in the namespace
        faas_cli(config, tmp_path, "remove", "grayify", "--gateway", url)
