"""`POST /callbacks/<job>?call=...&sig=...`: the queue worker reports how an attempt ended.

The URL is signed per attempt (gateway/http/auth.py checks it); the body and headers are the
function's answer, read by `gateway.jobs.callbacks`. When a batch's invocation failed as a
whole, its call record says which of its jobs finished first (`gateway.jobs.call_records`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

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


class Callbacks:
    """What a callback settles and answers, for the Flask route and for the plain WSGI one in
    front of it (`gateway.http.callbacks_wsgi`); the caller has checked its signature."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        dispatcher: Dispatcher,
        metrics: Metrics,
        clock: Callable[[], float],
        records: RecordReader | None = None,
        bucket: str = "",
    ) -> None:
        """`records` and `bucket`: where the functions record results (none: not looked at)."""
        self._ledger = ledger
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._clock = clock
        self._records = records
        self._bucket = bucket

    def answer(
        self, job_id: str, *, batch: str | None, call: str, headers: Mapping[str, str], body: bytes
    ) -> CallbackAnswer:
        """The attempt `call` of `job_id` (and of its `batch`) ended as `headers` and `body` say."""
        ids = callback_jobs(job_id, batch)
        outcomes = read_batch(headers, body, ids)
        if len(ids) > 1 and not any(outcome.succeeded for _, outcome in outcomes):
            outcomes = self._recorded(call, ids, outcomes)
        finished = settle_all(
            call,
            outcomes,
            ledger=self._ledger,
            dispatcher=self._dispatcher,
            metrics=self._metrics,
            now=self._clock(),
            duration=read_callback(headers, b"").duration,
            service=headers.get("X-Function-Name", "").split(".", 1)[0],
        )
        first = finished.get(job_id)
        jobs = {i: str(finished[i].status) for i in ids if i in finished} if len(ids) > 1 else None
        if first is None and not jobs:
            return CallbackAnswer(status="ignored", reason="not the job's current attempt")
        status = str(first.status) if first is not None else "ignored"
        return CallbackAnswer.model_validate({"status": status, "jobs": jobs})

    def _recorded(self, call: str, ids: Sequence[str], outcomes: Outcomes) -> Outcomes:
        """A failed batch's outcomes, the jobs its call record says succeeded as successes."""
        first = self._ledger.get(ids[0])
        if self._records is None or not self._bucket or not call or first is None:
            return outcomes
        try:
            found = call_records(self._records, self._bucket, service=first.service, call_id=call)
        except GatewayError as e:  # MinIO unavailable: every job retried, as before records
            log.warning("call %s failed and its call record could not be read: %s", call, e)
            return outcomes
        return with_recorded(outcomes, found)


def blueprint(*, callbacks: Callbacks) -> Blueprint:
    """The route, for the app's table of routes: in the app, a POST is answered in front of
    Flask (`gateway.http.callbacks_wsgi`), the same way."""
    routes = Blueprint("callbacks_api", __name__)

    @routes.post("/callbacks/<job_id>")
    def _callback(job_id: str) -> tuple[Response, int]:
        return reply(
            callbacks.answer(
                job_id,
                batch=request.args.get("batch"),
                call=request.args.get("call", ""),
                headers=dict(request.headers),
                body=request.get_data(),
            )
        )

    return routes
