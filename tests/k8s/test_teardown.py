"""`down` leaves nothing behind: a cluster of its own, brought up and down, and the host checked."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from k8s_cluster import ClusterConfig, cluster, netns
from tests.support.waiting import free_port

# Where kubelet, containerd and the CNI plugins write by default: `up` sends them all into the
# state folder or a private tmpfs, so none of these may appear.
DEFAULT_PATHS = (
    "/var/lib/kubelet",
    "/var/log/pods",
    "/var/log/containers",
    "/var/lib/containerd",
    "/run/containerd",
    "/opt/containerd",
    "/etc/cni",
    "/var/lib/cni",
    "/etc/containerd",
    "/etc/kubernetes",
    "/var/lib/containers",
    "/run/containers",
    "/etc/containers",
)


@dataclass(frozen=True)
class Traces:
    processes: list[str]
    mounts: list[str]
    netns: bool
    host_addresses: list[str]
    cgroups: list[Path]
    default_paths: list[str]


def traces(config: ClusterConfig) -> Traces:
    state, tools = str(config.state_dir), str(config.tools_dir.resolve())
    procs = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if entry.name.isdigit() and (state in cmdline or f"/run/netns/{config.netns}" in cmdline):
            procs.append(f"{entry.name}: {cmdline[:120]}")
    mounts = [
        line
        for line in Path("/proc/self/mountinfo").read_text().splitlines()
        if state in line or tools in line
    ]
    addresses = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, check=True)
    from k8s_cluster import cgroups

    return Traces(
        processes=procs,
        mounts=mounts,
        netns=netns.exists(config),
        host_addresses=[line for line in addresses.stdout.splitlines() if config.node_ip in line],
        cgroups=cgroups.remaining(config.netns),
        default_paths=[p for p in DEFAULT_PATHS if Path(p).exists()],
    )


def test_down_leaves_no_process_mount_namespace_link_cgroup_or_file_behind(
    k8s_config: ClusterConfig,
) -> None:
    config = replace(
        k8s_config,
        netns="kube-oscar-down",
        state_dir=k8s_config.state_dir.with_name(k8s_config.state_dir.name + "-down"),
        api_port=free_port(),
        registry_port=free_port(),
    )
    before = traces(config)
    cluster.up(config)
    during = traces(config)

    left = cluster.down(config)
    after = traces(config)

    assert during.netns and during.processes and during.cgroups  # the check sees a cluster
    assert left == []
    assert after == Traces([], [], False, [], [], before.default_paths)
