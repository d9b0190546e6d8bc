"""Bring the one-node cluster up, report on it, and take it down leaving nothing behind."""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import api, cgroups, images, netns, pki, plan, processes
from .config import REQUIRED_BINARIES, ClusterConfig
from .errors import ClusterError, NotReady, StepFailed, ToolMissing
from .waiting import wait_until

log = logging.getLogger(__name__)

# Deadlines, in seconds: generous for a machine whose two cores are shared.
DEADLINES = {
    "registry": 30.0,
    "kube-apiserver": 90.0,
    "containerd": 30.0,
    "node": 90.0,
    "service-account": 60.0,
}
# Stop order: the kubelet first (no restarts of what we kill next), the API server before etcd
# (else its shutdown hangs for about 30 s).
STOP_ORDER = (
    "kubelet",
    "containerd",
    "kube-scheduler",
    "kube-controller-manager",
    "kube-apiserver",
    "etcd",
    "registry",
    "forward",
)


@dataclass
class Timings:
    steps: dict[str, float] = field(default_factory=dict)

    def lap(self, name: str, since: float) -> None:
        self.steps[name] = round(time.monotonic() - since, 2)


def check_tools(config: ClusterConfig) -> None:
    missing = [name for name in REQUIRED_BINARIES if not (config.bin_dir / name).exists()]
    if not (config.tools_dir / "cni" / "bridge").exists():
        missing.append("cni/bridge")
    if missing:
        raise ToolMissing(missing, str(config.tools_dir))


def run(command: list[str], *, config: ClusterConfig) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=config.child_env())
    if result.returncode != 0:
        raise StepFailed(command, result.returncode, result.stderr or result.stdout)


def prepare(config: ClusterConfig) -> None:
    """The state folder, certificates, configuration files; a fresh etcd and kubelet state."""
    if shutil.which("openssl") is None:
        raise ClusterError("openssl is needed for the certificates: apt-get install openssl")
    for stale in (
        "etcd",
        "kubelet",
        "pod-logs",
        "varlog",
        "containerd/root",
        "containerd/state",
        "cni/ipam",
    ):
        shutil.rmtree(config.state_dir / stale, ignore_errors=True)
    for folder in ("varlog", "pod-logs", "kubelet", "registry", "logs", "run"):
        (config.state_dir / folder).mkdir(parents=True, exist_ok=True)
    todo = pki.commands(config)  # what is missing or outdated, before the new records are written
    pki.write_extensions(config)
    for command in todo:
        run(command, config=config)
    for path, text in plan.files(config).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def up(config: ClusterConfig) -> Timings:
    """Start every process and wait until the node is Ready and pods can be created."""
    check_tools(config)
    if status(config)["running"]:
        raise ClusterError(
            f"the cluster in {config.state_dir} is already running (`scripts/k8s down` first)"
        )
    down(config, quiet=True)  # whatever a crashed run left
    try:
        return _start(config)
    except BaseException:
        # Half a cluster helps nobody: stop what started; the logs stay in the state folder.
        down(config, quiet=True)
        raise


def _start(config: ClusterConfig) -> Timings:
    timings = Timings()
    start = time.monotonic()
    prepare(config)
    for command in netns.create_commands(config):
        run(command, config=config)
    cgroups.create(config.netns)
    timings.lap("prepared", start)
    pids: dict[str, int] = {}
    for process in plan.processes(config):
        started = processes.spawn(
            process.name,
            process.command(config, pids),
            env=config.child_env(),
            log=config.logs_dir / f"{process.name}.log",
            run_dir=config.run_dir,
        )
        pids[process.name] = started.pid
        ready = _readiness(config, process.name)
        if ready is not None:
            _wait(config, process.name, ready, pids)
            timings.lap(process.name, start)
        if process.name == "registry":
            images.push_pause(config)  # the kubelet's first pod needs it
    _wait(config, "node", lambda: api.node_ready(config), pids)
    timings.lap("node Ready", start)
    _wait(config, "service-account", lambda: api.default_service_account(config), pids)
    timings.lap("ready", start)
    return timings


def _readiness(config: ClusterConfig, name: str) -> Callable[[], bool | str] | None:
    if name == "kube-apiserver":
        return lambda: api.readyz(config)
    if name == "registry":
        return lambda: api.registry_ready(config)
    if name == "containerd":
        socket = config.state_dir / "containerd" / "containerd.sock"
        return lambda: socket.exists() or "no containerd socket yet"
    return None


def _wait(
    config: ClusterConfig, what: str, ready: Callable[[], bool | str], pids: dict[str, int]
) -> None:
    def check() -> bool | str:
        for name in pids:
            if processes.recorded(name, config.run_dir) is None:
                return f"{name} exited"
        return ready()

    ok, last = wait_until(check, timeout=DEADLINES[what], interval=0.2)
    if ok:
        return
    dead = [name for name in pids if processes.recorded(name, config.run_dir) is None]
    culprit = dead[0] if dead else ("kubelet" if what == "node" else what)
    raise NotReady(what, DEADLINES[what], str(config.logs_dir / f"{culprit}.log"), last)


def down(config: ClusterConfig, *, quiet: bool = False) -> list[str]:
    """Stop everything `up` started; return what could not be removed (nothing, normally)."""
    for name in STOP_ORDER:
        running = processes.recorded(name, config.run_dir)
        if running is not None:
            processes.stop(running, grace=15.0)
        if name == "kubelet":
            # The pods' processes (pause and containers) live in the kubelet's cgroups.
            processes.kill_all(cgroups.processes(config.netns))
        if name == "containerd":
            # The shims, and anything else left in the node's namespace but the control plane.
            keep = {r.pid for n in STOP_ORDER if (r := processes.recorded(n, config.run_dir))}
            processes.kill_all([pid for pid in netns.processes_inside(config) if pid not in keep])
    left = [f"process {pid}" for pid in processes.kill_all(netns.processes_inside(config))]
    left += [f"cgroup {path}" for path in cgroups.remove(config.netns)]
    for command in netns.delete_commands(config):
        try:
            run(command, config=config)
        except StepFailed as e:
            left.append(f"network namespace {config.netns}: {e}")
    for pidfile in config.run_dir.glob("*.pid") if config.run_dir.is_dir() else []:
        pidfile.unlink()
    if left and not quiet:
        log.warning("left behind: %s", "; ".join(left))
    return left


def status(config: ClusterConfig) -> dict[str, object]:
    names = [p.name for p in plan.processes(config)]
    running = {name: r.pid for name in names if (r := processes.recorded(name, config.run_dir))}
    answer: dict[str, object] = {
        "running": bool(running),
        "processes": running,
        "kubeconfig": str(config.kubeconfig),
        "api": config.api_url,
        "registry": {"host": config.registry_on_host, "pods": config.registry_inside},
        "netns": config.netns if netns.exists(config) else None,
    }
    if running.keys() >= {"forward", "kube-apiserver"}:
        try:
            answer["node_ready"] = api.node_ready(config) is True
        except OSError as e:
            answer["node_ready"] = f"{type(e).__name__}: {e}"
    return answer


def purge(config: ClusterConfig) -> list[str]:
    """Down, then remove the state folder (certificates, images in the registry, logs)."""
    left = down(config)
    if not left and config.state_dir.exists() and config.state_dir.resolve() != Path("/"):
        shutil.rmtree(config.state_dir)
    return left
