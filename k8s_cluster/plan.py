"""The cluster as a plan: the files to write and the processes to start, in order.

Pure functions of the configuration, so `up --dry-run` and the tests can read exactly what `up`
does. The control plane, the registry, containerd and the kubelet all run in the cluster's own
network namespace; containerd and the kubelet also share a private mount namespace, where
tmpfs are /run and /var/lib, /var/log is the state folder's, and the three
sysctls the kubelet checks read the values it wants.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from . import documents
from .config import APISERVER_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT, ClusterConfig


@dataclass(frozen=True)
class Process:
    name: str
    argv: tuple[str, ...]
    # Join the network and mount namespaces of this earlier process (the kubelet joins
    # containerd's), instead of entering the cluster's network namespace by its path.
    join: str = ""
    # Run in the host's namespace (the forwarder moves itself).
    on_host: bool = False

    def command(self, config: ClusterConfig, pids: dict[str, int]) -> list[str]:
        if self.on_host:
            return list(self.argv)
        if self.join:
            return ["nsenter", f"--target={pids[self.join]}", "--mount", "--net", "--", *self.argv]
        return ["nsenter", f"--net={config.netns_path}", "--", *self.argv]


def files(config: ClusterConfig) -> dict[Path, str]:
    """Every configuration file `up` writes, by path (all inside the state folder)."""
    state = config.state_dir
    written = {
        state / "kubeconfig": documents.component_kubeconfig(config, "admin", on_host=True),
        state / "admin.kubeconfig": documents.component_kubeconfig(config, "admin"),
        state / "controller-manager.kubeconfig": documents.component_kubeconfig(
            config, "controller-manager"
        ),
        state / "scheduler.kubeconfig": documents.component_kubeconfig(config, "scheduler"),
        state / "kubelet.kubeconfig": documents.component_kubeconfig(config, "kubelet"),
        state / "kubelet" / "config.json": documents.kubelet_config(config),
        state / "containerd" / "config.toml": documents.containerd_config(config),
        state / "containerd" / "net.d" / "10-oscar-k8s.conflist": documents.cni_config(config),
        state / "containerd" / "certs.d" / config.registry_inside / "hosts.toml": (
            documents.registry_hosts(config)
        ),
        state / "registry.json": documents.registry_config(config),
    }
    for name, value in documents.sysctl_values().items():
        written[state / "sysctl" / name.replace("/", ".")] = value + "\n"
    return written


def private_mounts(state: Path) -> list[str]:
    """Shell lines that give a private mount namespace its own /run and /var/lib.

    containerd, the kubelet and buildah write to fixed paths there (/run/containerd,
    /var/lib/kubelet/device-plugins, /var/lib/containers/cache): on tmpfs, they vanish with the
    namespace. The state folder is bound back into the new /var/lib when it lives there.
    """
    lines = [
        "set -e",
        "mount -t tmpfs -o mode=755 oscar-k8s-run /run",
        "mkdir -p /run/netns /run/containerd /run/host-var-lib",
        "mount --bind /var/lib /run/host-var-lib",
        "mount -t tmpfs -o mode=755 oscar-k8s-var-lib /var/lib",
        "mkdir -p /var/lib/kubelet",
    ]
    if state.is_relative_to("/var/lib"):
        inside = state.relative_to("/var/lib")
        lines.append(f"mkdir -p {state} && mount --bind /run/host-var-lib/{inside} {state}")
    return lines


def containerd_script(config: ClusterConfig) -> str:
    """The shell that prepares containerd's private mount namespace, then becomes containerd."""
    state = config.state_dir
    lines = [
        *private_mounts(state),
        # The kubelet writes /var/log/containers (a fixed path): keep it in the state folder.
        f"mount --bind {state}/varlog /var/log",
    ]
    for name in documents.sysctl_values():
        source = state / "sysctl" / name.replace("/", ".")
        lines.append(f"mount --bind -o ro {source} /proc/sys/{name}")
    lines.append(f"exec {config.tool('containerd')} --config {state}/containerd/config.toml")
    return "\n".join(lines) + "\n"


