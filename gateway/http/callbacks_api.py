"""`POST /callbacks/<job>?call=...&sig=...`: the queue worker reports how an attempt ended.

The URL is signed per attempt (gateway/http/auth.py checks it); the body and headers are the
function's answer, read by `gateway.jobs.callbacks`. When a batch's invocation failed as a
whole, its call record says which of its jobs finished first (`gateway.jobs.call_records`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from flask import Blueprint, Response, request

from gateway.errors import GatewayError
from gateway.http.schemas import CallbackAnswer, reply
from gateway.jobs.batch_answers import read_batch
from gateway.jobs.call_records import RecordReader, call_records, with_recorded
from gateway.jobs.callbacks import read_callback, settle_all
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import AttemptResult
from gateway.tokens import callback_jobs

log = logging.getLogger(__name__)
Outcomes = list[tuple[str, AttemptResult]]


def blueprint(
    *,
    ledger: Ledger,
    dispatcher: Dispatcher,
    metrics: Metrics,
    clock: Callable[[], float],
    records: RecordReader | None = None,
    bucket: str = "",
) -> Blueprint:
    """`records` and `bucket`: where the functions record results (none: not looked at)."""
    routes = Blueprint("callbacks_api", __name__)

    def recorded(call: str, ids: Sequence[str], outcomes: Outcomes) -> Outcomes:
        """A failed batch's outcomes, the jobs its call record says succeeded as successes."""
        first = ledger.get(ids[0])
        if records is None or not bucket or not call or first is None:
            return outcomes
        try:
            found = call_records(records, bucket, service=first.service, call_id=call)
        except GatewayError as e:  # MinIO unavailable: every job retried, as before records
            log.warning("call %s failed and its call record could not be read: %s", call, e)
            return outcomes
        return with_recorded(outcomes, found)

    @routes.post("/callbacks/<job_id>")
    def _callback(job_id: str) -> tuple[Response, int]:
        ids = callback_jobs(job_id, request.args.get("batch"))
        headers = dict(request.headers)
        call = request.args.get("call", "")
        outcomes = read_batch(headers, request.get_data(), ids)
        if len(ids) > 1 and not any(outcome.succeeded for _, outcome in outcomes):
            outcomes = recorded(call, ids, outcomes)
        finished = settle_all(
            call,
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
