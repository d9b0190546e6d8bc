"""What a finished Kubernetes Job of Job mode said, and that outcome in a callback's terms: apart
from `gateway.clients.kube_jobs` so that the gateway imports the Kubernetes client only when
it runs with Job mode or a Lease (the client is some 55 MiB of a gateway's memory)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Finished:
    """A Job that ended: whose attempt it was, and what its pod said."""

    name: str
    job_id: str
    call_id: str
    succeeded: bool
    message: str  # the termination message: the supervisor's JSON answer, or ""
    exit_code: int | None
    reason: str  # Kubernetes' reason when the pod gave no answer (DeadlineExceeded, ...)
    log_tail: str
    duration: float | None


def answer_of(finished: Finished) -> tuple[dict[str, str], bytes]:
    """The Job's outcome in a callback's terms (X-Function-Status and body), so that it settles
    as any job's callback does."""
    try:
        document = json.loads(finished.message) if finished.message else None
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("http_status"), int):
        status = document["http_status"]
        if not document.get("log_tail") and finished.log_tail and not finished.succeeded:
            document["log_tail"] = finished.log_tail
        body = json.dumps(document).encode()
    else:  # no answer from the supervisor: killed, out of its deadline, image not pulled
        status = 504 if "Deadline" in finished.reason else 502
        why = finished.reason or f"exit code {finished.exit_code}"
        body = json.dumps(
            {"log_tail": finished.log_tail, "error": f"the Job's pod: {why}"}
        ).encode()
    headers = {"X-Function-Status": str(status)}
    if finished.duration is not None:
        headers["X-Duration-Seconds"] = str(finished.duration)
    return headers, body
