"""Storage events in: `POST /events` (MinIO's webhook) and `POST /job/<svc>` (one service).

Another MinIO than the platform's, where an FDL storage provider puts a service's input, posts
to `/events?storage=<its host:port>` (as the service's endpoint names it), so that its buckets
are never mistaken for the platform's buckets of the same name.

Both answer what the notification made (`Queued`) once its jobs are in the ledger.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from gateway.http.schemas import Queued, QueuedJob, reply
from gateway.jobs.events import parse_notification
from gateway.jobs.intake import Enqueued, Intake
from gateway.services.registry import ServiceRegistry


def blueprint(*, intake: Intake, registry: ServiceRegistry) -> Blueprint:
    routes = Blueprint("events_api", __name__)

    @routes.post("/events")
    def _events() -> tuple[Response, int]:
        announced, ignored = parse_notification(request.get_data())
        storage = request.args.get("storage", "")
        return reply(queued(intake.notified(announced, ignored=ignored, storage=storage)))

    @routes.post("/job/<name>")
    def _job(name: str) -> tuple[Response, int]:
        service = registry.get(name)
        announced, ignored = parse_notification(request.get_data())
        return reply(queued(intake.submitted(service, announced, ignored=ignored)), 202)

    return routes


def queued(enqueued: Enqueued) -> Queued:
    return Queued(
        jobs=[QueuedJob(id=j.id, service=j.service, key=j.key) for j in enqueued.created],
        duplicates=enqueued.duplicates,
        unrouted=enqueued.unrouted,
        ignored=enqueued.ignored,
    )
