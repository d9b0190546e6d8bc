"""The Kubernetes objects of a function (provider/kubernetes/objects.py): pure functions, read
back into the FunctionDeployment they came from."""

from __future__ import annotations

import base64

from provider.deployments import Deployment
from provider.kubernetes.functions import ready_pods
from provider.kubernetes.objects import (
    deployment_object,
    deployment_of,
    secret_object,
    service_object,
)

GRAYIFY = Deployment(
    service="grayify",
    image="10.250.0.1:5000/oscar-examples/grayify:latest",
    namespace="openfaas-fn",
    env_process="python3 -m supervisor",
    env_vars={"INPUT_PATH": "grayify/in"},
    labels={"com.openfaas.scale.min": "2", "team": "oscar"},
    annotations={"topic": "images"},
    secrets=("s3-access-key", "s3-secret-key"),
    limits={"memory": "256Mi"},
    requests={"cpu": "50m"},
    read_only_root_filesystem=True,
)


def test_a_deployment_reads_back_as_the_function_deployment_it_was_made_from() -> None:
    assert deployment_of(deployment_object(GRAYIFY, replicas=2)) == GRAYIFY


def test_every_object_is_selected_by_faas_function_and_says_who_made_it() -> None:
    deployment = deployment_object(GRAYIFY, replicas=2)
    service = service_object(GRAYIFY)
    pod = deployment["spec"]["template"]

    for metadata in (deployment["metadata"], service["metadata"], pod["metadata"]):
        assert metadata["labels"]["faas_function"] == "grayify"
        assert metadata["labels"]["app.kubernetes.io/managed-by"] == "oscar-provider"
        assert metadata["labels"]["team"] == "oscar"
        assert metadata["annotations"]["topic"] == "images"
    assert deployment["spec"]["selector"]["matchLabels"] == {"faas_function": "grayify"}
    assert service["spec"]["selector"] == {"faas_function": "grayify"}
    assert deployment["spec"]["replicas"] == 2


def test_the_pod_mounts_its_secrets_where_openfaas_does_and_probes_the_watchdog() -> None:
    pod = deployment_object(GRAYIFY, replicas=1)["spec"]["template"]["spec"]
    container = pod["containers"][0]

    assert container["volumeMounts"][0]["mountPath"] == "/var/openfaas/secrets"
    sources = pod["volumes"][0]["projected"]["sources"]
    assert [s["secret"]["name"] for s in sources] == ["s3-access-key", "s3-secret-key"]
    assert container["readinessProbe"]["httpGet"] == {
        "path": "/_/health", "port": 8080, "scheme": "HTTP"
    }  # fmt: skip
    assert container["resources"] == {"limits": {"memory": "256Mi"}, "requests": {"cpu": "50m"}}
    assert {"name": "fprocess", "value": "python3 -m supervisor"} in container["env"]
    assert pod["automountServiceAccountToken"] is False


def test_a_secret_is_one_key_of_its_own_name() -> None:
    secret = secret_object("openfaas-fn", "s3-access-key", b"minio")

    assert secret["data"] == {"s3-access-key": base64.b64encode(b"minio").decode()}
    assert secret["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "oscar-provider"}


def _pod(name: str, ip: str | None, ready: str, deleting: bool = False) -> dict[str, object]:
    metadata: dict[str, object] = {"name": name}
    if deleting:
        metadata["deletionTimestamp"] = "2026-12-01T00:00:00Z"
    return {
        "metadata": metadata,
        "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": ready}]},
    }


def test_only_ready_pods_with_an_ip_that_are_not_terminating_take_calls() -> None:
    pods = [
        _pod("a", "10.250.0.5", "True"),
        _pod("b", "10.250.0.6", "False"),
        _pod("c", None, "True"),
        _pod("d", "10.250.0.8", "True", deleting=True),
    ]

    assert [(t.pod, t.url) for t in ready_pods(pods)] == [("a", "http://10.250.0.5:8080")]
