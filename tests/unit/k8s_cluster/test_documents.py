"""The cluster's plan and documents, read back as data: what `up` writes and runs."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path

import pytest

from k8s_cluster import ClusterConfig, documents, pki, plan
from k8s_cluster.errors import ConfigError

CONFIG = ClusterConfig(state_dir=Path("/var/lib/test-k8s"), tools_dir=Path("/opt/tools"))


def test_every_file_up_writes_is_inside_the_state_folder() -> None:
    assert all(path.is_relative_to(CONFIG.state_dir) for path in plan.files(CONFIG))


def test_the_pod_network_never_asks_for_forwarding_or_masquerading() -> None:
    bridge = json.loads(documents.cni_config(CONFIG))["plugins"][0]

    assert bridge["type"] == "bridge"
    assert bridge["isGateway"] is False
    assert bridge["ipMasq"] is False
    assert bridge["bridge"] == CONFIG.bridge


def test_the_kubelet_checks_kernel_defaults_on_cgroup_v1_under_its_own_root() -> None:
    kubelet = json.loads(documents.kubelet_config(CONFIG))

    assert kubelet["protectKernelDefaults"] is True
    assert kubelet["failCgroupV1"] is False
    assert kubelet["cgroupRoot"] == f"/{CONFIG.netns}"
    assert kubelet["authentication"]["anonymous"]["enabled"] is False


def test_containerd_keeps_its_state_in_the_state_folder_and_restricts_oom_score() -> None:
    document = tomllib.loads(documents.containerd_config(CONFIG))
    cri = document["plugins"]["io.containerd.grpc.v1.cri"]

    assert cri["restrict_oom_score_adj"] is True
    assert cri["sandbox_image"].startswith(CONFIG.registry_inside + "/")
    for key in ("root", "state"):
        assert Path(document[key]).is_relative_to(CONFIG.state_dir)
    assert Path(document["plugins"]["io.containerd.internal.v1.opt"]["path"]).is_relative_to(
        CONFIG.state_dir
    )


def test_every_process_but_the_forwarder_runs_inside_the_clusters_namespace() -> None:
    commands = {p.name: p.command(CONFIG, {"containerd": 42}) for p in plan.processes(CONFIG)}

    assert commands["kubelet"][:4] == ["nsenter", "--target=42", "--mount", "--net"]
    inside = [name for name, argv in commands.items() if argv[0] == "nsenter"]
    assert sorted(inside) == sorted(set(commands) - {"forward"})


def test_only_the_forwarder_listens_on_the_hosts_loopback() -> None:
    forwarder = next(p for p in plan.processes(CONFIG) if p.name == "forward")
    listens = [pair.split("=")[0] for pair in forwarder.argv if "=" in pair]

    assert listens == [f"127.0.0.1:{CONFIG.api_port}", f"127.0.0.1:{CONFIG.registry_port}"]


def test_the_apiserver_certificate_names_every_address_clients_use() -> None:
    apiserver = next(c for c in pki.certificates(CONFIG) if c.name == "apiserver")
    extensions = pki.extensions(apiserver)

    for address in ("IP:127.0.0.1", f"IP:{CONFIG.node_ip}", "IP:10.96.0.1"):
        assert address in extensions
    assert "serverAuth" in extensions


def test_the_kubelet_is_a_node_to_the_node_authorizer() -> None:
    kubelet = next(c for c in pki.certificates(CONFIG) if c.name == "kubelet")

    assert pki.subject(kubelet) == f"/CN=system:node:{CONFIG.node_name}/O=system:nodes"


def test_bad_ports_are_all_reported_at_once() -> None:
    with pytest.raises(ConfigError) as error:
        ClusterConfig.from_env({"OSCAR_K8S_API_PORT": "80", "OSCAR_K8S_REGISTRY_PORT": "x"})

    assert len(error.value.problems) == 2


def test_a_certificate_is_made_again_when_what_it_names_changed(tmp_path: Path) -> None:
    config = dataclasses.replace(CONFIG, state_dir=tmp_path)
    config.pki_dir.mkdir()
    for command in pki.commands(config):  # stand in for openssl: every file it would make
        if "-out" in command:
            Path(command[command.index("-out") + 1]).write_text("made")
    pki.write_extensions(config)
    assert pki.commands(config) == []

    renamed = dataclasses.replace(config, node_name="another-node")
    remade = {c[c.index("-out") + 1] for c in pki.commands(renamed) if "x509" in c and "-req" in c}

    assert remade == {str(tmp_path / "pki" / f"{n}.crt") for n in ("kubelet", "kubelet-server")}
