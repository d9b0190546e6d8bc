"""The gateway's Lease (gateway/clients/kube_lease.py) against the real API server: one replica
leads, a dead holder is taken over once its Lease goes stale (not before), a released Lease is
taken at once, racing replicas get one winner, and the chart's Role grants exactly its Lease."""

from __future__ import annotations

import base64
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config

from gateway.clients.kube_lease import LeaseElector
from gateway.config import LeaseConfig
from k8s_cluster import ClusterConfig
from k8s_cluster.waiting import wait_until

from .conftest import REPO
from .kube import Kube

SECONDS = 3.0


@pytest.fixture(scope="module")
def api(k8s_cluster: ClusterConfig) -> Any:
    return config.new_client_from_config(config_file=str(k8s_cluster.kubeconfig))


def _lease(name: str, holder: str) -> LeaseConfig:
    return LeaseConfig(name=name, namespace="default", holder=holder, seconds=SECONDS)


def _spec(api: Any, name: str) -> Any:
    return client.CoordinationV1Api(api).read_namespaced_lease(name, "default").spec


def test_one_replica_leads_and_its_renewals_move_the_lease_s_renew_time(api: Any) -> None:
    name = f"lease-{uuid.uuid4().hex[:8]}"
    a, b = LeaseElector(api, _lease(name, "gateway-a")), LeaseElector(api, _lease(name, "b"))

    assert a.try_once() and a.leads("reconciler") and a.leads("timeouts")
    assert not b.try_once() and not b.leads("reconciler")
    first = _spec(api, name).renew_time
    ok, last = wait_until(lambda: a.try_once() and _spec(api, name).renew_time > first,
                          timeout=10, interval=0.05)  # fmt: skip
    assert ok, last
    spec = _spec(api, name)
    assert (spec.holder_identity, spec.lease_duration_seconds, spec.lease_transitions) == (
        "gateway-a", 3, 0
    )  # fmt: skip


def test_a_holder_that_stops_renewing_is_taken_over_after_the_lease_s_duration_not_before(
    api: Any,
) -> None:
    name = f"lease-{uuid.uuid4().hex[:8]}"
    dead, heir = LeaseElector(api, _lease(name, "dead")), LeaseElector(api, _lease(name, "heir"))
    assert dead.try_once()  # then never again: its pod was killed
    started = time.monotonic()
    assert not heir.try_once()

    ok, last = wait_until(heir.try_once, timeout=20, interval=0.1)

    waited = time.monotonic() - started
    assert ok, last
    assert waited >= SECONDS, f"taken over after {waited:.1f} s, before the lease went stale"
    assert waited < SECONDS + 2, f"taken over only after {waited:.1f} s"
    assert not dead.leads("reconciler")  # its own renewal lapsed before the heir could start
    spec = _spec(api, name)
    assert (spec.holder_identity, spec.lease_transitions) == ("heir", 1)


def test_a_released_lease_is_taken_at_once_by_the_next_replica(api: Any) -> None:
    name = f"lease-{uuid.uuid4().hex[:8]}"
    first, second = LeaseElector(api, _lease(name, "first")), LeaseElector(api, _lease(name, "2"))
    first.start()
    ok, last = wait_until(lambda: first.leads("registry"), timeout=10, interval=0.05)
    assert ok, last
    assert not second.try_once()

    first.close()  # SIGTERM: the gateway stops its loops and releases the Lease

    started = time.monotonic()
    assert second.try_once(), _spec(api, name)
    assert time.monotonic() - started < 1
    assert not first.leads("registry")


def test_replicas_racing_for_a_new_lease_get_exactly_one_winner(api: Any) -> None:
    name = f"lease-{uuid.uuid4().hex[:8]}"
    electors = [LeaseElector(api, _lease(name, f"gateway-{i}")) for i in range(6)]
    barrier = threading.Barrier(len(electors))
    won: list[str] = []

    def race(elector: LeaseElector) -> None:
        barrier.wait()
        if elector.try_once():
            won.append(elector.holder)

    threads = [threading.Thread(target=race, args=(e,)) for e in electors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(won) == 1, won
    assert _spec(api, name).holder_identity == won[0]
    assert [e.holder for e in electors if e.leads("timeouts")] == won


def _chart_account(config_: ClusterConfig, kube: Kube, lease: str) -> Any:
    """An API client with the token of the chart's gateway ServiceAccount."""
    rendered = subprocess.run(
        [config_.tool("helm"), "template", "oscar", str(REPO / "deploy" / "oscar"),
         "--namespace", "default", "--set", "leaderElection.enabled=true",
         "--set", f"leaderElection.leaseName={lease}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rbac = [d for d in yaml.safe_load_all(rendered)
            if d and d["kind"] in {"ServiceAccount", "Role", "RoleBinding"}]  # fmt: skip
    kubectl = [config_.tool("kubectl"), f"--kubeconfig={config_.kubeconfig}", "apply", "-f", "-"]
    subprocess.run(kubectl, input=yaml.safe_dump_all(rbac), text=True, check=True,
                   capture_output=True)  # fmt: skip
    token = kube.token("default", "oscar-gateway")
    ca = base64.b64encode((config_.pki_dir / "ca.crt").read_bytes()).decode()
    document = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "k8s", "cluster": {"server": config_.api_url,
                                                 "certificate-authority-data": ca}}],
        "users": [{"name": "gateway", "user": {"token": token}}],
        "contexts": [{"name": "gateway", "context": {"cluster": "k8s", "user": "gateway"}}],
        "current-context": "gateway",
    }  # fmt: skip
    path = Path(config_.state_dir) / "test-gateway-lease.kubeconfig"
    path.write_text(yaml.safe_dump(document))
    path.chmod(0o600)
    return config.new_client_from_config(config_file=str(path))


def test_the_chart_s_role_lets_the_gateway_hold_its_lease_and_no_other(
    k8s_cluster: ClusterConfig,
) -> None:
    name = f"oscar-{uuid.uuid4().hex[:8]}"
    account = _chart_account(k8s_cluster, Kube.connect(k8s_cluster.kubeconfig), name)
    mine = LeaseElector(account, _lease(name, "gateway-pod"))
    other = LeaseElector(account, _lease(f"{name}-other", "gateway-pod"))

    assert mine.try_once() and mine.try_once()  # created, then renewed
    assert not other.try_once()
    with pytest.raises(client.exceptions.ApiException) as refused:
        client.CoordinationV1Api(account).read_namespaced_lease(f"{name}-other", "default")
    assert refused.value.status == 403
