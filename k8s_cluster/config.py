"""The cluster's settings: one frozen dataclass, built from the environment by `from_env`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Inside the cluster's own network namespace nothing else listens, so the ports there are the
# usual ones; only the two forwarded to the host's loopback are settings.
APISERVER_PORT = 6443
REGISTRY_PORT = 5000
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380

REQUIRED_BINARIES = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kubectl",
    "etcd",
    "registry",
    "containerd",
    "containerd-shim-runc-v2",
    "runc",
    "pause",
)


@dataclass(frozen=True)
class ClusterConfig:
    state_dir: Path
    tools_dir: Path
    # Base image root filesystems (debootstrap output), cached by what went into them.
    cache_dir: Path = Path("/var/cache/oscar-k8s")
    # The cluster's name: its network namespace and its cgroup root. Not "oscar-...": the
    # provider takes netns and cgroups with that prefix for its own sandboxes (and removes them).
    netns: str = "kube-oscar"
    node_name: str = "kube-oscar-node"
    # The node's address lives on a bridge with no ports of its own (this kernel has no `dummy`
    # links); pods join the same bridge, so they reach the node's servers at this address.
    bridge: str = "kube-oscar0"
    node_ip: str = "10.250.0.1"
    pod_subnet: str = "10.250.0.0/24"
    service_cidr: str = "10.96.0.0/24"
    # On the host's loopback: the API server and the registry, forwarded into the namespace.
    api_port: int = 27443
    registry_port: int = 27500

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ClusterConfig:
        from .errors import ConfigError

        problems: list[str] = []
        ports: dict[str, int] = {}
        for name, default in (("OSCAR_K8S_API_PORT", 27443), ("OSCAR_K8S_REGISTRY_PORT", 27500)):
            text = environ.get(name, "") or str(default)
            if not text.isdigit() or not 1024 <= int(text) <= 65535:
                problems.append(f"{name} must be a port number in 1024-65535, found {text!r}")
            else:
                ports[name] = int(text)
        if len(set(ports.values())) < len(ports):
            problems.append("OSCAR_K8S_API_PORT and OSCAR_K8S_REGISTRY_PORT must differ")
        if problems:
            raise ConfigError(problems)
        default_tools = ROOT / ".tools"
        return cls(
            state_dir=Path(environ.get("OSCAR_K8S_STATE_DIR", "") or "/var/lib/oscar-k8s"),
            tools_dir=Path(environ.get("OSCAR_TOOLS_DIR", "") or default_tools),
            cache_dir=Path(
                environ.get("OSCAR_K8S_CACHE_DIR", "")
                or Path(environ.get("HOME", "/root")) / ".cache" / "oscar-faas" / "images"
            ),
            netns=environ.get("OSCAR_K8S_NAME", "") or "kube-oscar",
            api_port=ports["OSCAR_K8S_API_PORT"],
            registry_port=ports["OSCAR_K8S_REGISTRY_PORT"],
        )

    # Paths and addresses derived from the settings, in one place.
    @property
    def bin_dir(self) -> Path:
        return self.tools_dir / "bin"

    @property
    def pki_dir(self) -> Path:
        return self.state_dir / "pki"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig for the host: https://127.0.0.1:<api_port>."""
        return self.state_dir / "kubeconfig"

    @property
    def netns_path(self) -> Path:
        return Path("/run/netns") / self.netns

    @property
    def api_url_inside(self) -> str:
        return f"https://{self.node_ip}:{APISERVER_PORT}"

    @property
    def api_url(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    @property
    def registry_inside(self) -> str:
        """The registry as pods (containerd) name it: image references use this."""
        return f"{self.node_ip}:{REGISTRY_PORT}"

    @property
    def registry_on_host(self) -> str:
        """The registry as builders on the host push to it."""
        return f"127.0.0.1:{self.registry_port}"

    def tool(self, name: str) -> str:
        return str(self.bin_dir / name)

    def child_env(self) -> dict[str, str]:
        """The environment for every process of the cluster: our tools first on PATH."""
        path = f"{self.bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return {"PATH": path, "HOME": str(self.state_dir), "LANG": "C.UTF-8"}


def current() -> ClusterConfig:
    """The configuration of this process's environment (entry points and fixtures only)."""
    return ClusterConfig.from_env(os.environ)
