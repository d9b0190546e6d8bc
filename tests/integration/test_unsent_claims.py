"""A gateway SIGKILLed between claiming an attempt and sending it: started again under its own
name (the local stack's `OSCAR_GATEWAY_NAME`), it queues that attempt again at once, where a
claim of a replica that is gone for good waits for its lease (30 s). The claims are made with
the ledger's own code while the real gateway is dead, as the killed one left them; the rest
(restart, send, function, callback) is the real stack."""

from __future__ import annotations

import logging
import time

from gateway.clients.storage import Storage
from gateway.jobs.model import NewJob
from gateway.jobs.reconciler import replay_record
from gateway.jobs.sql_ledger import LEASE_SECONDS
from gateway.jobs.sqlite_ledger import SqliteLedger
from tests.integration.test_gateway import deploy_service
from tests.support.ledger_claims import claim
from tests.support.services import job_detail, jobs, upload
from tests.support.stack import RunningStack
from tests.support.waiting import wait_for

log = logging.getLogger(__name__)


def claim_unsent(stack: RunningStack, bucket: str, service: str, claims: dict[str, str]) -> None:
    """For each key, a job claimed by the gateway named `claims[key]` and never sent."""
    minio = stack.status["minio"]
    storage = Storage(
        minio["endpoint"].removeprefix("http://"), access_key=minio["access_key"],
        secret_key=minio["secret_key"], secure=False, target_arn="",
    )  # fmt: skip
    listed = {item.key: item for item in storage.objects(bucket, "in/")}
    for key, name in claims.items():
        ledger = SqliteLedger(stack.state_dir / "gateway" / "ledger.db", replica=name)
        try:
            found = replay_record(bucket, listed[key])
            now = time.time()
            new = NewJob(service, bucket, key, found.identity, found.event_json(), 3, now)
            ledger.add([new])
            [claimed] = claim(ledger, service, limit=1, now=now, timeout=300)
            assert claimed.key == key
        finally:
            ledger.close()


def test_a_restarted_gateway_sends_its_own_unsent_claims_at_once_not_after_their_lease(
    stack: RunningStack,
) -> None:
    service = deploy_service(stack, "unsent", "ok")
    stack.kill_component("gateway")
    files = {"in/own.txt": b"claimed by this gateway", "in/gone.txt": b"by one gone for good"}
    upload(stack, service.input_bucket, files)  # no event reaches the dead gateway
    claimed = {"in/own.txt": "gateway", "in/gone.txt": "gateway-gone"}
    claim_unsent(stack, service.input_bucket, service.name, claimed)
    leased_at = time.monotonic()

    stack.restart_component("gateway")
    settled: dict[str, float] = {}

    def both_settled() -> dict[str, float] | None:
        for job in jobs(stack, service.name, "succeeded"):
            settled.setdefault(job["key"], time.monotonic() - leased_at)
        return settled if len(settled) == 2 else None

    wait_for(both_settled, timeout=LEASE_SECONDS + 60, what="both claimed jobs to succeed")

    assert settled["in/own.txt"] < 15, settled  # the restart and one run, not the lease
    assert settled["in/gone.txt"] >= LEASE_SECONDS, settled
    for job in jobs(stack, service.name):
        history = job_detail(stack, service.name, job["id"])["history"]
        assert [a["outcome"] for a in history] == ["abandoned", "succeeded"], history
    log.info("seconds from the claims to each job's success: %s", settled)
