"""The Helm chart under deploy/oscar: lint-clean, and every object it renders is accepted by the
real API server (`kubectl apply --dry-run=server`), with and without leader election."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from k8s_cluster import ClusterConfig

from .conftest import REPO

CHART = REPO / "deploy" / "oscar"


def _run(command: list[str], *, stdin: str = "") -> str:
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def test_the_chart_lints_clean(k8s_cluster: ClusterConfig) -> None:
    out = _run([k8s_cluster.tool("helm"), "lint", "--strict", str(CHART)])

    assert "0 chart(s) failed" in out


@pytest.mark.parametrize(
    "leader_election", [False, True], ids=["one loop", "lease and our provider"]
)
def test_the_rendered_chart_is_accepted_by_the_api_server(
    k8s_cluster: ClusterConfig, leader_election: bool
) -> None:
    rendered = _run(
        [k8s_cluster.tool("helm"), "template", "oscar", str(CHART), "--namespace", "default",
         "--set", f"leaderElection.enabled={str(leader_election).lower()}",
         "--set", "replicaCount=2", "--set", "ledger.urlSecret.name=oscar-ledger",
         "--set", f"provider.enabled={str(leader_election).lower()}",
         "--set", "provider.functionsNamespace=default"]
    )  # fmt: skip
    kubectl = [k8s_cluster.tool("kubectl"), f"--kubeconfig={k8s_cluster.kubeconfig}"]

    out = _run([*kubectl, "apply", "--dry-run=server", "-n", "default", "-f", "-"], stdin=rendered)

    documents = [d for d in yaml.safe_load_all(rendered) if d]
    kinds = sorted(d["kind"] for d in documents)
    expected = ["Deployment", "Role", "RoleBinding", "Service", "ServiceAccount"]
    assert kinds == sorted(expected * (2 if leader_election else 1))
    assert out.count("(server dry run)") == len(kinds), out
    deployment = next(
        d
        for d in documents
        if d["kind"] == "Deployment" and d["metadata"]["name"] == "oscar-gateway"
    )
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert deployment["spec"]["replicas"] == 2
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["automountServiceAccountToken"] is leader_election
    # Every password and token is a file from a Secret, never a plain value.
    plain = {e["name"]: e.get("value", "") for e in container["env"]}
    secret_like = [
        n for n in plain if any(w in n for w in ("PASSWORD", "TOKEN", "KEY", "URL_FILE"))
    ]
    assert secret_like and all(plain[n].startswith("/var/run/secrets/oscar/") for n in secret_like)
