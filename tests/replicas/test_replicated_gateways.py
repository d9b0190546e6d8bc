"""Three gateways on one PostgreSQL ledger while files keep arriving: two of them are SIGKILLed
in turn and PostgreSQL is restarted once, and still every acknowledged upload ends with exactly
one job, succeeded with its one output or dead-lettered with a reason.

MinIO notifies every gateway (one webhook target each; the ledger's identity keeps one job of
an event), so a killed one costs no event; it leaves claims (taken over when their lease ends)
and attempts in flight (their callbacks are lost: retried after the timeout).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from tests.reliability.services import deploy_service
from tests.reliability.test_faults import CALLBACK_TIMEOUT, MAX_ATTEMPTS, settle
from tests.reliability.uploader import Uploader
from tests.replicas.conftest import GATEWAYS
from tests.support.postgres import PostgresServer
from tests.support.services import upload
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


def events_taken(stack: RunningStack, url: str) -> Counter[str]:
    """The gateway's `oscar_events_total` by outcome (queued, duplicate...)."""
    answer = stack.gateway.get(f"{url}/metrics", timeout=10)
    answer.raise_for_status()
    taken: Counter[str] = Counter()
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "oscar_events_total":
                taken[sample.labels["outcome"]] += int(sample.value)
    return taken


def test_with_the_first_gateway_killed_the_others_take_every_event_at_once(
    stack: RunningStack,
) -> None:
    service = deploy_service(stack, "survivors", "ok", replicas=1)

    def targets() -> set[str]:
        rules = stack.minio.get_bucket_notification(service.input_bucket).queue_config_list
        return {str(r.queue) for r in rules}

    # Each gateway keeps its own target's rule; one's write may drop another's for a moment.
    wait_for(lambda: len(targets()) == GATEWAYS, timeout=30, what="a rule for each gateway")
    others = [g["url"] for g in status_of(stack.env)["gateways"] if g["name"] != "gateway"]
    before = {url: events_taken(stack, url) for url in others}
    stack.kill_component("gateway")
    files = {f"in/{n:03d}.txt": f"file {n}\n".encode() for n in range(40)}
    try:
        upload(stack, service.input_bucket, files)

        def done() -> list[dict[str, object]] | None:
            answer = stack.gateway.get(f"{others[0]}/system/jobs/{service.name}", timeout=10)
            found: list[dict[str, object]] = answer.json()["jobs"]
            finished = [j for j in found if j["status"] == "succeeded"]
            return found if len(finished) == len(files) else None

        # Well within the reconciler's 60 s: the events themselves made these jobs.
        found = wait_for(done, timeout=30, what="the files' jobs, with the first gateway dead")
    finally:
        stack.restart_component("gateway")
    assert sorted(str(j["key"]) for j in found) == sorted(files)
    taken = {url: events_taken(stack, url) - before[url] for url in others}
    # Every surviving gateway was told of every file; one of them queued each.
    assert all(t["queued"] + t["duplicate"] == len(files) for t in taken.values()), taken
    assert sum(t["queued"] for t in taken.values()) == len(files), taken
