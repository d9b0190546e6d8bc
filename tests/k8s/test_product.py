"""The product on the one-node cluster, end to end: our gateway's image built without Docker and
installed with `helm install` of deploy/oscar, grayify built without Docker and deployed with
unmodified faas-cli through the in-cluster OpenFaaS gateway (in front of our provider's
Kubernetes backend), uploads that become grey outputs, a synchronous /run, three pods that all
serve, and the gateway's pod killed with uploads in flight losing none of them.

No kube-proxy here (ClusterIP Services route nowhere), so the gateway runs on the node's network
(`hostNetwork=true`), reached at the node's address like OpenFaaS and MinIO, and its Lease finds
the API server at the node's address (`apiServer.host`). MinIO runs in the cluster's network
namespace with its webhook pointed at the gateway.
"""

from __future__ import annotations

import io
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from minio import Minio

from k8s_cluster import ClusterConfig, processes, product
from k8s_cluster.images import push_base_images
from k8s_cluster.waiting import wait_until

from . import objects
from .conftest import REPO
from .faas import (
    build_grayify,
    faas_cli,
    faas_login,
    faas_project,
    forward,
    minio_in_cluster,
    stack_yml,
)
from .kube import Kube
from .postgres import PostgresInCluster
from .test_grayify import SAMPLE, _colour_type
from .test_openfaas_gateway import openfaas  # noqa: F401
from .test_provider import NAMESPACE, kube, provider  # noqa: F401

GATEWAY_PORT = 8090
MINIO_PORT = 9100  # not test_grayify's 9000: each module has a MinIO of its own
RELEASE = "e2e"
LEASE = "e2e-gateway"
S3_SECRETS = ("e2e-s3-access-key", "e2e-s3-secret-key")


@dataclass(frozen=True)
class Gateway:
    url: str  # on the host's loopback
    admin: dict[str, str]  # the admin bearer header
    minio: Minio
    s3_keys: tuple[str, str]  # MinIO's access and secret key
    kube: Kube

    def get(self, path: str) -> Any:
        answer = requests.get(f"{self.url}{path}", headers=self.admin, timeout=30)
        assert answer.ok, f"{path}: {answer.status_code} {answer.text[:300]}"
        return answer.json()


@pytest.fixture(scope="module")
def minio_webhook(k8s_cluster: ClusterConfig) -> Iterator[tuple[Minio, str, str, str]]:
    """MinIO whose webhook target OSCAR posts to the gateway; (client, key, secret, token)."""
    config = k8s_cluster
    access, secret, token = "oscar-e2e", secrets.token_hex(16), secrets.token_hex(16)
    env = {
        "MINIO_NOTIFY_WEBHOOK_ENABLE_OSCAR": "on",
        "MINIO_NOTIFY_WEBHOOK_ENDPOINT_OSCAR": f"http://{config.node_ip}:{GATEWAY_PORT}/events",
        "MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_OSCAR": token,
    }
    with minio_in_cluster(
        config, "test-minio-e2e", port=MINIO_PORT, keys=(access, secret), env=env
    ) as client:
        yield client, access, secret, token