def processes(config: ClusterConfig) -> list[Process]:
    pki, state, tool = config.pki_dir, config.state_dir, config.tool
    etcd_url = f"http://127.0.0.1:{ETCD_CLIENT_PORT}"
    return [
        Process(
            "forward",
            (
                sys.executable,
                "-m",
                "k8s_cluster.forward",
                str(config.netns_path),
                *documents.forwards(config),
            ),
            on_host=True,
        ),
        Process("registry", (tool("registry"), "serve", str(state / "registry.json"))),
        Process(
            "etcd",
            (
                tool("etcd"),
                "--name=oscar-k8s",
                f"--data-dir={state}/etcd",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{ETCD_PEER_PORT}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{ETCD_PEER_PORT}",
                f"--initial-cluster=oscar-k8s=http://127.0.0.1:{ETCD_PEER_PORT}",
                "--listen-metrics-urls=",
                "--log-level=warn",
            ),
        ),
        Process(
            "kube-apiserver",
            (
                tool("kube-apiserver"),
                f"--etcd-servers={etcd_url}",
                f"--bind-address={config.node_ip}",
                f"--advertise-address={config.node_ip}",
                f"--secure-port={APISERVER_PORT}",
                f"--service-cluster-ip-range={config.service_cidr}",
                "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction",
                "--allow-privileged=true",
                f"--client-ca-file={pki}/ca.crt",
                f"--tls-cert-file={pki}/apiserver.crt",
                f"--tls-private-key-file={pki}/apiserver.key",
                f"--kubelet-client-certificate={pki}/apiserver-kubelet-client.crt",
                f"--kubelet-client-key={pki}/apiserver-kubelet-client.key",
                f"--kubelet-certificate-authority={pki}/ca.crt",
                # No DNS for the node's name here: reach the kubelet at the node's address.
                "--kubelet-preferred-address-types=InternalIP",
                f"--service-account-key-file={pki}/sa.pub",
                f"--service-account-signing-key-file={pki}/sa.key",
                "--service-account-issuer=https://kubernetes.default.svc",
                "--profiling=false",
            ),
        ),
        Process(
            "kube-controller-manager",
            (
                tool("kube-controller-manager"),
                f"--kubeconfig={state}/controller-manager.kubeconfig",
                f"--authentication-kubeconfig={state}/controller-manager.kubeconfig",
                f"--authorization-kubeconfig={state}/controller-manager.kubeconfig",
                "--bind-address=127.0.0.1",
                "--leader-elect=false",
                f"--service-account-private-key-file={pki}/sa.key",
                f"--root-ca-file={pki}/ca.crt",
                f"--cluster-signing-cert-file={pki}/ca.crt",
                f"--cluster-signing-key-file={pki}/ca.key",
                "--use-service-account-credentials=true",
                # No node IPAM: the CNI's host-local plugin hands out the pods' addresses.
                "--controllers=*,-nodeipam",
            ),
        ),
        Process(
            "kube-scheduler",
            (
                tool("kube-scheduler"),
                f"--kubeconfig={state}/scheduler.kubeconfig",
                f"--authentication-kubeconfig={state}/scheduler.kubeconfig",
                f"--authorization-kubeconfig={state}/scheduler.kubeconfig",
                "--bind-address=127.0.0.1",
                "--leader-elect=false",
            ),
        ),
        Process(
            "containerd",
            (
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--",
                "sh",
                "-c",
                containerd_script(config),
            ),
        ),
        Process(
            "kubelet",
            (
                tool("kubelet"),
                f"--config={state}/kubelet/config.json",
                f"--kubeconfig={state}/kubelet.kubeconfig",
                f"--root-dir={state}/kubelet",
                f"--hostname-override={config.node_name}",
                f"--node-ip={config.node_ip}",
                f"--cert-dir={state}/kubelet/pki",
            ),
            join="containerd",
        ),
    ]
