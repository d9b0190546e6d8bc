"""The cgroups a sandbox's processes live in: v1 (memory + cpu hierarchies, and pids where it
is mounted) or v2, detected."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from provider.errors import IsolationUnavailable
from provider.sandbox.limits import Limits

CGROUP_ROOT = Path("/sys/fs/cgroup")
CPU_PERIOD_US = 100_000


@dataclass(frozen=True)
class Cgroups:
    version: int
    roots: tuple[Path, ...]  # v1: the memory, cpu (and pids) hierarchies; v2: the unified one
    pids: bool = False  # whether a process limit can be set

    @classmethod
    def detect(cls) -> Cgroups:
        if (CGROUP_ROOT / "cgroup.controllers").exists():
            available = (CGROUP_ROOT / "cgroup.controllers").read_text(encoding="ascii").split()
            missing = {"memory", "cpu"} - set(available)
            if missing:
                raise IsolationUnavailable(
                    f"cgroup v2 at {CGROUP_ROOT} lacks the {', '.join(sorted(missing))} "
                    "controller(s); enable them in the kernel or the init system"
                )
            return cls(version=2, roots=(CGROUP_ROOT,), pids="pids" in available)._writable()
        mounts: dict[str, Path] = {}
        for line in Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines():
            _, where, kind, options, *_ = line.split()
            if kind == "cgroup":
                for option in options.split(","):
                    mounts.setdefault(option, Path(where))
        missing = {"memory", "cpu"} - set(mounts)
        if missing:
            raise IsolationUnavailable(
                f"no cgroup v1 {' or '.join(sorted(missing))} controller is mounted and "
                f"{CGROUP_ROOT} is not cgroup v2; mount them to enforce replica limits"
            )
        if "pids" in mounts:
            roots = (mounts["memory"], mounts["cpu"], mounts["pids"])
            return cls(version=1, roots=roots, pids=True)._writable()
        return cls(version=1, roots=(mounts["memory"], mounts["cpu"]))._writable()

    def _writable(self) -> Cgroups:
        for root in self.roots:
            if not os.access(root, os.W_OK):
                raise IsolationUnavailable(f"{root} is not writable (a read-only cgroup mount?)")
        return self

    def dirs(self, name: str) -> tuple[Path, ...]:
        return tuple(root / name for root in self.roots)

    def make(self, name: str, limits: Limits) -> None:
        try:
            if self.version == 2:
                for controller in ("+memory", "+cpu", *(("+pids",) if self.pids else ())):
                    (CGROUP_ROOT / "cgroup.subtree_control").write_text(controller, "ascii")
            for folder in self.dirs(name):
                folder.mkdir()
            for path, value, required in self._settings(name, limits):
                if required or path.exists():
                    path.write_text(value, encoding="ascii")
        except OSError as e:
            raise IsolationUnavailable(f"setting up the cgroups of {name} failed: {e}") from e

    def _settings(self, name: str, limits: Limits) -> list[tuple[Path, str, bool]]:
        """(file, value, required) in the order they must be written."""
        folders = self.dirs(name)
        memory_dir, cpu_dir, pids_dir = folders[0], folders[min(1, len(folders) - 1)], folders[-1]
        settings: list[tuple[Path, str, bool]] = []
        if limits.memory_bytes is not None:
            # No swap, as in a pod: over the limit means OOM-killed, not slowed down.
            memory = str(limits.memory_bytes)
            if self.version == 2:
                settings.append((memory_dir / "memory.max", memory, True))
                settings.append((memory_dir / "memory.swap.max", "0", False))
            else:  # memsw (memory + swap) may not go below the memory limit: set that first
                settings.append((memory_dir / "memory.limit_in_bytes", memory, True))
                settings.append((memory_dir / "memory.memsw.limit_in_bytes", memory, False))
        if limits.cpu_millis is not None:
            quota = max(1000, limits.cpu_millis * CPU_PERIOD_US // 1000)  # kernel minimum 1ms
            if self.version == 2:
                settings.append((cpu_dir / "cpu.max", f"{quota} {CPU_PERIOD_US}", True))
            else:
                settings.append((cpu_dir / "cpu.cfs_period_us", str(CPU_PERIOD_US), True))
                settings.append((cpu_dir / "cpu.cfs_quota_us", str(quota), True))
        if limits.pids is not None and self.pids:
            settings.append((pids_dir / "pids.max", str(limits.pids), True))
        return settings