def _helm(config: ClusterConfig, *args: str) -> str:
    result = subprocess.run(
        [config.tool("helm"), f"--kubeconfig={config.kubeconfig}", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, f"helm {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def _install(config: ClusterConfig, image: str) -> None:
    node = config.node_ip
    repository, _, tag = image.rpartition(":")
    values = {
        "image.repository": repository, "image.tag": tag, "hostNetwork": "true",
        "gateway.port": str(GATEWAY_PORT),
        "gateway.publicUrl": f"http://{node}:{GATEWAY_PORT}",
        "gateway.reconcileIntervalSeconds": "5", "gateway.logLevel": "DEBUG",
        "openfaas.url": f"http://{node}:8080",
        "minio.endpoint": f"http://{node}:{MINIO_PORT}",
        "minio.credentialsSecret.name": "e2e-minio",
        "tokensSecret.name": "e2e-gateway-tokens",
        "ledger.urlSecret.name": "e2e-ledger",
        "leaderElection.enabled": "true", "leaderElection.leaseName": LEASE,
        "leaderElection.leaseSeconds": "5",
        "apiServer.host": node, "apiServer.port": "6443",
        "jobMode.enabled": "true", "jobMode.namespace": NAMESPACE,
        "jobMode.ttlSecondsAfterFinished": "30",
    }  # fmt: skip
    sets = [f"--set={k}={v}" for k, v in values.items()]
    _helm(config, "install", RELEASE, str(REPO / "deploy" / "oscar"), "-n", "default", *sets)


def _available(api: Kube) -> bool | str:
    return api.available(f"{RELEASE}-gateway")


@pytest.fixture(scope="module")
def ledger_url(k8s_cluster: ClusterConfig) -> Iterator[str]:
    """A PostgreSQL database in the cluster's namespace, as pods reach it: the ledger survives
    the gateway's pod (an emptyDir's SQLite does not)."""
    server = PostgresInCluster(k8s_cluster)
    try:
        yield server.url_for_pods(server.create_database())
    finally:
        server.remove()


@pytest.fixture(scope="module")
def gateway(
    k8s_cluster: ClusterConfig,
    kube: Kube,  # noqa: F811
    openfaas: tuple[str, str],  # noqa: F811
    minio_webhook: tuple[Minio, str, str, str],
    ledger_url: str,
) -> Iterator[Gateway]:
    config = k8s_cluster
    push_base_images(config)
    image = product.build(config).replace(config.registry_on_host, config.registry_inside)
    client, access, secret, webhook = minio_webhook
    admin = secrets.token_hex(16)
    kube.create(objects.secret("e2e-minio", {"rootUser": access, "rootPassword": secret}))
    kube.create(objects.secret("e2e-gateway-tokens", {
        "webhook-token": webhook, "admin-token": admin, "callback-key": secrets.token_hex(16),
    }))  # fmt: skip
    kube.create(objects.secret("e2e-ledger", {"url": ledger_url}))
    _install(config, image)
    host, forwarder = forward(config, "test-gateway-forward", f"{config.node_ip}:{GATEWAY_PORT}")
    try:
        ok, last = wait_until(lambda: _available(kube), timeout=300, interval=0.5)
        assert ok, f"the gateway's pod: {last}\n{_pod_logs(kube)}"
        bearer = {"Authorization": f"Bearer {admin}"}
        yield Gateway(f"http://{host}", bearer, client, (access, secret), kube)
    finally:
        processes.stop(forwarder, grace=5)
        _helm(config, "uninstall", RELEASE, "-n", "default", "--wait")


def _pod_logs(api: Kube) -> str:
    """The gateway pods' logs, for a failure's message."""
    pods = api.pods_of("default", f"app.kubernetes.io/instance={RELEASE}")
    return "\n".join(api.pod_log("default", p["metadata"]["name"])[-3000:] for p in pods)


def test_helm_install_runs_our_gateway_image_non_root_read_only_holding_the_lease(
    gateway: Gateway,
) -> None:
    assert requests.get(f"{gateway.url}/health", timeout=10).json()["status"] == "ok"
    pods = gateway.kube.pods_of("default", f"app.kubernetes.io/instance={RELEASE}")
    assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
    container = pods[0]["spec"]["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pods[0]["spec"]["securityContext"]["runAsUser"] == 10001

    def held() -> bool | str:
        holder = gateway.kube.read_lease(LEASE).spec.holder_identity
        return holder == pods[0]["metadata"]["name"] or f"holder: {holder}"

    ok, last = wait_until(held, timeout=30, interval=0.3)
    assert ok, last


def _deploy_grayify(config: ClusterConfig, url: str, password: str, gateway: Gateway,
                    home: Path) -> None:  # fmt: skip
    image = build_grayify(config)
    s3 = f"http://{config.node_ip}:{MINIO_PORT}"
    stack = stack_yml("grayify", image, s3=s3, secrets=S3_SECRETS,
                      environment={"SCRIPT_TIMEOUT": "60", "exec_timeout": "90s"},
                      annotations={"oscar.timeout": "60"})  # fmt: skip
    faas_project(home, "grayify", stack)
    _s3_secrets(config, url, password, gateway, home)
    faas_cli(config, home, "deploy", "-f", "stack.yml", "--gateway", url)


def _s3_secrets(config: ClusterConfig, url: str, password: str, gateway: Gateway,
                home: Path) -> None:  # fmt: skip
    faas_login(config, home, url, password)
    access, secret_key = gateway.s3_keys
    for secret, value in zip(S3_SECRETS, (access, secret_key), strict=True):
        subprocess.run([config.tool("faas-cli"), "secret", "remove", secret, "--gateway", url],
                       capture_output=True, env={**config.child_env(), "HOME": str(home)},
                       cwd=home, timeout=60)  # fmt: skip
        faas_cli(config, home, "secret", "create", secret, "--from-literal", value,
                 "--gateway", url)  # fmt: skip


def _succeeded(gateway: Gateway, count: int) -> bool | str:
    page = gateway.get("/system/jobs/grayify?status=succeeded&limit=1")
    return page["total"] >= count or f"succeeded: {page['total']} of {count}"


def _outputs(gateway: Gateway, prefix: str) -> list[str]:
    return sorted(o.object_name for o in gateway.minio.list_objects("grayify", prefix,
                                                                     recursive=True))  # fmt: skip


def test_uploads_become_grey_outputs_sync_runs_answer_and_three_pods_serve(
    k8s_cluster: ClusterConfig,
    openfaas: tuple[str, str],  # noqa: F811
    gateway: Gateway,
    tmp_path: Path,
) -> None:
    config = k8s_cluster
    url, password = openfaas
    _deploy_grayify(config, url, password, gateway, tmp_path)
    try:
        ok, last = wait_until(lambda: "grayify" in [s["name"] for s in gateway.get(
            "/system/services")] or "not yet a service", timeout=180, interval=0.5)  # fmt: skip
        assert ok, last
        ok, last = wait_until(lambda: gateway.minio.bucket_exists("grayify") or "no bucket",
                              timeout=60, interval=0.3)  # fmt: skip
        assert ok, last

        for i in range(3):
            gateway.minio.fput_object("grayify", f"in/first/{i}.png", str(SAMPLE))
        ok, last = wait_until(lambda: _succeeded(gateway, 3), timeout=240, interval=0.5)
        assert ok, f"{last}\n{_pod_logs(gateway.kube)}"
        assert _outputs(gateway, "out/first/") == [f"out/first/{i}.png" for i in range(3)]
        grey = tmp_path / "grey.png"
        gateway.minio.fget_object("grayify", "out/first/0.png", str(grey))
        assert _colour_type(grey) == "Grayscale"

        token = gateway.get("/system/services/grayify")["token"]
        answer = requests.post(
            f"{gateway.url}/run/grayify", data=SAMPLE.read_bytes(), timeout=120,
            headers={"Authorization": f"Bearer {token}", "X-Filename": "sunset.png"},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text[:300]
        (tmp_path / "sync.png").write_bytes(answer.content)
        assert _colour_type(tmp_path / "sync.png") == "Grayscale"

        scale = {"serviceName": "grayify", "replicas": 3}
        scaled = requests.post(f"{url}/system/scale-function/grayify", json=scale,
                               auth=("admin", password), timeout=30)  # fmt: skip
        assert scaled.status_code in {200, 202}, scaled.text
        selector = "faas_function=grayify"

        def three_ready() -> bool | str:
            pods = gateway.kube.pods_of(NAMESPACE, selector)
            ready = [
                p
                for p in pods
                if all(c.get("ready") for c in p["status"].get("containerStatuses", [{}]))
            ]
            return len(ready) == 3 or f"ready pods: {len(ready)} of {len(pods)}"

        ok, last = wait_until(three_ready, timeout=180, interval=0.5)
        assert ok, last
        for i in range(9):
            gateway.minio.fput_object("grayify", f"in/scaled/{i}.png", str(SAMPLE))
        ok, last = wait_until(lambda: _succeeded(gateway, 12), timeout=300, interval=0.5)
        assert ok, last
        served = [gateway.kube.pod_log(NAMESPACE, p["metadata"]["name"]).count("in/scaled/")
                  for p in gateway.kube.pods_of(NAMESPACE, selector)]  # fmt: skip
        assert len(served) == 3 and all(served), f"files each pod served: {served}"

        _gateway_killed_with_uploads_in_flight(gateway)
    finally:
        faas_cli(config, tmp_path, "remove", "grayify", "--gateway", url)


def _gateway_killed_with_uploads_in_flight(gateway: Gateway) -> None:
    """SIGKILL (grace 0) of the gateway's pod while files arrive: every file gets its output and
    exactly one job that succeeds (the ledger is PostgreSQL's, so the new pod resumes it; its
    reconciler finds the files whose events MinIO could not deliver, its webhook having no queue
    here; callbacks lost with the pod time out and are sent again), and the new pod takes the
    Lease over."""
    api = gateway.kube
    before = api.pods_of("default", f"app.kubernetes.io/instance={RELEASE}")
    keys = [f"in/killed/{i}.png" for i in range(12)]
    for key in keys[:6]:
        gateway.minio.fput_object("grayify", key, str(SAMPLE))
    api.delete_pod("default", before[0]["metadata"]["name"])
    for key in keys[6:]:
        gateway.minio.fput_object("grayify", key, str(SAMPLE))

    wanted = [k.replace("in/", "out/", 1) for k in keys]
    ok, last = wait_until(
        lambda: _outputs(gateway, "out/killed/") == sorted(wanted)
        or f"outputs: {len(_outputs(gateway, 'out/killed/'))} of {len(wanted)}",
        timeout=300, interval=1.0,
    )  # fmt: skip
    assert ok, last
    ok, last = wait_until(lambda: _succeeded(gateway, 24), timeout=300, interval=1.0)
    assert ok, last
    everything = gateway.get("/system/jobs/grayify?limit=1")["total"]
    assert everything == 24, f"{everything} jobs for 24 files: one each, none twice"
    after = api.pods_of("default", f"app.kubernetes.io/instance={RELEASE}")
    names = [p["metadata"]["name"] for p in after]
    assert before[0]["metadata"]["name"] not in names
    ok, last = wait_until(
        lambda: api.read_lease(LEASE).spec.holder_identity in names or "old holder",
        timeout=30, interval=0.3,
    )  # fmt: skip
    assert ok, last


def test_a_job_mode_service_runs_a_file_longer_than_its_function_s_timeout_to_success(
    k8s_cluster: ClusterConfig,
    template_image: tuple[str, str],
    openfaas: tuple[str, str],  # noqa: F811
    gateway: Gateway,
    tmp_path: Path,
) -> None:
    """The function's watchdog would cut a call at 10 s (exec_timeout); in job mode the file
    runs as a Kubernetes Job of the same image for 25 s and succeeds, its record in the ledger
    like any job's, and Kubernetes removes the finished Job after its TTL."""
    config = k8s_cluster
    url, password = openfaas
    _, image = template_image
    s3 = f"http://{config.node_ip}:{MINIO_PORT}"
    stack = stack_yml("slow", image, s3=s3, secrets=S3_SECRETS,
                      environment={"HELLO_SLEEP": "25", "exec_timeout": "10s"},
                      annotations={"oscar.job_mode": "true", "oscar.timeout": "600"})  # fmt: skip
    faas_project(tmp_path, "slow", stack)
    _s3_secrets(config, url, password, gateway, tmp_path)
    faas_cli(config, tmp_path, "deploy", "-f", "stack.yml", "--gateway", url)
    try:
        ok, last = wait_until(lambda: gateway.minio.bucket_exists("slow") or "no bucket",
                              timeout=120, interval=0.5)  # fmt: skip
        assert ok, last
        gateway.minio.put_object("slow", "in/long.txt", io.BytesIO(b"long work\n"), 10)

        def done() -> bool | str:
            page = gateway.get("/system/jobs/slow")
            jobs = page["jobs"]
            return (bool(jobs) and jobs[0]["status"] == "succeeded") or str(jobs)[:300]

        ok, last = wait_until(done, timeout=240, interval=1.0)
        assert ok, f"{last}\n{_pod_logs(gateway.kube)}"
        job = gateway.get("/system/jobs/slow")["jobs"][0]
        one = gateway.get(f"/system/jobs/slow/{job['id']}")
        assert one["duration_seconds"] >= 25, one
        assert one["outputs"] == ["out/long.txt"], one
        assert "hello from" in one["log_tail"], one
        copied = gateway.minio.get_object("slow", "out/long.txt").read()
        assert copied == b"long work\n"
        made = gateway.kube.jobs_of(NAMESPACE, "faas_function=slow")
        assert len(made) == 1, made

        ok, last = wait_until(
            lambda: not gateway.kube.jobs_of(NAMESPACE, "faas_function=slow") or "still there",
            timeout=120, interval=1.0,
        )  # fmt: skip
        assert ok, last
    finally:
        faas_cli(config, tmp_path, "remove", "slow", "--gateway", url)
