"""OSCAR's Job mode, the gateway's side: finished Kubernetes Jobs settle their attempts.

The dispatcher starts a job-mode service's attempt as a Kubernetes Job (`Launcher`); this loop
reads the Jobs that ended (`gateway.clients.kube_jobs`), turns each one's answer into what a
callback would have said, and settles it exactly as a callback does (`callbacks.settle`): the
same ledger record, attempts, retries with backoff and dead letters. A Job of an attempt that
is no longer current (it timed out and was retried) changes nothing. One replica runs it: the
one that leads "jobs".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from gateway.clients.job_answers import Finished, answer_of
from gateway.errors import GatewayError, NotFound
from gateway.jobs.callbacks import read_callback, settle
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.leadership import Leadership
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics

log = logging.getLogger(__name__)


class FinishedJobs(Protocol):
    def finished(self) -> list[Finished]: ...
    def settled(self, name: str) -> None: ...


class JobWatcher:
    def __init__(
        self,
        *,
        jobs: FinishedJobs,
        ledger: Ledger,
        dispatcher: Dispatcher,
        metrics: Metrics,
        leadership: Leadership,
        interval: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._jobs = jobs
        self._ledger = ledger
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._leadership = leadership
        self._interval = interval
        self._clock = clock
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="job-mode", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def pass_once(self) -> int:
        """Settle every Job that ended; how many."""
        count = 0
        for finished in self._jobs.finished():
            headers, body = answer_of(finished)
            outcome = read_callback(headers, body)
            try:
                job = settle(finished.job_id, finished.call_id, outcome, ledger=self._ledger,
                             dispatcher=self._dispatcher, metrics=self._metrics,
                             now=self._clock())  # fmt: skip
            except NotFound:
                job = None  # a Job of a job the ledger never had (another gateway's test)
            log.info(
                "Kubernetes Job %s (job %s) ended %s: %s",
                finished.name,
                finished.job_id,
                "succeeded" if finished.succeeded else "failed",
                job.status if job is not None else "not the current attempt",
            )
            self._jobs.settled(finished.name)
            count += 1
        return count

    def _loop(self) -> None:
        while not self._stopping.wait(self._interval):
            if not self._leadership.leads("jobs"):
                continue
            try:
                self.pass_once()
            except GatewayError as e:
                log.warning("job mode pass skipped: %s", e.message)
            except Exception:  # the loop must outlive any one bad pass
                log.exception("job mode pass failed")
