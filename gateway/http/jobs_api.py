"""A service's jobs: `GET /system/jobs/<svc>[/<job>]`, `POST /system/services/<svc>/replay`
to give input objects with no job one (and, with `?dead=true`, dead letters another chance),
and `GET /system/activity/<svc>[?minutes=]`: its jobs per minute and their latency."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Blueprint, Response, request

from gateway.errors import BadRequest, NotFound
from gateway.http.dashboard_schemas import Activity, Minute
from gateway.http.query import bounded_int, flag
from gateway.http.schemas import Job, JobDetail, JobPage, Replayed, reply
from gateway.jobs.activity import activity
from gateway.jobs.intake import Intake
from gateway.jobs.ledger import Ledger
from gateway.jobs.model import LISTED
from gateway.services.registry import ServiceRegistry

STATES = [s.value for s in LISTED]


def blueprint(
    *,
    ledger: Ledger,
    registry: ServiceRegistry,
    intake: Intake,
    clock: Callable[[], float] = time.time,
) -> Blueprint:
    routes = Blueprint("jobs_api", __name__)

    @routes.get("/system/jobs/<name>")
    def _jobs(name: str) -> tuple[Response, int]:
        status = request.args.get("status") or None
        if status is not None and status not in STATES:
            raise BadRequest(f"status must be one of {STATES}")
        limit = bounded_int("limit", default=50, low=1, high=1000)
        offset = bounded_int("offset", default=0, low=0, high=10**9)
        total = ledger.total(name, status=status)
        if total == 0 and registry.find(name) is None and ledger.total(name, status=None) == 0:
            # A removed service keeps its history; a name never seen is a mistake to point out.
            raise NotFound(f"service {name!r} does not exist and has no jobs")
        jobs = ledger.page(name, status=status, limit=limit, offset=offset)
        page = JobPage(
            jobs=[Job.from_row(j) for j in jobs], limit=limit, offset=offset, total=total
        )
        return reply(page)

    @routes.get("/system/jobs/<name>/<job_id>")
    def _job(name: str, job_id: str) -> tuple[Response, int]:
        job = ledger.get(job_id)
        if job is None or job.service != name:
            raise NotFound(f"job {job_id} of service {name!r} does not exist")
        return reply(JobDetail.from_rows(job, ledger.attempts(job_id)))

    @routes.get("/system/activity/<name>")
    def _activity(name: str) -> tuple[Response, int]:
        minutes = bounded_int("minutes", default=60, low=1, high=24 * 60)
        window = activity(
            lambda limit, offset: ledger.page(name, status=None, limit=limit, offset=offset),
            now=clock(),
            minutes=minutes,
        )
        shown = [
            Minute(
                start=m.start,
                jobs=m.jobs,
                latency_median=m.latency_median,
                latency_max=m.latency_max,
            )
            for m in window
        ]
        return reply(Activity(service=name, since=window[0].start, minutes=shown))

    @routes.post("/system/services/<name>/replay")
    def _replay(name: str) -> tuple[Response, int]:
        job_id = request.args.get("job") or None
        replayed = intake.replay(registry.get(name), dead=flag("dead"), job_id=job_id)
        return reply(Replayed(queued=replayed.queued, requeued_dead=replayed.requeued_dead), 202)

    return routes
