"""What a queue-worker callback (`read_callback`) or the function's result record
(`read_record`, `contract.results`) says about an attempt, turned into the job's next state
(`settle`)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from contract.results import AttemptRecord
from gateway.errors import NotFound
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import AttemptResult, Job

# The supervisor answers 4xx when retrying cannot help (bad event, input gone); these two are
# the exceptions that can pass with time.
RETRYABLE_4XX = {408, 429}


def read_callback(headers: Mapping[str, str], body: bytes) -> AttemptResult:
    status = _int(headers.get("X-Function-Status"))
    duration = _float(headers.get("X-Duration-Seconds"))
    document = _json(body)
    if status is not None and 200 <= status < 300:
        results = document.get("results") if isinstance(document, dict) else None
        outputs: list[str] = []
        tails: list[str] = []
        for result in results if isinstance(results, list) else []:
            if isinstance(result, dict):
                found = result.get("outputs")
                # Output keys are strings; a function answering anything else names none.
                outputs += (
                    [o for o in found if isinstance(o, str)] if isinstance(found, list) else []
                )
                tails.append(str(result.get("log_tail") or ""))
        tail = "\n".join(t for t in tails if t)
        return AttemptResult(True, status, duration, outputs, tail, "", retryable=False)
    error = ""
    tail = ""
    if isinstance(document, dict):
        error = str(document.get("error") or "")
        tail = str(document.get("log_tail") or "")
    if not error:
        error = body[:500].decode("utf-8", "replace").strip() or "the function failed"
    if status is None:
        error = f"the callback carried no X-Function-Status; {error}"
    # A 4xx is final only when the function itself says why (the supervisor's JSON `error`):
    # the platform answers 4xx too while a function is briefly missing (a provider restart),
    # and a retry then succeeds.
    from_function = isinstance(document, dict) and isinstance(document.get("error"), str)
    retryable = _retryable(status) or not from_function
    return AttemptResult(False, status, duration, [], tail, f"HTTP {status}: {error}", retryable)


def read_record(record: AttemptRecord) -> AttemptResult:
    """The attempt's end as the function recorded it: what its callback would have said."""
    if record.succeeded:
        outputs = list(record.outputs)
        return AttemptResult(
            True, record.http_status, record.duration_seconds, outputs, record.log_tail, "", False
        )
    error = f"HTTP {record.http_status}: {record.error or 'the function failed'}"
    return AttemptResult(
        False,
        record.http_status,
        record.duration_seconds,
        [],
        record.log_tail,
        error,
        retryable=_retryable(record.http_status),  # a record is always the function's own word
    )


def _retryable(status: int | None) -> bool:
    return status is None or status >= 500 or status in RETRYABLE_4XX


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return None


def _int(text: str | None) -> int | None:
    """An HTTP status: three ASCII digits (str.isdigit() also takes '²', which int() refuses,
    and a longer number does not fit the ledger's INTEGER)."""
    digits = (text or "").strip()
    return int(digits) if len(digits) == 3 and digits.isascii() and digits.isdigit() else None


def _float(text: str | None) -> float | None:
    """A duration in seconds: finite and not negative, or unknown (None)."""
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and value >= 0 else None


def settle(
    job_id: str,
    call_id: str,
    outcome: AttemptResult,
    *,
    ledger: Ledger,
    dispatcher: Dispatcher,
    metrics: Metrics,
    now: float,
) -> Job | None:
    """The attempt `call_id` of the job ended as `outcome`: the job's new state, or None when the
    call is not the job's current attempt (a stale callback changes nothing)."""
    finished = settle_all(
        call_id, [(job_id, outcome)], ledger=ledger, dispatcher=dispatcher, metrics=metrics,
        now=now, duration=outcome.duration,
    )  # fmt: skip
    return finished.get(job_id)


def settle_all(
    call_id: str,
    outcomes: Sequence[tuple[str, AttemptResult]],
    *,
    ledger: Ledger,
    dispatcher: Dispatcher,
    metrics: Metrics,
    now: float,
    duration: float | None,
    service: str = "",
) -> dict[str, Job]:
    """The invocation `call_id` ended, each of its jobs as its outcome, settled in one
    transaction: the jobs it finished by id (a job whose current attempt is another call is
    left alone). `duration` is the invocation's own (X-Duration-Seconds), which dates the
    start of its jobs and teaches the dispatcher how long this service's jobs take (`service`
    names it when no job was finished: the queue-worker's X-Function-Name)."""
    started = None if duration is None else now - duration
    finished, missing = ledger.settle_many(
        call_id, outcomes, started_at=started, backoff=dispatcher.backoff, now=now
    )
    if missing and len(missing) == len(outcomes):
        raise NotFound(f"job {missing[0]} does not exist")
    for job in finished:
        metrics.finished(job)
    if finished:
        dispatcher.wake()
    # Late (stale) answers teach it too: a batch that overran its deadline shrinks the next.
    service = finished[0].service if finished else service
    if duration is not None and service:
        dispatcher.sizer.observe(service, duration / len(outcomes))
    return {job.id: job for job in finished}
