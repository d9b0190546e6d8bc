"""`/system/logs`: each replica's log as NDJSON messages, optionally followed.

Each line keeps the time it was written: the watchdog prefixes its lines with
`YYYY/MM/DD HH:MM:SS` and the supervisor's JSON lines carry a `time`; a line with neither (a
script's raw output) takes the time of the line before it, or the file's modification time.
`since` drops lines older than it, as `faas-cli logs --since` expects.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from provider.backend import LogSource

FOLLOW_POLL = 0.1
_WATCHDOG_TIME = re.compile(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)")


def log_messages(
    name: str,
    namespace: str,
    files: Callable[[], list[tuple[str, Path]]],
    *,
    tail: int,
    follow: bool,
    since: datetime | None,
    should_stop: Callable[[], bool],
) -> Iterator[str]:
    """NDJSON lines `{name, namespace, instance, timestamp, text}` from every replica's log."""
    offsets: dict[Path, int] = {}
    for instance, path in files():
        if not path.exists():
            continue
        offsets[path] = path.stat().st_size
        stamped = _stamped(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), _mtime(path)
        )
        recent = [(t, text) for t, text in stamped if since is None or t >= since]
        for stamp, text in deque(recent, maxlen=tail) if tail >= 0 else recent:
            yield _message(name, namespace, instance, stamp, text)
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
            lines = complete.decode("utf-8", "replace").splitlines()
            for stamp, text in _stamped(lines, datetime.now(UTC)):
                produced = True
                yield _message(name, namespace, instance, stamp, text)
        if not produced:
            time.sleep(FOLLOW_POLL)


def file_logs(log_files: Callable[[str], list[tuple[str, Path]]]) -> LogSource:
    """The local backend's log source: `log_files(name)` lists each replica's log file."""

    def source(
        name: str,
        namespace: str,
        *,
        tail: int,
        follow: bool,
        since: datetime | None,
        should_stop: Callable[[], bool],
    ) -> Iterator[str]:
        return log_messages(
            name,
            namespace,
            lambda: log_files(name),
            tail=tail,
            follow=follow,
            since=since,
            should_stop=should_stop,
        )

    return source


def parse_since(text: str | None) -> datetime | None:
    """RFC 3339 (what faas-cli sends), or None when absent or unreadable."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _stamped(lines: list[str], fallback: datetime) -> list[tuple[datetime, str]]:
    # Lines without a time of their own inherit the previous line's; the first ones, the
    # file's time (a safe upper bound: they were written before it).
    result: list[tuple[datetime, str]] = []
    current: datetime | None = None
    pending: list[str] = []
    for text in lines:
        found = _time_of(text)
        if found is not None:
            current = found
        if current is None:
            pending.append(text)
            continue
        result.append((current, text))
    return [(fallback, text) for text in pending] + result


def _time_of(text: str) -> datetime | None:
    match = _WATCHDOG_TIME.match(text)
    if match:
        return datetime.strptime(match[1], "%Y/%m/%d %H:%M:%S").replace(tzinfo=UTC)
    if text.startswith("{"):
        try:
            value = json.loads(text).get("time")
        except (ValueError, AttributeError):
            return None
        if isinstance(value, str):
            return parse_since(value)
    return None


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def _message(name: str, namespace: str, instance: str, stamp: datetime, text: str) -> str:
    entry = {
        "name": name,
        "namespace": namespace,
        "instance": instance,
        "timestamp": stamp.isoformat().replace("+00:00", "Z"),
        "text": text,
    }
    return json.dumps(entry) + "\n"
