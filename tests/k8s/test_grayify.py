"""OSCAR's canonical example on Kubernetes: grayify's image, built with ImageMagick from its
`ADDITIONAL_PACKAGE` build argument, turns a file it fetches from MinIO into a grey image.

The function runs as OpenFaaS would run it: its watchdog and supervisor in a pod, its S3
credentials a Secret mounted at /var/openfaas/secrets. MinIO runs in the cluster's network
namespace (pods reach it at the node's address; the test reaches it through a forwarder), and a
pod posts the storage event to the function's pod IP (no kube-proxy, so no Service).
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from minio import Minio

from k8s_cluster import ClusterConfig
from k8s_cluster.waiting import wait_until

from . import objects
from .conftest import REPO
from .faas import build_grayify, minio_in_cluster
from .kube import Kube

SAMPLE = REPO / "examples" / "grayify" / "samples" / "sunset.png"
MINIO_PORT = 9000


@dataclass(frozen=True)
class MinioInCluster:
    client: Minio
    endpoint_for_pods: str
    access_key: str
    secret_key: str


@pytest.fixture(scope="module")
def minio_server(k8s_cluster: ClusterConfig) -> Iterator[MinioInCluster]:
    keys = ("oscar-k8s-test", secrets.token_hex(16))
    with minio_in_cluster(k8s_cluster, "test-minio", port=MINIO_PORT, keys=keys) as client:
        endpoint = f"http://{k8s_cluster.node_ip}:{MINIO_PORT}"
        yield MinioInCluster(client, endpoint, *keys)


def _event(bucket: str, key: str, size: int) -> str:
    from tests.support.events import minio_event, minio_record

    return minio_event(minio_record(bucket, key, size=size)).decode()


def _colour_type(path: Path) -> str:
    result = subprocess.run(
        ["identify", "-format", "%[type]", str(path)], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_grayify_turns_a_file_from_minio_into_a_grey_image_inside_a_pod(
    k8s_cluster: ClusterConfig,
    template_image: tuple[str, str],  # the base images are pushed
    minio_server: MinioInCluster,
    tmp_path: Path,
) -> None:
    grayify = build_grayify(k8s_cluster)
    storage = minio_server.client
    storage.make_bucket("grayify")
    storage.fput_object("grayify", "in/sunset.png", str(SAMPLE))
    kube = Kube.connect(k8s_cluster.kubeconfig)
    kube.create(
        objects.secret(
            "grayify-s3",
            {"s3-access-key": minio_server.access_key, "s3-secret-key": minio_server.secret_key},
        )
    )
    environment = {
        "S3_ENDPOINT": minio_server.endpoint_for_pods,
        "INPUT_PATH": "grayify/in",
        "OUTPUT_PATH": "grayify/out",
    }
    kube.create(
        objects.deployment(
            "grayify", grayify, port=8080,
            env=environment, secrets="grayify-s3",
        )
    )  # fmt: skip
    ok, last = wait_until(lambda: kube.available("grayify"), timeout=120, interval=0.5)
    assert ok, last

    url = f"http://{kube.pod_ip('grayify')}:8080/"
    call = (
        "import os, urllib.request as u\n"
        f"r = u.urlopen(u.Request({url!r}, data=os.environ['EVENT'].encode(), "
        "headers={'Content-Type': 'application/json'}), timeout=120)\n"
        "print(r.status, r.read().decode())\n"
    )
    event = _event("grayify", "in/sunset.png", SAMPLE.stat().st_size)
    _, image = template_image
    kube.create(objects.job("grayify-call", image, ["python3", "-c", call], env={"EVENT": event}))
    finished, last = wait_until(lambda: kube.job_done("grayify-call"), timeout=180, interval=0.5)

    assert finished, last
    assert kube.log("grayify-call").startswith("200"), kube.log("grayify-call")
    grey = tmp_path / "sunset.png"
    storage.fget_object("grayify", "out/sunset.png", str(grey))
    assert _colour_type(SAMPLE) != "Grayscale"
    assert _colour_type(grey) == "Grayscale"
    assert "grayifying sunset.png" in kube.log("grayify")
    assert json.loads(event)["Records"][0]["s3"]["object"]["key"] == "in%2Fsunset.png"
