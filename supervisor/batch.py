"""A batch of jobs (`contract.batch`) in one invocation: each job run on its own, a result each.

A job's failure is its own: it is answered beside the others' results (with the status and the
JSON a job alone would have been answered with), and the gateway retries only that job. The
invocation itself succeeds whenever it could answer for every job. At most `parallel` jobs run
at once; with 1 (the default) one after another, so a service's concurrency still counts the
scripts that run at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from contract.job import Job
from supervisor.errors import SupervisorError
from supervisor.job import ObjectResult

log = logging.getLogger(__name__)
RunJob = Callable[[Job], ObjectResult]


def run_batch(run_job: RunJob, jobs: Sequence[Job], *, parallel: int) -> list[dict[str, Any]]:
    """The answer for each job, in the batch's order."""
    if parallel <= 1 or len(jobs) == 1:
        return [answer(run_job, job) for job in jobs]
    with ThreadPoolExecutor(min(parallel, len(jobs)), thread_name_prefix="batch") as pool:
        return list(pool.map(lambda job: answer(run_job, job), jobs))


def answer(run_job: RunJob, job: Job) -> dict[str, Any]:
    """One job's result: what `run_job` made of it, or its failure as a job alone reports it."""
    named = {"job": job.job_id, "attempt": job.attempt}
    try:
        result = run_job(job)
    except SupervisorError as e:
        log.warning("job %s (%s/%s) failed (%d): %s", job.job_id, job.bucket, job.key, e.status,
                    e.message)  # fmt: skip
        return {**named, **_failed(job, e.status), **e.payload()}
    except Exception as e:  # a bug of ours: this job fails, the batch's others still answer
        log.exception("job %s (%s/%s): unexpected error", job.job_id, job.bucket, job.key)
        return {**named, **_failed(job, 500), "error": f"internal error in the supervisor: "
                f"{type(e).__name__}"}  # fmt: skip
    return {**named, "status": "succeeded", "http_status": 200, **result.as_json()}


def _failed(job: Job, status: int) -> dict[str, Any]:
    return {"bucket": job.bucket, "key": job.key, "status": "failed", "http_status": status}
