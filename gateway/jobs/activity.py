"""A service's last hour, minute by minute: how many jobs came in (by their status now) and
how long each waited from its upload to its script's start. Read from the ledger's pages,
newest first, until the first job older than the window: the dashboard's activity chart."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.jobs.model import Job

PAGE = 500


@dataclass
class MinuteActivity:
    start: float
    jobs: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    @property
    def latency_median(self) -> float | None:
        return statistics.median(self.latencies) if self.latencies else None

    @property
    def latency_max(self) -> float | None:
        return max(self.latencies) if self.latencies else None


def activity(
    page: Callable[[int, int], list[Job]], *, now: float, minutes: int
) -> list[MinuteActivity]:
    """`page(limit, offset)` reads the service's jobs newest first; one entry per minute,
    oldest first, the last one the minute `now` is in."""
    last = now - now % 60
    first = last - 60 * (minutes - 1)
    window = [MinuteActivity(start=first + 60 * n) for n in range(minutes)]
    offset = 0
    while True:
        jobs = page(PAGE, offset)
        for job in jobs:
            if job.received_at < first:
                return window
            slot = window[min(minutes - 1, int((job.received_at - first) // 60))]
            slot.jobs[job.status.value] = slot.jobs.get(job.status.value, 0) + 1
            if job.started_at is not None:
                slot.latencies.append(max(0.0, job.started_at - job.received_at))
        if len(jobs) < PAGE:
            return window
        offset += PAGE
