"""Announced objects become jobs: routed to services, written to the ledger, the dispatcher woken.

The webhook (`POST /events`), a direct submission (`POST /job/<svc>`) and a replay
(`POST /system/services/<svc>/replay`) all arrive here. The ledger holds the jobs before the
caller hears an answer, so MinIO's 2xx means the event is durable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.jobs.batching import claim_terms
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.events import Announced
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import Job, NewJob
from gateway.jobs.reconciler import Reconciler
from gateway.services.model import Service, route
from gateway.services.registry import ServiceRegistry


@dataclass(frozen=True)
class Enqueued:
    """What one notification made: new jobs, objects that had one, objects no service takes."""

    created: list[Job]
    duplicates: int
    unrouted: int
    ignored: int


@dataclass(frozen=True)
class Replay:
    queued: int
    requeued_dead: int


class Intake:
    def __init__(
        self,
        *,
        ledger: Ledger,
        registry: ServiceRegistry,
        dispatcher: Dispatcher,
        reconciler: Reconciler,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ledger = ledger
        self._registry = registry
        self._dispatcher = dispatcher
        self._reconciler = reconciler
        self._metrics = metrics
        self._clock = clock

    def notified(self, announced: list[Announced], *, ignored: int, storage: str = "") -> Enqueued:
        """A MinIO notification: each object becomes a job of every service that takes it.
        `storage` is the host:port of the MinIO it came from when not the platform's."""
        services = self._registry.all()
        enqueued = self._enqueue(
            announced, lambda a: route(services, a.bucket, a.key, storage=storage), ignored
        )
        self._metrics.event("ignored", ignored)
        return enqueued

    def submitted(self, service: Service, announced: list[Announced], *, ignored: int) -> Enqueued:
        """A notification for one service: the objects it takes become its jobs."""
        return self._enqueue(
            announced,
            lambda a: (
                [service] if service.matches(a.bucket, a.key, storage=service.storage) else []
            ),
            ignored,
        )

    def replay(self, service: Service, *, dead: bool, job_id: str | None = None) -> Replay:
        """Input objects with no job get one; with `dead`, dead letters are queued again.

        With `job_id`, only that dead letter is queued again, and no listing is made."""
        if job_id is not None:
            requeued = self._ledger.requeue_dead(service.name, self._clock(), job_id=job_id)
            if requeued:
                self._dispatcher.wake()
            return Replay(0, requeued)
        queued = self._reconciler.replay(service)
        requeued = self._ledger.requeue_dead(service.name, self._clock()) if dead else 0
        if requeued:
            self._dispatcher.wake()
        return Replay(queued, requeued)

    def _enqueue(
        self,
        announced: list[Announced],
        services: Callable[[Announced], list[Service]],
        ignored: int,
    ) -> Enqueued:
        now = self._clock()
        routes = [(a, services(a)) for a in announced]
        new_jobs = [
            NewJob(s.name, a.bucket, a.key, a.identity, a.event_json(), s.max_attempts, now)
            for a, taken in routes
            for s in taken
        ]
        unrouted = sum(1 for _, taken in routes if not taken)
        # Durable before MinIO hears 2xx; the dispatcher may start on them a little sooner:
        # a job of an idle service is claimed by its insert and sent at once.
        routed = {s.name: s for _, taken in routes for s in taken}.values()
        terms = claim_terms(routed, sizer=self._dispatcher.sizer, now=self._clock())
        results = self._ledger.add(new_jobs, visible=self._dispatcher.arrived, claim=terms)
        created = [job for job, new in results if new]
        self._metrics.event("queued", len(created))
        self._metrics.event("duplicate", len(results) - len(created))
        self._metrics.event("unrouted", unrouted)
        return Enqueued(created, len(results) - len(created), unrouted, ignored)
