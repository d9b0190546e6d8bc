"""A pod-like sandbox for one replica: network namespace, cgroup limits, secrets, a plain user.

What a replica gets, as a Kubernetes pod would give it:
- its own network namespace with `lo` and one veth (`eth0`) on a /30 of 10.213.0.0/16; the host
  side of the veth holds `host_address`, the replica `address`. The provider reaches the replica
  at `http://<address>:8080`; every replica can bind the same ports (of-watchdog hard-codes its
  metrics port).
- cgroups (v1 memory + cpu controllers, or v2, detected at run time) holding every process the
  replica starts, with the memory and CPU limits applied; `destroy()` kills them all, including
  the ones that left the replica's session.
- a private mount namespace with the function's secrets bind-mounted read-only at
  /var/openfaas/secrets (the folder stays empty on the host).
- the command run as an unprivileged user, with no capabilities and no_new_privs.

Reaching host services from a replica: 127.0.0.1 inside the sandbox is the sandbox's own
loopback. The host is `host_address` (see `Sandbox.host_url`), and a default route through it
reaches the host's other addresses too. A host service bound only to 127.0.0.1 (MinIO) is made
reachable at 127.0.0.1 inside the sandbox by `provider.sandbox.netns_forward`, which the
provider runs for the ports it publishes. There is no NAT: replicas reach the host, nothing
beyond it.

Addresses are allocated under a lock in `state_dir` by scanning the host's interfaces, so every
provider on a host must share one `state_dir` (`provider.sandbox.network`). Everything we create
is named with the `oscar-` prefix, so `leftovers()` finds what a crash left behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contract.naming import SECRETS_MOUNT
from provider.errors import IsolationUnavailable, SandboxLeaked
from provider.sandbox.cgroups import Cgroups
from provider.sandbox.function_user import user_entry
from provider.sandbox.hosttools import find_tools
from provider.sandbox.limits import Limits
from provider.sandbox.names import sandbox_name, veth_name
from provider.sandbox.network import address_lock, free_subnet, ip

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Sandbox:
    """One replica's namespaces and cgroups; `wrap()` gives the command that runs inside."""

    name: str
    host_veth: str
    host_address: str
    address: str
    cgroup_version: int
    cgroup_dirs: tuple[Path, ...]  # the first one (memory on v1) is where we count processes
    secrets_dir: Path | None
    tools: Mapping[str, str] = field(repr=False)

    @classmethod
    def create(
        cls, *, name: str, limits: Limits, secrets_dir: Path | None, state_dir: Path
    ) -> Sandbox:
        tools, cgroups = find_tools(), Cgroups.detect()
        name = sandbox_name(name)
        host_veth = veth_name(name)
        existing = [str(p) for p in _parts(name, host_veth, cgroups) if p.exists()]
        if existing:  # a live sandbox or a crash's leftover: not ours to adopt or to remove
            raise IsolationUnavailable(
                f"sandbox {name} already exists ({', '.join(existing)}); destroy it first"
            )
        with address_lock(state_dir / "sandbox-addresses.lock"):
            subnet = free_subnet(tools)
            sandbox = cls(
                name=name,
                host_veth=host_veth,
                host_address=str(subnet[1]),
                address=str(subnet[2]),
                cgroup_version=cgroups.version,
                cgroup_dirs=cgroups.dirs(name),
                secrets_dir=secrets_dir,
                tools=tools,
            )
            try:
                sandbox._build(cgroups, limits)
            except BaseException:
                sandbox.destroy()
                raise
        log.debug("sandbox %s: host %s, replica %s", name, sandbox.host_address, sandbox.address)
        return sandbox

    def _build(self, cgroups: Cgroups, limits: Limits) -> None:
        # Runs under the address lock: once on the host veth, the host address marks the
        # subnet as taken for the next create().
        name, veth, tools = self.name, self.host_veth, self.tools
        cgroups.make(name, limits)
        ip(tools, "netns", "add", name)
        ip(tools, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", name)
        ip(tools, "addr", "add", f"{self.host_address}/30", "dev", veth)
        ip(tools, "link", "set", veth, "up")
        ip(tools, "-n", name, "link", "set", "lo", "up")
        ip(tools, "-n", name, "addr", "add", f"{self.address}/30", "dev", "eth0")
        ip(tools, "-n", name, "link", "set", "eth0", "up")
        ip(tools, "-n", name, "route", "add", "default", "via", self.host_address)
        if self.secrets_dir is not None:
            Path(SECRETS_MOUNT).mkdir(parents=True, exist_ok=True)

    def host_url(self, port: int) -> str:
        """The URL of a host service as the replica must call it (not 127.0.0.1)."""
        return f"http://{self.host_address}:{port}"

    def wrap(self, argv: list[str], *, user: str | None) -> list[str]:
        """The command line that runs `argv` in this sandbox (as `user`, when given).

        Each step execs the next, so the process started is `argv`'s in the end: signals and
        exit codes are its own. Values reach the shell snippets as positional parameters or
        quoted, never spliced in raw.
        """
        if not argv:
            raise ValueError("wrap() needs a command to run")
        sh, ip = self.tools["sh"], self.tools["ip"]
        # Join the cgroups first: `ip netns exec` remounts /sys, hiding /sys/fs/cgroup.
        join = " && ".join(
            f"echo $$ > {shlex.quote(str(d / 'cgroup.procs'))}" for d in self.cgroup_dirs
        )
        command = [sh, "-c", f'{join} && exec "$@"', "oscar-cgroup", ip, "netns", "exec", self.name]
        if self.secrets_dir is not None:
            mount, target = shlex.quote(self.tools["mount"]), shlex.quote(SECRETS_MOUNT)
            script = (
                f"{mount} --bind {shlex.quote(str(self.secrets_dir))} {target}"
                f" && {mount} -o remount,bind,ro,nosuid,nodev,noexec {target}"
                ' && exec "$@"'
            )
            command += [self.tools["unshare"], "--mount", "--propagation", "private"]
            command += [sh, "-c", script, "oscar-secrets"]
        if user is not None:
            entry = user_entry(user)
            command += [
                self.tools["setpriv"],
                f"--reuid={entry.pw_uid}",
                f"--regid={entry.pw_gid}",
                "--init-groups",
                "--no-new-privs",
                "--bounding-set=-all",
                "--inh-caps=-all",
                "--",
            ]
        return [*command, *argv]

    def pids(self) -> list[int]:
        """The processes in the sandbox's cgroups now (zombies excluded)."""
        found: set[int] = set()
        for folder in self.cgroup_dirs:
            with contextlib.suppress(FileNotFoundError):
                text = (folder / "cgroup.procs").read_text(encoding="ascii")
                found.update(int(line) for line in text.split())
        return sorted(found)

    def memory_peak(self) -> int | None:
        """The most memory the sandbox used at once, in bytes, if the kernel reports it."""
        name = "memory.max_usage_in_bytes" if self.cgroup_version == 1 else "memory.peak"
        with contextlib.suppress(FileNotFoundError, ValueError):
            return int((self.cgroup_dirs[0] / name).read_text(encoding="ascii"))
        return None

    def oom_killed(self) -> int:
        """How many processes the OOM killer took in this sandbox (at least 1 if any)."""
        folder = self.cgroup_dirs[0]
        stats = "memory.oom_control" if self.cgroup_version == 1 else "memory.events"
        with contextlib.suppress(FileNotFoundError):
            for line in (folder / stats).read_text(encoding="ascii").splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
            # Kernels before 4.13 have no oom_kill counter on v1: hitting the limit is the hint.
            return 1 if int((folder / "memory.failcnt").read_text(encoding="ascii")) else 0
        return 0

    def destroy(self, *, timeout: float = 10.0) -> None:
        """Kill every process left in the sandbox, then remove its cgroups, veth and netns.

        Idempotent: parts already gone are skipped. Raises SandboxLeaked if processes survive
        SIGKILL for `timeout` seconds (stuck in the kernel), leaving the cgroups in place.
        """
        self._kill_all(timeout=timeout)
        for folder in reversed(self.cgroup_dirs):
            with contextlib.suppress(FileNotFoundError):
                folder.rmdir()
        if Path("/sys/class/net", self.host_veth).exists():
            ip(self.tools, "link", "delete", self.host_veth)  # takes eth0 with it
        if Path("/run/netns", self.name).exists():
            ip(self.tools, "netns", "delete", self.name)

    def _kill_all(self, *, timeout: float) -> None:
        kill_file = self.cgroup_dirs[0] / "cgroup.kill"  # v2, kernel 5.14+: atomic, fork-proof
        if self.cgroup_version == 2 and kill_file.exists():
            with contextlib.suppress(FileNotFoundError):
                kill_file.write_text("1", encoding="ascii")
        deadline = time.monotonic() + timeout
        while pids := self.pids():
            if time.monotonic() > deadline:
                raise SandboxLeaked(
                    f"sandbox {self.name}: processes {pids} survived SIGKILL for {timeout:g}s; "
                    f"its cgroups stay until they exit ({', '.join(map(str, self.cgroup_dirs))})"
                )
            for pid in pids:  # again each round: a fork may have raced the previous round
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)


def _parts(name: str, host_veth: str, cgroups: Cgroups) -> list[Path]:
    return [Path("/run/netns", name), Path("/sys/class/net", host_veth), *cgroups.dirs(name)]
