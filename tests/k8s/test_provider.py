"""Our faas-provider with its Kubernetes backend, against the real API server and real pods.

The provider runs in the cluster's network namespace (it calls pods by their IP: there is no
kube-proxy, so a Service's ClusterIP routes nowhere) with the token of the chart's provider
ServiceAccount, so every test also proves the chart's Role grants enough. The test speaks its
HTTP API through a forwarder on the host's loopback, as faas-cli and the OpenFaaS gateway would.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from k8s_cluster import ClusterConfig, processes
from k8s_cluster.waiting import wait_until
from tests.support.waiting import free_port

from .conftest import REPO
from .kube import Kube

NAMESPACE = "openfaas-fn"
RBAC_KINDS = ("ServiceAccount", "Role", "RoleBinding")
PROVIDER_PORT = 8081  # inside the cluster's namespace (the OpenFaaS gateway takes 8080 there)


@pytest.fixture(scope="module")
def kube(k8s_cluster: ClusterConfig) -> Kube:
    kube = Kube.connect(k8s_cluster.kubeconfig)
    kube.create_namespace(NAMESPACE)
    return kube


def _provider_kubeconfig(config: ClusterConfig, kube: Kube) -> Path:
    """A kubeconfig with the token of the chart's provider ServiceAccount: the provider gets
    only what the chart's Role grants it (deploy/oscar/templates/provider.yaml)."""
    rendered = subprocess.run(
        [config.tool("helm"), "template", "oscar", str(REPO / "deploy" / "oscar"),
         "--namespace", "default", "--set", "provider.enabled=true",
         "--set", f"provider.functionsNamespace={NAMESPACE}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rbac = [d for d in yaml.safe_load_all(rendered) if d and d["kind"] in RBAC_KINDS
            and d["metadata"]["name"] == "oscar-provider"]  # fmt: skip
    assert sorted(d["kind"] for d in rbac) == sorted(RBAC_KINDS)
    kubectl = [config.tool("kubectl"), f"--kubeconfig={config.kubeconfig}", "apply", "-f", "-"]
    subprocess.run(kubectl, input=yaml.safe_dump_all(rbac), text=True, check=True,
                   capture_output=True)  # fmt: skip
    token = kube.token("default", "oscar-provider")
    ca = base64.b64encode((config.pki_dir / "ca.crt").read_bytes()).decode()
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "k8s", "cluster": {"server": config.api_url_inside,
                                                 "certificate-authority-data": ca}}],
        "users": [{"name": "provider", "user": {"token": token}}],
        "contexts": [{"name": "provider", "context": {"cluster": "k8s", "user": "provider"}}],
        "current-context": "provider",
    }  # fmt: skip
    path = config.state_dir / "test-provider.kubeconfig"
    path.write_text(yaml.safe_dump(document))
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def provider(k8s_cluster: ClusterConfig, kube: Kube) -> Iterator[str]:
    """The provider's URL on the host's loopback."""
    config = k8s_cluster
    inside = f"{config.node_ip}:{PROVIDER_PORT}"
    env = {
        **config.child_env(),
        "OSCAR_PROVIDER_BACKEND": "kubernetes",
        "OSCAR_KUBECONFIG": str(_provider_kubeconfig(config, kube)),
        "OSCAR_PROVIDER_LISTEN": inside,
        "OSCAR_FUNCTION_NAMESPACE": NAMESPACE,
        "OSCAR_READY_TIMEOUT": "90",
        "LOG_LEVEL": "DEBUG",
    }
    server = processes.spawn(
        "test-provider",
        ["nsenter", f"--net={config.netns_path}", "--", sys.executable, "-m", "provider"],
        env=env, log=config.logs_dir / "test-provider.log", run_dir=config.run_dir,
    )  # fmt: skip
    port = free_port()
    forward = processes.spawn(
        "test-provider-forward",
        [sys.executable, "-m", "k8s_cluster.forward", str(config.netns_path),
         f"127.0.0.1:{port}={inside}"],
        env=config.child_env(), log=config.logs_dir / "test-provider-forward.log",
        run_dir=config.run_dir,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool | str:
        if not processes.alive(server):
            log = (config.logs_dir / "test-provider.log").read_text()
            raise AssertionError(f"the provider exited:\n{log[-3000:]}")
        try:
            return requests.get(f"{url}/healthz", timeout=2).ok or "not ok"
        except requests.RequestException as e:
            return str(e)

    ok, last = wait_until(healthy, timeout=60, interval=0.3)
    assert ok, last
    try:
        yield url
    finally:
        for running in (forward, server):
            processes.stop(running, grace=5)


def _describe(provider: str, name: str) -> dict[str, Any]:
    answer = requests.get(f"{provider}/system/function/{name}", timeout=10)
    assert answer.status_code == 200, answer.text
    described: dict[str, Any] = answer.json()
    return described


def _available(provider: str, name: str, count: int) -> bool | str:
    found = _describe(provider, name)
    pods = found["availableReplicas"]
    return (found["replicas"], pods) == (count, count) or f"{found['replicas']}/{pods}"


def _deploy(provider: str, body: dict[str, Any], *, update: bool = False) -> None:
    method = requests.put if update else requests.post
    answer = method(f"{provider}/system/functions", json=body, timeout=30)
    assert answer.status_code == 202, answer.text


def _hello(image: str, **extra: Any) -> dict[str, Any]:
    return {
        "service": "hello",
        "image": image,
        "labels": {"com.openfaas.scale.min": "1", "team": "oscar"},
        "annotations": {"topic": "k8s-tests"},
        "limits": {"memory": "256Mi"},
        "requests": {"memory": "32Mi", "cpu": "50m"},
        **extra,
    }


def test_a_deployed_function_becomes_a_labelled_deployment_whose_pod_answers_a_call(
    provider: str, kube: Kube, template_image: tuple[str, str]
) -> None:
    _, image = template_image
    _deploy(provider, _hello(image))

    ok, last = wait_until(lambda: _available(provider, "hello", 1), timeout=180, interval=0.5)
    assert ok, last
    call = requests.post(f"{provider}/function/hello", data=b"anything", timeout=60)

    assert call.status_code == 200, call.text
    deployment = kube.read("Deployment", NAMESPACE, "hello")
    service = kube.read("Service", NAMESPACE, "hello")
    assert deployment is not None and service is not None
    for obj in (deployment, service):
        labels = obj["metadata"]["labels"]
        assert labels["faas_function"] == "hello"
        assert labels["app.kubernetes.io/managed-by"] == "oscar-provider"
        assert labels["team"] == "oscar"
        assert obj["metadata"]["annotations"]["topic"] == "k8s-tests"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {
        "limits": {"memory": "256Mi"},
        "requests": {"memory": "32Mi", "cpu": "50m"},
    }
    assert container["readinessProbe"]["httpGet"]["path"] == "/_/health"
    assert service["spec"]["selector"] == {"faas_function": "hello"}
    described = _describe(provider, "hello")
    assert described["labels"] == {"com.openfaas.scale.min": "1", "team": "oscar"}
    assert described["annotations"] == {"topic": "k8s-tests"}
    assert described["invocationCount"] >= 1
    listed = requests.get(f"{provider}/system/functions", timeout=10).json()
    assert [f["name"] for f in listed] == ["hello"]


def test_scaling_to_three_runs_three_ready_pods_and_back_to_one(provider: str, kube: Kube) -> None:
    for count in (3, 1):
        answer = requests.post(
            f"{provider}/system/scale-function/hello", json={"replicas": count}, timeout=10
        )
        assert answer.status_code == 202, answer.text
        ok, last = wait_until(
            lambda: _available(provider, "hello", count),  # noqa: B023 - used at once
            timeout=180,
            interval=0.5,
        )
        assert ok, last
        if count == 3:
            pods = kube.pods_of(NAMESPACE, "faas_function=hello")
            assert len({p["status"]["podIP"] for p in pods}) == 3
            calls = [requests.post(f"{provider}/function/hello", data=b"x", timeout=60)
                     for _ in range(6)]  # fmt: skip
            assert [c.status_code for c in calls] == [200] * 6


def test_an_update_rolls_the_pods_to_the_new_environment_and_keeps_the_count(
    provider: str, kube: Kube, template_image: tuple[str, str]
) -> None:
    _, image = template_image
    _deploy(provider, _hello(image, envVars={"GREETING": "updated"}), update=True)

    def rolled() -> bool | str:
        pods = [p for p in kube.pods_of(NAMESPACE, "faas_function=hello")
                if not p["metadata"].get("deletionTimestamp")]  # fmt: skip
        envs = [{e["name"]: e.get("value") for e in p["spec"]["containers"][0].get("env") or []}
                for p in pods]  # fmt: skip
        updated = all(env.get("GREETING") == "updated" for env in envs)
        return (len(pods) == 1 and updated and _available(provider, "hello", 1) is True) or (
            f"{len(pods)} pods, updated={updated}"
        )

    ok, last = wait_until(rolled, timeout=180, interval=0.5)

    assert ok, last
    assert _describe(provider, "hello")["envVars"] == {"GREETING": "updated"}
    call = requests.post(f"{provider}/function/hello", data=b"x", timeout=60)
    assert call.status_code == 200, call.text


def test_a_call_to_a_function_scaled_to_zero_wakes_it_and_is_answered(
    provider: str, kube: Kube
) -> None:
    answer = requests.post(
        f"{provider}/system/scale-function/hello", json={"replicas": 0}, timeout=10
    )
    assert answer.status_code == 202, answer.text
    ok, last = wait_until(
        lambda: not kube.pods_of(NAMESPACE, "faas_function=hello") or "pods left",
        timeout=120,
        interval=0.5,
    )
    assert ok, last

    call = requests.post(f"{provider}/function/hello", data=b"x", timeout=120)

    assert call.status_code == 200, call.text
    assert _describe(provider, "hello")["replicas"] == 1


def test_logs_come_from_the_function_s_pods_as_ndjson(provider: str, kube: Kube) -> None:
    answer = requests.get(f"{provider}/system/logs", params={"name": "hello"}, timeout=30)

    assert answer.status_code == 200, answer.text
    lines = [json.loads(line) for line in answer.text.splitlines()]
    pods = {p["metadata"]["name"] for p in kube.pods_of(NAMESPACE, "faas_function=hello")}
    assert lines, "no log lines"
    assert {line["instance"] for line in lines} <= pods
    assert all(line["timestamp"].endswith("Z") for line in lines)
    assert all(line["name"] == "hello" for line in lines)
    unknown = requests.get(f"{provider}/system/logs", params={"name": "nobody"}, timeout=10)
    assert unknown.status_code == 404
    assert "error" in unknown.json()


def test_a_secret_made_through_the_api_is_a_file_in_the_function_s_pod(
    provider: str, kube: Kube, template_image: tuple[str, str]
) -> None:
    made = requests.post(
        f"{provider}/system/secrets", json={"name": "greeting", "value": "hi there"}, timeout=10
    )
    assert made.status_code == 201, made.text
    _, image = template_image
    # The function's process serves the mounted secrets folder, so a call reads the file.
    reader = {
        "service": "reader",
        "image": image,
        "envProcess": "python3 -m http.server 5000 --bind 127.0.0.1 --directory "
        "/var/openfaas/secrets",
        "envVars": {"ready_path": "/"},
        "secrets": ["greeting"],
    }
    _deploy(provider, reader)
    ok, last = wait_until(lambda: _available(provider, "reader", 1), timeout=180, interval=0.5)
    assert ok, last

    call = requests.get(f"{provider}/function/reader/greeting", timeout=60)

    assert (call.status_code, call.text) == (200, "hi there")
    listed = requests.get(f"{provider}/system/secrets", timeout=10).json()
    assert {"name": "greeting", "namespace": NAMESPACE} in listed
    secret = kube.read("Secret", NAMESPACE, "greeting")
    assert secret is not None
    assert secret["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "oscar-provider"
    missing = dict(reader, service="reader2", secrets=["nope"])
    refused = requests.post(f"{provider}/system/functions", json=missing, timeout=10)
    assert refused.status_code == 400, refused.text
    assert "faas-cli secret create" in refused.json()["error"]


def test_deleting_a_function_removes_its_deployment_service_and_pods(
    provider: str, kube: Kube
) -> None:
    for name in ("reader", "hello"):
        answer = requests.delete(
            f"{provider}/system/functions", json={"functionName": name}, timeout=30
        )
        assert answer.status_code == 202, answer.text

    def gone() -> bool | str:
        pods = kube.pods_of(NAMESPACE, "faas_function")
        return not pods or f"{len(pods)} pods left"

    ok, last = wait_until(gone, timeout=120, interval=0.5)

    assert ok, last
    assert kube.read("Deployment", NAMESPACE, "hello") is None
    assert kube.read("Service", NAMESPACE, "hello") is None
    assert requests.get(f"{provider}/system/function/hello", timeout=10).status_code == 404
    assert requests.get(f"{provider}/system/functions", timeout=10).json() == []
