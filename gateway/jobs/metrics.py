"""Prometheus metrics of the gateway, on a registry of its own (nothing global)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.jobs.model import Job, JobStatus

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class _JobStates(Collector):
    def __init__(self, counts: Callable[[], dict[tuple[str, str], int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "oscar_jobs", "Jobs by service and state", labels=["service", "status"]
        )
        for (service, status), count in sorted(self._counts().items()):
            family.add_metric([service, status], count)
        yield family


class Metrics:
    def __init__(self, counts: Callable[[], dict[tuple[str, str], int]]) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_JobStates(counts))
        self._events = Counter(
            "oscar_events_total",
            "Objects announced by MinIO, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self._to_dispatch = Histogram(
            "oscar_event_to_dispatch_seconds",
            "From the event's arrival to its job's dispatch",
            ["service"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._to_start = Histogram(
            "oscar_event_to_start_seconds",
            "From the event's arrival to the script's start",
            ["service"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._retries = Counter(
            "oscar_job_retries_total",
            "Attempts that failed and will retry",
            ["service"],
            registry=self.registry,
        )
        self._dead = Counter(
            "oscar_dead_letters_total",
            "Jobs that used up their attempts",
            ["service"],
            registry=self.registry,
        )
        self._succeeded = Counter(
            "oscar_jobs_succeeded_total", "Jobs that succeeded", ["service"], registry=self.registry
        )
        self._from_records = Counter(
            "oscar_attempts_settled_from_records_total",
            "Attempts settled from the function's result record, their callback overdue or lost",
            ["service"],
            registry=self.registry,
        )

    def event(self, outcome: str, count: int = 1) -> None:
        self._events.labels(outcome).inc(count)

    def dispatched(self, job: Job, now: float) -> None:
        if job.attempts == 1:
            self._to_dispatch.labels(job.service).observe(max(0.0, now - job.received_at))

    def finished(self, job: Job) -> None:
        if job.status == JobStatus.SUCCEEDED:
            self._succeeded.labels(job.service).inc()
            if job.attempts == 1 and job.started_at is not None:
                self._to_start.labels(job.service).observe(
                    max(0.0, job.started_at - job.received_at)
                )
        elif job.status == JobStatus.DEAD:
            self._dead.labels(job.service).inc()
        else:
            self._retries.labels(job.service).inc()

    def settled_from_record(self, job: Job) -> None:
        self._from_records.labels(job.service).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
