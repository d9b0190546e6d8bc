"""`/system/logs`: each replica's log as NDJSON messages, optionally followed."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

FOLLOW_POLL = 0.1


def log_messages(
    name: str,
    namespace: str,
    files: Callable[[], list[tuple[str, Path]]],
    *,
    tail: int,
    follow: bool,
    should_stop: Callable[[], bool],
) -> Iterator[str]:
    """NDJSON lines `{name, namespace, instance, timestamp, text}` from every replica's log."""
    offsets: dict[Path, int] = {}
    for instance, path in files():
        lines = (
            path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
        )
        offsets[path] = path.stat().st_size if path.exists() else 0
        for text in deque(lines, maxlen=tail) if tail >= 0 else lines:
            yield _message(name, namespace, instance, text)
    while follow and not should_stop():
        produced = False
        for instance, path in files():
            if not path.exists():
                continue
            start = offsets.get(path, 0)
            size = path.stat().st_size
            if size <= start:
                continue
            with path.open("rb") as handle:
                handle.seek(start)
                data = handle.read(size - start)
            complete, _, _ = data.rpartition(b"\n")
            if not complete:
                continue
            offsets[path] = start + len(complete) + 1
            for text in complete.decode("utf-8", "replace").splitlines():
                produced = True
                yield _message(name, namespace, instance, text)
        if not produced:
            time.sleep(FOLLOW_POLL)


def _message(name: str, namespace: str, instance: str, text: str) -> str:
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return (
        json.dumps(
            {
                "name": name,
                "namespace": namespace,
                "instance": instance,
                "timestamp": stamp,
                "text": text,
            }
        )
        + "\n"
    )
