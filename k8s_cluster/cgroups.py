"""The cluster's own cgroup root (the kubelet's `cgroupRoot`), in every hierarchy.

The kubelet (cgroupfs driver) puts all pods under `<cgroupRoot>/kubepods`. Giving each cluster
a root named for it keeps two clusters (a developer's and the tests') apart, and lets `down`
find every pod process and remove every cgroup it made, and nothing else.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def hierarchies(root: Path = ROOT) -> list[Path]:
    """Each mounted cgroup hierarchy (v1: one per controller; v2: the root itself)."""
    if (root / "cgroup.controllers").exists():
        return [root]
    return [h for h in sorted(root.iterdir()) if h.is_dir() and not h.is_symlink()]


def create(name: str, root: Path = ROOT) -> None:
    for hierarchy in hierarchies(root):
        folder = hierarchy / name
        folder.mkdir(exist_ok=True)
        # A v1 cpuset cgroup takes no task until it has cpus and mems: inherit the parent's.
        for setting in ("cpuset.cpus", "cpuset.mems"):
            if (hierarchy / setting).exists() and not (folder / setting).read_text().strip():
                (folder / setting).write_text((hierarchy / setting).read_text())


def processes(name: str, root: Path = ROOT) -> list[int]:
    pids: set[int] = set()
    for hierarchy in hierarchies(root):
        tree = hierarchy / name
        if not tree.is_dir():
            continue
        for procs in tree.rglob("cgroup.procs"):
            try:
                pids.update(int(line) for line in procs.read_text().split())
            except OSError:
                continue
    return sorted(pids)


def remove(name: str, root: Path = ROOT) -> list[Path]:
    """rmdir the cluster's cgroups, deepest first; return those that could not be removed."""
    left: list[Path] = []
    for hierarchy in hierarchies(root):
        tree = hierarchy / name
        if not tree.is_dir():
            continue
        folders = sorted((p for p in tree.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for folder in [*folders, tree]:
            try:
                folder.rmdir()
            except OSError:
                left.append(folder)
    return left


def remaining(name: str, root: Path = ROOT) -> list[Path]:
    return [h / name for h in hierarchies(root) if (h / name).exists()]
