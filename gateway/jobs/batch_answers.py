"""What a batch's callback says about each of its jobs.

The supervisor answers a batch (`contract.batch`) with 200 and a result per job, named by the
job's id: `succeeded` with its outputs, or `failed` with the status and JSON a job alone would
have been answered with. So each job is settled on its own, and a failure retries only its job.
An answer that is not a 2xx (the invocation itself failed: a crashed replica, a watchdog
timeout) is every job's outcome. A job the answer names no result for failed, worth a retry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from gateway.jobs.callbacks import RETRYABLE_4XX, read_callback
from gateway.jobs.model import AttemptResult


def read_batch(
    headers: Mapping[str, str], body: bytes, job_ids: Sequence[str]
) -> list[tuple[str, AttemptResult]]:
    """Each job's outcome, in `job_ids`' order."""
    whole = read_callback(headers, body)
    if len(job_ids) == 1 or not whole.succeeded:
        return [(job_id, whole) for job_id in job_ids]
    results = _results(body)
    named = {str(r.get("job")): r for r in results if "job" in r}
    if not named and len(results) == len(job_ids):
        # A supervisor that knows nothing of batches ran the event's records in order.
        named = dict(zip(job_ids, results, strict=True))
    return [(job_id, _outcome(named.get(job_id), whole)) for job_id in job_ids]


def _results(body: bytes) -> list[dict[str, Any]]:
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return []
    found = document.get("results") if isinstance(document, dict) else None
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def _outcome(result: dict[str, Any] | None, whole: AttemptResult) -> AttemptResult:
    if result is None:
        return AttemptResult(
            False, whole.http_status, whole.duration, [], "", "the function's answer to its "
            "batch named no result for this job", retryable=True,
        )  # fmt: skip
    duration = result.get("duration_seconds")
    seconds = float(duration) if isinstance(duration, int | float) and duration >= 0 else None
    tail = str(result.get("log_tail") or "")
    if result.get("status", "succeeded") == "succeeded":
        found = result.get("outputs")
        outputs = [o for o in found if isinstance(o, str)] if isinstance(found, list) else []
        return AttemptResult(True, 200, seconds, outputs, tail, "", retryable=False)
    status = result.get("http_status")
    status = status if isinstance(status, int) and 100 <= status <= 599 else 500
    error = str(result.get("error") or "the job failed")
    retryable = status >= 500 or status in RETRYABLE_4XX
    return AttemptResult(False, status, seconds, [], tail, f"HTTP {status}: {error}", retryable)
