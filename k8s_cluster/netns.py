"""The cluster's own network namespace: created with its node bridge, deleted with everything.

Nothing here touches the host's namespace: no links, routes, sysctls or iptables there. Every
`ip` command names the namespace (`ip -n`).
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from .config import ClusterConfig

CLONE_NEWNET = 0x40000000


def create_commands(config: ClusterConfig) -> list[list[str]]:
    ns = config.netns
    prefix = config.pod_subnet.split("/")[1]
    return [
        ["ip", "netns", "add", ns],
        ["ip", "-n", ns, "link", "set", "lo", "up"],
        ["ip", "-n", ns, "link", "add", config.bridge, "type", "bridge"],
        ["ip", "-n", ns, "addr", "add", f"{config.node_ip}/{prefix}", "dev", config.bridge],
        ["ip", "-n", ns, "link", "set", config.bridge, "up"],
    ]


def delete_commands(config: ClusterConfig) -> list[list[str]]:
    return [["ip", "netns", "delete", config.netns]] if exists(config) else []


def exists(config: ClusterConfig) -> bool:
    return config.netns_path.exists()


def inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def processes_inside(config: ClusterConfig) -> list[int]:
    """Every process whose network namespace is the cluster's."""
    target = inode(config.netns_path)
    if target is None:
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and inode(entry / "ns" / "net") == target:
            found.append(int(entry.name))
    return found


def enter(path: Path) -> None:
    """Move this process into the network namespace at `path` (sockets made before stay)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"setns({path}): {os.strerror(errno)}")
    finally:
        os.close(fd)
