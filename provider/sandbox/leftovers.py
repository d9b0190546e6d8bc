"""What a crashed provider left behind: sandboxes no handle knows of, found by our prefix."""

from __future__ import annotations

import contextlib
from pathlib import Path

from provider.errors import IsolationUnavailable
from provider.sandbox.cgroups import Cgroups
from provider.sandbox.hosttools import find_tools
from provider.sandbox.names import PREFIX, veth_name
from provider.sandbox.sandbox import Sandbox


def leftovers(prefix: str = PREFIX) -> list[str]:
    """What exists with our prefix: "netns NAME", "link NAME", "cgroup PATH" (the leak check)."""
    found = [f"netns {p.name}" for p in _listdir(Path("/run/netns")) if p.name.startswith(prefix)]
    found += [
        f"link {p.name}" for p in _listdir(Path("/sys/class/net")) if p.name.startswith(prefix)
    ]
    with contextlib.suppress(IsolationUnavailable):
        for root in Cgroups.detect().roots:
            found += [
                f"cgroup {p}" for p in _listdir(root) if p.is_dir() and p.name.startswith(prefix)
            ]
    return sorted(found)


def remove_leftover(name: str) -> None:
    """Destroy the sandbox called `name` (as `leftovers()` lists it) that no handle knows of:
    what a provider that crashed left behind. Its processes are killed."""
    cgroups = Cgroups.detect()
    Sandbox(
        name=name,
        host_veth=veth_name(name),
        host_address="",
        address="",
        cgroup_version=cgroups.version,
        cgroup_dirs=cgroups.dirs(name),
        secrets_dir=None,
        tools=find_tools(),
    ).destroy()


def _listdir(folder: Path) -> list[Path]:
    with contextlib.suppress(FileNotFoundError):
        return list(folder.iterdir())
    return []
