"""The dispatcher: queued jobs to /async-function, overdue attempts back to the queue.

It sleeps until the next thing is due (a queued job's retry time or a running attempt's
deadline) or until woken by a new job or a callback: no fixed polling interval on the hot path.
Sends happen on a small pool, so a slow OpenFaaS never stops the loop; each service's
concurrency is the number of its invocations running at once. Under a backlog an invocation
carries a batch of jobs (`contract.batch`, sized by `gateway.jobs.batching`); each job keeps its
own status, attempts and retries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from contract.batch import Batch
from gateway.clients.openfaas import OpenFaaS
from gateway.errors import GatewayError, LedgerUnavailable
from gateway.jobs.batching import BatchSizer, hold_until
from gateway.jobs.leadership import Leadership
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import AttemptResult, Job, JobStatus, backoff_seconds
from gateway.services.registry import ServiceRegistry
from gateway.tokens import CallbackSigner

log = logging.getLogger(__name__)


class Launcher(Protocol):
    """Starts one attempt as a Kubernetes Job (`gateway.clients.kube_jobs.KubeJobs`)."""

    def start(
        self, function: str, *, job_id: str, call_id: str, event: str, deadline: float
    ) -> str: ...


MAX_SLEEP = 1.0
# How often a pass looks for attempts past their deadline or lease: not on every pass, which
# runs for each new job (on PostgreSQL each look is a round trip before the job is sent).
TIMEOUTS_EVERY = 1.0


class Dispatcher:
    def __init__(
        self,
        *,
        ledger: Ledger,
        openfaas: OpenFaaS,
        registry: ServiceRegistry,
        signer: CallbackSigner,
        public_url: str,
        metrics: Metrics,
        retry_base: float,
        retry_cap: float,
        clock: Callable[[], float] = time.time,
        senders: int = 8,
        leadership: Leadership | None = None,
        launcher: Launcher | None = None,
        results_bucket: str = "",
    ) -> None:
        """`leadership`: who runs the timeouts pass; None: the ledger's lock. `launcher`: runs
        the files of job-mode services as Kubernetes Jobs; None: job mode is off."""
        self._launcher = launcher
        self._ledger = ledger
        self._leadership: Leadership = leadership or ledger
        self._openfaas = openfaas
        self._registry = registry
        self._signer = signer
        self._public_url = public_url.rstrip("/")
        self._metrics = metrics
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self._clock = clock
        self._results_bucket = results_bucket
        self._timeouts_at = float("-inf")
        self._held_until = float("inf")  # the earliest end of a batching window being waited
        self.sizer = BatchSizer()
        self._wake = threading.Event()
        self._hints_lock = threading.Lock()
        self._hinted: set[str] = set()  # services woken for, claimed first in the next pass
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="dispatch")
        self._thread = threading.Thread(target=self._loop, name="dispatcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=False)

    def wake(self, services: Iterable[str] = ()) -> None:
        """Run a pass now. `services` have new due jobs: the pass claims theirs before it asks
        the ledger which services have due jobs, a round trip less on the way to their send."""
        if services:
            with self._hints_lock:
                self._hinted.update(services)
        self._wake.set()

    def arrived(self, jobs: list[Job]) -> None:
        """New jobs that every connection sees: those their insert claimed (`Ledger.add` with
        `batching.claim_terms`) are sent now, each its own invocation, without a pass; for the
        rest a pass claims them. A claim whose send cannot start (the dispatcher is stopping)
        is left to its lease: `release_own` at the next start, or another replica after it."""
        woken: set[str] = set()
        for job in jobs:
            if job.status != JobStatus.RUNNING:
                woken.add(job.service)
                continue
            self._metrics.dispatched(job, job.dispatched_at or self._clock())
            try:
                self._pool.submit(self._send, [job])
            except RuntimeError:  # the pool is shut down
                log.warning("job %s: claimed while stopping, left to its lease", job.id)
        if woken:
            self.wake(woken)

    def _take_hints(self) -> set[str]:
        with self._hints_lock:
            hinted, self._hinted = self._hinted, set()
        return hinted

    def retry_at(self, job: Job, now: float) -> float:
        return now + self.backoff(job.attempts)

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt of a job that made `attempts`."""
        return backoff_seconds(attempts, base=self._retry_base, cap=self._retry_cap)

    def seconds_to_wait(self, passed_at: float) -> float:
        """How long to sleep, unless woken, after a pass that ran at `passed_at`.

        A job that was already due when the pass ran and is still queued is held back by its
        service's concurrency (or its function is gone for now): only a callback, a given-up
        attempt or a new job can change that, and each of them wakes the loop. Sleeping until
        such a job's due time would mean not sleeping at all: a backlog larger than the
        concurrency would spin the loop and burn a CPU core.
        """
        due = self._ledger.next_due()
        held, self._held_until = self._held_until, float("inf")
        if due is None or due <= passed_at:
            due = None
        wake = min(held, due if due is not None else float("inf"))
        return min(MAX_SLEEP, max(0.0, wake - self._clock()))

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            passed_at = self._clock()
            try:
                self._pass(passed_at)
            except LedgerUnavailable as e:  # said in one line: it repeats until the ledger is back
                log.warning("dispatch pass skipped: %s", e.message)
            except Exception:  # the loop must outlive any one bad pass, and say so
                log.exception("dispatch pass failed")
            self._wake.wait(timeout=self.seconds_to_wait(passed_at))

    def _pass(self, now: float) -> None:
        hinted = self._take_hints()
        for name in hinted:
            self._dispatch(name, now)
        for name in self._ledger.services_with_due(now):
            if name not in hinted:  # a hinted service's claim took what its slots allow
                self._dispatch(name, now)
        self._timeouts(now)

    def _dispatch(self, name: str, now: float) -> None:
        """Claim `name`'s due jobs as far as its concurrency allows, and send them."""
        service = self._registry.find(name)
        if service is None:
            return  # its function is gone for now: the jobs wait, they are not lost
        # A job-mode service's files are Kubernetes Jobs, one each: never batched.
        size = 1 if service.job_mode else self.sizer.size(service)
        # The claim counts the service's invocations itself: a count before it is a round
        # trip to the ledger on the path to a job's start (most of a millisecond on
        # PostgreSQL), needed only to hold a batch while the service is busy.
        if service.batch_window and size > 1:
            running = self._ledger.calls_running(name)
            if running >= service.concurrency:
                return
            due, oldest = self._ledger.due_summary(name, now)
            until = hold_until(service, busy=running > 0, due=due, oldest=oldest, size=size)
            if until > now:
                self._held_until = min(self._held_until, until)
                return
        batches = self._ledger.claim_batches(
            name, size=size, now=now, timeout=service.timeout, concurrency=service.concurrency
        )
        for batch in batches:
            for job in batch:
                self._metrics.dispatched(job, now)
            self._pool.submit(self._send, batch)

    def _timeouts(self, now: float) -> None:
        # After the claims, which a new job waits for. Timeouts are one replica's work
        # (any could, each finish is checked under lock, but N replicas racing for every
        # overdue row is waste): the one that leads "timeouts".
        if now - self._timeouts_at >= TIMEOUTS_EVERY and self._leadership.leads("timeouts"):
            self._timeouts_at = now
            if released := self._ledger.release_expired(now):
                log.warning(
                    "%d claimed attempt(s) never sent (a replica died): queued again", released
                )
                self._wake.set()  # they are due: the next pass claims them
            for job in self._ledger.overdue(now):
                waited = (job.deadline_at or now) - (job.dispatched_at or now)
                self._give_up_on_attempt(job, f"no callback within {waited:.0f}s")

    def callback_url(self, jobs: list[Job]) -> str:
        """Signed for the invocation: its call id and every job it carries (a batch of one's
        URL is a single job's)."""
        ids = [job.id for job in jobs]
        call_id = jobs[0].call_id
        signature = self._signer.sign(",".join(ids), call_id)
        url = f"{self._public_url}/callbacks/{ids[0]}?call={call_id}&sig={signature}"
        return url + (f"&batch={','.join(ids[1:])}" if len(ids) > 1 else "")

    def _send(self, jobs: list[Job]) -> None:
        first = jobs[0]
        service = self._registry.find(first.service)
        if service is not None and service.job_mode:
            for job in jobs:  # a batch of one (job mode is never batched)
                self._start_job(job, service.timeout)
            return
        sent = tuple(job.sent(results_bucket=self._results_bucket) for job in jobs)
        try:
            status = self._openfaas.invoke_async(
                first.service,
                Batch(sent).to_json(),
                callback_url=self.callback_url(jobs),
                call_id=first.call_id,
                headers={"X-Oscar-Input": "event", "X-Oscar-Job": first.id},
            )
        except GatewayError as e:
            for job in jobs:
                self._give_up_on_attempt(job, f"could not queue the call: {e.message}")
            return
        if status != 202:
            for job in jobs:
                self._give_up_on_attempt(job, f"OpenFaaS answered {status} to the async call")
            return
        try:
            self._ledger.mark_sent_many([job.id for job in jobs], first.call_id)
        except GatewayError as e:  # their leases run out: another pass queues them again
            log.warning("job %s: sent, but its lease could not be ended: %s", first.id, e.message)

    def _start_job(self, job: Job, deadline: float) -> None:
        """The attempt as a Kubernetes Job; `gateway.jobs.job_mode` settles it when it ends."""
        if self._launcher is None:
            self._give_up_on_attempt(
                job,
                f"service {job.service} is in job mode (annotation oscar.job_mode), but this"
                " gateway runs no Kubernetes Jobs: set OSCAR_JOB_NAMESPACE (the chart's"
                " jobMode.enabled), or remove the annotation",
            )
            return
        try:
            event = job.sent().to_json().decode()
            self._launcher.start(
                job.service, job_id=job.id, call_id=job.call_id, event=event, deadline=deadline
            )
        except GatewayError as e:
            self._give_up_on_attempt(job, f"could not start its Kubernetes Job: {e.message}")
            return
        try:
            self._ledger.mark_sent(job.id, job.call_id)
        except GatewayError as e:
            log.warning("job %s: started, but its lease could not be ended: %s", job.id, e.message)

    def _give_up_on_attempt(self, job: Job, reason: str) -> None:
        now = self._clock()
        result = AttemptResult(False, log_tail=job.log_tail, error=reason)
        finished = self._ledger.finish(
            job.id, job.call_id, result, retry_at=self.retry_at(job, now), now=now
        )
        if finished is not None:
            self._metrics.finished(finished)
            log.warning(
                "job %s (%s/%s) attempt %d: %s", job.id, job.bucket, job.key, job.attempts, reason
            )
        self._wake.set()
