"""How many jobs a service's next invocation carries, and whether its jobs wait to fill one.

Batches exist to spread an invocation's fixed cost (the async call, NATS, the queue-worker, the
provider's proxy, the watchdog, the callback: some 10 to 20 ms of CPU) over several files. That
only pays for short jobs, and a batch of long ones would run past the watchdog's timeout, so a
batch is sized by what the service's jobs took lately: as many as fit in `BUDGET_SECONDS`, at
most the service's `batch_size`, and one until a first job has been timed. With no backlog the
dispatcher sends each job as it comes (the ledger spreads due jobs over free slots first), so an
idle service's latency does not grow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from gateway.jobs.model import ClaimTerms
from gateway.services.model import Service

# How long one batch should run at most, from the service's recent per-job durations. The
# per-job duration is wall time, which grows with the jobs running beside it: at 8 at once on
# two cores a 1 KiB copy took about 0.15 s, so a budget of one second kept batches at 6-7 jobs,
# and each invocation costs some 13-16 ms of CPU across the platform (measured: a batch size
# of 1 against the default, bench.throughput_probe). Three seconds gave 8-19 jobs a call and
# 0.4-2 ms less CPU a file (docs/BENCHMARKS.md, issue 15).
BUDGET_SECONDS = 3.0
# Weight of the newest duration in the running average.
SMOOTHING = 0.2


class BatchSizer:
    def __init__(self) -> None:
        self._seconds: dict[str, float] = {}  # service -> recent seconds per job
        self._lock = threading.Lock()

    def observe(self, service: str, seconds_per_job: float) -> None:
        """A callback's time per job (its invocation's duration over its jobs)."""
        if not seconds_per_job >= 0:  # NaN and negatives say nothing
            return
        with self._lock:
            known = self._seconds.get(service)
            self._seconds[service] = (
                seconds_per_job if known is None else known + SMOOTHING * (seconds_per_job - known)
            )

    def size(self, service: Service) -> int:
        """Jobs per invocation for `service` now: 1 while its jobs' duration is unknown."""
        if service.batch_size <= 1:
            return 1
        with self._lock:
            seconds = self._seconds.get(service.name)
        if seconds is None:
            return 1
        fits = int(BUDGET_SECONDS / seconds) if seconds > 0 else service.batch_size
        return max(1, min(service.batch_size, fits))


def hold_until(service: Service, *, busy: bool, due: int, oldest: float | None, size: int) -> float:
    """Until when a service's due jobs wait to fill a batch (a time in the past: send now).

    Only a busy service waits (one whose invocations are running; an idle one sends at once),
    only while fewer than a batch's worth are due, and at most `batch_window` seconds after
    its oldest due job became due."""
    if not service.batch_window or not busy or oldest is None or due >= size:
        return float("-inf")
    return oldest + service.batch_window


def claim_terms(
    services: Iterable[Service], *, sizer: BatchSizer, now: float
) -> dict[str, ClaimTerms]:
    """How the ledger may claim each service's new jobs by their own inserts (`Ledger.add`):
    as the dispatcher would claim them on an idle service. A job-mode service's jobs are never
    batched; a service that batches with a window waits while busy (`hold_until`)."""
    terms: dict[str, ClaimTerms] = {}
    for service in services:
        if service.concurrency <= 0:
            continue
        size = 1 if service.job_mode else sizer.size(service)
        hold = bool(service.batch_window) and size > 1
        terms[service.name] = ClaimTerms(now, service.timeout, service.concurrency, hold)
    return terms
