"""Real pods on the one-node cluster, from the template image that buildah built."""

from __future__ import annotations

import subprocess

import pytest

from k8s_cluster import ClusterConfig
from k8s_cluster.waiting import wait_until

from . import objects
from .kube import ApiException, Kube


@pytest.fixture(scope="module")
def kube(k8s_cluster: ClusterConfig) -> Kube:
    return Kube.connect(k8s_cluster.kubeconfig)


def test_the_node_is_ready_and_runs_kubernetes_1_34(kube: Kube) -> None:
    assert kube.version() == "v1.34.4"
    assert kube.nodes() == {"kube-oscar-node": "True"}


def test_a_job_from_the_template_image_runs_its_function_and_logs_its_output(
    kube: Kube, template_image: tuple[str, str], k8s_cluster: ClusterConfig
) -> None:
    _, image = template_image
    # The function's script, run as the image's user in its workdir.
    kube.create(objects.job("hello", image, ["sh", "function/script.sh"]))

    finished, last = wait_until(lambda: kube.job_done("hello"), timeout=120, interval=0.5)

    assert finished, last
    log = kube.log("hello")
    assert log.startswith("hello from 12."), log
    assert "python 3.11" in log
    kubectl = [k8s_cluster.tool("kubectl"), f"--kubeconfig={k8s_cluster.kubeconfig}"]
    logs = subprocess.run([*kubectl, "logs", "job/hello"], capture_output=True, text=True)
    assert (logs.returncode, logs.stdout) == (0, log), logs.stderr


def test_a_deployment_of_the_template_serves_its_watchdog_on_the_pod_network(
    kube: Kube, template_image: tuple[str, str]
) -> None:
    _, image = template_image
    kube.create(objects.deployment("watchdog", image, port=8080))
    ok, last = wait_until(lambda: kube.available("watchdog"), timeout=120, interval=0.5)
    assert ok, last

    # No kube-proxy: another pod reaches it by its pod IP, over the node's bridge.
    url = f"http://{kube.pod_ip('watchdog')}:8080/_/health"
    probe = f"import urllib.request as u; print(u.urlopen({url!r}).status)"
    kube.create(objects.job("probe", image, ["python3", "-c", probe]))
    finished, last = wait_until(lambda: kube.job_done("probe"), timeout=120, interval=0.5)

    assert finished, last
    assert kube.log("probe").strip() == "200"


def test_a_lease_is_taken_renewed_and_a_stale_renewal_is_refused(kube: Kube) -> None:
    taken = kube.create(objects.lease("oscar-gateway", holder="gateway-a", seconds=15))
    first_version = taken.metadata.resource_version
    stale = kube.read_lease("oscar-gateway")

    renewed = kube.renew_lease(taken)
    with pytest.raises(ApiException) as conflict:
        kube.renew_lease(stale)  # the resourceVersion it read is no longer current

    assert renewed.spec.holder_identity == "gateway-a"
    assert renewed.spec.renew_time is not None
    assert renewed.metadata.resource_version != first_version
    assert conflict.value.status == 409


REACH = """
import ssl, urllib.request as u
context = ssl._create_unverified_context()
for url in ("https://10.250.0.1:6443/readyz", "https://10.96.0.1:443/readyz"):
    try:
        print(url, u.urlopen(url, context=context, timeout=3).status)
    except OSError as e:
        print(url, "unreachable")
"""


@pytest.mark.parametrize("host_network", [False, True], ids=["pod network", "host network"])
def test_pods_reach_the_api_server_at_the_node_address_but_not_at_its_cluster_ip(
    kube: Kube, template_image: tuple[str, str], host_network: bool
) -> None:
    _, image = template_image
    name = "reach-host" if host_network else "reach-pod"
    kube.create(objects.job(name, image, ["python3", "-c", REACH], host_network=host_network))

    finished, last = wait_until(lambda: kube.job_done(name), timeout=120, interval=0.5)

    assert finished, last
    # No kube-proxy: the `kubernetes` Service's ClusterIP routes nowhere (README, Kubernetes).
    assert kube.log(name).splitlines() == [
        "https://10.250.0.1:6443/readyz 200",
        "https://10.96.0.1:443/readyz unreachable",
    ]
