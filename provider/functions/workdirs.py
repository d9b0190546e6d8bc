"""Replica folders on disk, `<replicas>/<function>/<function>-<n>`: numbering and pruning."""

from __future__ import annotations

import shutil
from pathlib import Path

KEEP_DEAD_REPLICA_DIRS = 5


def next_index(replicas: Path) -> int:
    """One past the highest replica number in use by any replica folder left on disk."""
    numbers = [
        int(suffix)
        for folder in replicas.glob("*/*")
        if (suffix := folder.name.rsplit("-", 1)[-1]).isdigit()
    ]
    return max(numbers, default=-1) + 1


def prune(folder: Path) -> None:
    """Keep the newest few folders of replicas that no longer run (their logs), drop older ones."""
    if not folder.is_dir():
        return
    dead = [p for p in folder.iterdir() if p.is_dir() and not (p / "tmp" / ".lock").exists()]
    dead.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in dead[KEEP_DEAD_REPLICA_DIRS:]:
        shutil.rmtree(old, ignore_errors=True)
