"""Three gateways on one PostgreSQL ledger while files keep arriving: two of them are SIGKILLed
in turn and PostgreSQL is restarted once, and still every acknowledged upload ends with exactly
one job, succeeded with its one output or dead-lettered with a reason.

MinIO notifies the first gateway (docs/RELIABILITY.md says why); the others claim and send jobs
from the shared ledger and take callbacks, so a killed one leaves claims (taken over when their
lease ends) and attempts in flight (their callbacks are lost: retried after the timeout).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable

from tests.reliability.services import deploy_service
from tests.reliability.test_faults import CALLBACK_TIMEOUT, MAX_ATTEMPTS, settle
from tests.reliability.uploader import Uploader
from tests.replicas.conftest import GATEWAYS
from tests.support.postgres import PostgresServer
from tests.support.stack import RunningStack, status_of
from tests.support.waiting import wait_for

log = logging.getLogger(__name__)
UPLOADS = int(os.environ.get("OSCAR_REPLICA_UPLOADS", "2000"))
RATE = 50.0  # as the reliability tier: about what the stack processes on 2 CPUs


def test_status_lists_every_gateway_with_its_url_and_pid(stack: RunningStack) -> None:
    gateways = status_of(stack.env)["gateways"]

    assert [g["name"] for g in gateways] == ["gateway", "gateway-2", "gateway-3"]
    assert len({g["url"] for g in gateways}) == len({g["pid"] for g in gateways}) == GATEWAYS
    for gateway in gateways:
        answer = stack.gateway.get(f"{gateway['url']}/health", timeout=10)
        assert answer.json() == {"status": "ok"}


def test_uploads_through_gateway_kills_and_a_postgresql_restart_each_end_once(
    stack: RunningStack, postgres: PostgresServer
) -> None:
    service = deploy_service(
        stack,
        "replicated",
        "ok",
        annotations={"oscar.timeout": CALLBACK_TIMEOUT, "oscar.max_attempts": MAX_ATTEMPTS},
        replicas=2,
    )
    uploader = Uploader(stack.minio, service.input_bucket, count=UPLOADS, rate=RATE)

    def kill(name: str) -> Callable[[], None]:
        def inject() -> None:
            stack.kill_component(name)
            stack.restart_component(name)  # as its supervisor (systemd, Kubernetes) would

        return inject

    def restart_postgres() -> None:
        postgres.stop()
        postgres.start()

    faults: list[tuple[float, str, Callable[[], None]]] = [
        (0.15, "SIGKILL gateway-2", kill("gateway-2")),
        (0.40, "restart PostgreSQL", restart_postgres),
        (0.65, "SIGKILL gateway-3", kill("gateway-3")),
    ]
    uploader.start()
    try:
        for share, what, inject in faults:

            def reached(share: float = share) -> bool:
                return uploader.finished() or uploader.count >= share * UPLOADS

            wait_for(reached, timeout=share * UPLOADS / RATE + 60, what=f"uploads, to {what}")
            log.info("%s after %d uploads", what, uploader.count)
            inject()
        wait_for(uploader.finished, timeout=UPLOADS / RATE + 60, what="every upload sent")
    finally:
        uploader.stop()
    acknowledged = uploader.acknowledged
    assert len(acknowledged) == UPLOADS

    final = settle(stack, service, set(acknowledged))

    log.info("jobs %s", dict(Counter(j["status"] for j in final)))
    assert Counter(j["key"] for j in final) == Counter(list(acknowledged))  # one each, no other
    assert all(j["error"] for j in final if j["status"] == "dead")
    succeeded = [j for j in final if j["status"] == "succeeded"]
    assert all(j["outputs"] == [service.output_key(j["key"])] for j in succeeded)
