"""`POST /callbacks/<job>?call=...&sig=...`: the queue worker reports how an attempt ended.

The URL is signed per attempt (gateway/http/auth.py checks it); the body and headers are the
function's answer, read by `gateway.jobs.callbacks`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request

from gateway.http.schemas import CallbackAnswer, reply
from gateway.jobs.batch_answers import read_batch
from gateway.jobs.callbacks import read_callback, settle_all
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.tokens import callback_jobs


def blueprint(
    *, ledger: Ledger, dispatcher: Dispatcher, metrics: Metrics, clock: Callable[[], float]
) -> Blueprint:
    routes = Blueprint("callbacks_api", __name__)

    @routes.post("/callbacks/<job_id>")
    def _callback(job_id: str) -> tuple[Response, int]:
        ids = callback_jobs(job_id, request.args.get("batch"))
        headers = dict(request.headers)
        outcomes = read_batch(headers, request.get_data(), ids)
        finished = settle_all(
            request.args.get("call", ""),
            outcomes,
            ledger=ledger,
            dispatcher=dispatcher,
            metrics=metrics,
            now=clock(),
            duration=read_callback(headers, b"").duration,
            service=headers.get("X-Function-Name", "").split(".", 1)[0],
        )
        first = finished.get(job_id)
        jobs = {i: str(finished[i].status) for i in ids if i in finished} if len(ids) > 1 else None
        if first is None and not jobs:
            return reply(CallbackAnswer(status="ignored", reason="not the job's current attempt"))
        status = str(first.status) if first is not None else "ignored"
        return reply(CallbackAnswer.model_validate({"status": status, "jobs": jobs}))

    return routes
