"""What the listing commands show: tables for services, jobs, a job's history and bucket keys."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from oscar_cli.storage import Entry

STATUS_STYLE = {"queued": "cyan", "running": "yellow", "succeeded": "green", "dead": "red"}
SHORT_ID = 8


def services_table(services: Sequence[dict[str, Any]], *, tokens: bool) -> Table:
    table = Table(box=None, pad_edge=False)
    columns = ["name", "input", "output", "suffixes", "attempts", "concurrency"]
    for column in [*columns, *(["token"] if tokens else [])]:
        table.add_column(column, overflow="fold")
    for s in services:
        # OSCAR's shape: input and output are lists of storage entries (one each here).
        source = (s.get("input") or [{}])[0]
        output = (s.get("output") or [{}])[0].get("path") or "-"
        row = [
            s["name"],
            source.get("path") or "-",
            output,
            ",".join(source.get("suffix") or []) or "*",
            str(s.get("max_attempts", "")),
            str(s.get("concurrency", "")),
        ]
        if tokens:
            row.append(str(s.get("token", "")))
        table.add_row(*(escape(cell) for cell in row))
    return table


def jobs_table(jobs: Sequence[dict[str, Any]], *, now: float | None = None) -> Table:
    now = time.time() if now is None else now
    table = Table(box=None, pad_edge=False)
    for column in ("id", "key", "status", "attempts", "duration", "outputs", "age"):
        table.add_column(column, overflow="fold")
    for j in jobs:
        status = str(j["status"])
        table.add_row(
            str(j["id"])[:SHORT_ID],
            escape(str(j["key"])),
            f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]",
            f"{j['attempts']}/{j['max_attempts']}",
            seconds(j.get("duration_seconds")),
            str(len(j.get("outputs") or [])),
            age(j.get("received_at"), now),
        )
    return table


def job_lines(job: dict[str, Any]) -> list[str]:
    """A job's summary, attempts history, outputs and log tail, as plain lines."""
    lines = [
        f"job {job['id']}  {job['bucket']}/{job['key']}",
        f"status {job['status']}, attempt {job['attempts']} of {job['max_attempts']}, "
        f"duration {seconds(job.get('duration_seconds'))}",
    ]
    if job.get("error"):
        lines.append(f"error: {job['error']}")
    history = job.get("history") or []
    if history:
        lines.append("attempts:")
    for a in history:
        status = f" (HTTP {a['http_status']})" if a.get("http_status") else ""
        error = f": {a['error']}" if a.get("error") else ""
        lines.append(
            f"  #{a['number']} {a.get('outcome') or 'pending'}{status} at "
            f"{stamp(a.get('dispatched_at'))}, {seconds(a.get('duration_seconds'))}{error}"
        )
    for key in job.get("outputs") or []:
        lines.append(f"output: {key}")
    tail = str(job.get("log_tail") or "").rstrip("\n")
    lines.append("--- log tail ---" if tail else "(no log)")
    lines.extend(tail.splitlines())
    return lines


def entries_table(entries: Sequence[Entry], *, buckets: bool) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("bucket",) if buckets else ("key", "size", "modified"):
        table.add_column(column, overflow="fold", justify="right" if column == "size" else "left")
    for e in entries:
        if buckets:
            table.add_row(escape(e.key))
        else:
            size = "" if e.folder or e.size is None else size_text(e.size)
            modified = e.modified.isoformat(timespec="seconds") if e.modified else ""
            table.add_row(escape(e.key), size, modified)
    return table


def entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "size": entry.size,
        "modified": entry.modified.isoformat() if entry.modified else None,
        "etag": entry.etag,
        "folder": entry.folder,
    }


def seconds(value: Any) -> str:
    if value is None:
        return "-"
    value = float(value)
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.1f}s"


def age(since: Any, now: float) -> str:
    if since is None:
        return "-"
    elapsed = max(0.0, now - float(since))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if elapsed >= size:
            return f"{int(elapsed // size)}{unit}"
    return f"{int(elapsed)}s"


def stamp(value: Any) -> str:
    if value is None:
        return "-"
    return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%d %H:%M:%S")


def size_text(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{size}B"
