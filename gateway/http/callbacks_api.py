"""`POST /callbacks/<job>?call=...&sig=...`: the queue worker reports how an attempt ended.

The URL is signed per attempt (gateway/http/auth.py checks it); the body and headers are the
function's answer, read by `gateway.jobs.callbacks`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request

from gateway.http.schemas import CallbackAnswer, reply
from gateway.jobs.callbacks import read_callback, settle
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics


def blueprint(
    *, ledger: Ledger, dispatcher: Dispatcher, metrics: Metrics, clock: Callable[[], float]
) -> Blueprint:
    routes = Blueprint("callbacks_api", __name__)

    @routes.post("/callbacks/<job_id>")
    def _callback(job_id: str) -> tuple[Response, int]:
        outcome = read_callback(dict(request.headers), request.get_data())
        finished = settle(
            job_id,
            request.args.get("call", ""),
            outcome,
            ledger=ledger,
            dispatcher=dispatcher,
            metrics=metrics,
            now=clock(),
        )
        if finished is None:
            return reply(CallbackAnswer(status="ignored", reason="not the job's current attempt"))
        return reply(CallbackAnswer.model_validate({"status": str(finished.status)}))

    return routes
