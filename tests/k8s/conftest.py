"""The `k8s` tier: a real one-node Kubernetes (k8s_cluster) for the whole session.

Its own name, state folder and ports, so a developer's `scripts/k8s up` cluster is left alone.
A missing tool or a non-root run is a failure, never a skip: CI must run this tier.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from k8s_cluster import ClusterConfig, cluster
from k8s_cluster.builder import build
from k8s_cluster.images import push_base_images
from tests.support.waiting import free_port

REPO = Path(__file__).resolve().parents[2]


LOCK = Path("/tmp/oscar-k8s-test.lock")
# The first test also waits for the session's fixtures: on a cold machine, debootstrap makes the
# base root filesystem (about 6 minutes on shared cores) before the first image is built.
TIMEOUT = 1200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.timeout(TIMEOUT))


@pytest.fixture(scope="session")
def _one_tier_per_machine() -> Iterator[None]:
    """The tier's clusters have fixed names (their namespaces and cgroups): two sessions on one
    machine take turns instead of tearing down each other's."""
    with LOCK.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def k8s_config(_one_tier_per_machine: None) -> ClusterConfig:
    if os.geteuid() != 0:
        pytest.fail("the k8s tier needs root (network and mount namespaces): run it as root")
    base = ClusterConfig.from_env(os.environ)
    return replace(
        base,
        netns="kube-oscar-test",
        state_dir=Path(os.environ.get("OSCAR_K8S_TEST_STATE_DIR", "/var/lib/oscar-k8s-test")),
        api_port=free_port(),
        registry_port=free_port(),
    )


@pytest.fixture(scope="session")
def k8s_cluster(k8s_config: ClusterConfig) -> Iterator[ClusterConfig]:
    """The running cluster: node Ready, the default service account made."""
    start = time.monotonic()
    timings = cluster.up(k8s_config)
    print(f"\ncluster up in {time.monotonic() - start:.1f} s: {timings.steps}")
    try:
        yield k8s_config
    finally:
        left = cluster.down(k8s_config)
        assert left == [], f"down left behind: {left}"


@pytest.fixture(scope="session")
def template_image(k8s_cluster: ClusterConfig) -> tuple[str, str]:
    """The template built for a tiny function; (name to push to, name pods pull)."""
    push_base_images(k8s_cluster)
    name = "oscar-tests/hello:latest"
    build(
        k8s_cluster,
        handler=REPO / "tests" / "k8s" / "functions" / "hello",
        image=f"{k8s_cluster.registry_on_host}/{name}",
    )
    return f"{k8s_cluster.registry_on_host}/{name}", f"{k8s_cluster.registry_inside}/{name}"
