"""Effectively once through gateway kills: a script that names each output with a nanosecond
timestamp leaves exactly one output per input.

Before this, a callback lost with a killed gateway made its attempt run again after
`oscar.timeout`; a script whose outputs are named by time then left two. Now the function
records each attempt's result in the results bucket, the restarted gateway settles in-flight
attempts from those records, and a repeated delivery of a job that already succeeded is
answered from its record without running the script.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import Counter, defaultdict
from typing import Any

from contract.results import CALLS, RESULTS_BUCKET, AttemptRecord, read_call
from tests.reliability.services import FUNCTIONS, Service, deploy_service, job_detail, outputs
from tests.reliability.test_faults import CALLBACK_TIMEOUT, MAX_ATTEMPTS, kill_gateway, settle
from tests.reliability.uploader import Uploader
from tests.support.stack import RunningStack
from tests.support.waiting import wait_for

log = logging.getLogger(__name__)
UPLOADS = int(os.environ.get("OSCAR_RELIABILITY_UPLOADS", "2000"))
RATE = 50.0
KILLS = (0.2, 0.5, 0.8)  # shares of the uploads acknowledged when the gateway is SIGKILLed
STAMPED = re.compile(r"out/(?P<stem>\d{5})-(?P<ns>\d{19})\.txt")


def test_a_script_naming_outputs_by_time_leaves_one_output_per_input_through_gateway_kills(
    stack: RunningStack,
) -> None:
    began = time.monotonic()
    service = deploy_service(
        stack,
        "stamped",
        FUNCTIONS / "stamped",
        annotations={"oscar.timeout": CALLBACK_TIMEOUT, "oscar.max_attempts": MAX_ATTEMPTS},
        replicas=2,
    )
    acknowledged = upload_through_gateway_kills(stack, service)
    uploaded_at, uploaded_clock = time.monotonic(), time.time()

    final = settle(stack, service, set(acknowledged))
    settled_at = time.monotonic()

    assert Counter(j["key"] for j in final) == Counter(list(acknowledged))  # one job each
    assert {j["status"] for j in final} == {"succeeded"}, Counter(j["status"] for j in final)
    assert_one_output_each(stack, service, acknowledged, final)
    outcomes, reasons, repeated, tail = assert_one_success_each(stack, service, final)
    records = recorded(stack, service)
    assert {r.job_id for r in records if r.succeeded} == {j["id"] for j in final}
    log_text = (stack.state_dir / "logs" / "gateway.log").read_text(errors="replace")
    log.info(
        "%d uploads, %d gateway kills: %d jobs, %d with more than one attempt, attempts %s; "
        "%d records (%d answered from an earlier success), %d attempts settled from records "
        "by the gateways; %.0fs in all, %.0fs from the last upload to every job settled",
        UPLOADS, len(KILLS), len(final), repeated, dict(outcomes), len(records),
        sum(1 for r in records if r.repeat_of is not None),
        log_text.count("settled from its result record"),
        settled_at - began, settled_at - uploaded_at,
    )  # fmt: skip
    log.info("why other attempts ended: %s", dict(reasons))
    for abandoned in (True, False):  # what the settling tail is made of
        ends = [end - uploaded_clock for was, end in tail if was is abandoned]
        log.info(
            "%d jobs %s an abandoned claim; the last settled %.1fs after the last upload",
            len(ends), "with" if abandoned else "without", max(ends, default=float("nan")),
        )  # fmt: skip


def recorded(stack: RunningStack, service: Service) -> list[AttemptRecord]:
    """Every record of the service's attempts: a job's own, and each of a batch's call record."""
    found: list[AttemptRecord] = []
    for key, body in outputs(stack, RESULTS_BUCKET).items():
        if key.startswith(f"{service.name}/{CALLS}/"):
            found += read_call(body)
        elif key.startswith(f"{service.name}/"):
            found.append(AttemptRecord.from_json(body))
    return found


def upload_through_gateway_kills(stack: RunningStack, service: Service) -> dict[str, bytes]:
    """Every upload acknowledged, the gateway SIGKILLed (and started again) at each of KILLS."""
    uploader = Uploader(stack.minio, service.input_bucket, count=UPLOADS, rate=RATE)
    uploader.start()
    try:
        for share in KILLS:

            def reached(share: float = share) -> bool:
                return uploader.finished() or uploader.count >= share * UPLOADS

            wait_for(
                reached,
                timeout=share * UPLOADS / RATE + 60,
                what=f"{share:.0%} of the uploads acknowledged, to SIGKILL the gateway",
            )
            log.info("SIGKILL the gateway after %d uploads", uploader.count)
            kill_gateway(stack)
        wait_for(uploader.finished, timeout=UPLOADS / RATE + 60, what="every upload sent")
    finally:
        uploader.stop()
    assert len(uploader.acknowledged) == UPLOADS
    return uploader.acknowledged


def assert_one_output_each(
    stack: RunningStack,
    service: Service,
    acknowledged: dict[str, bytes],
    final: list[dict[str, Any]],
) -> None:
    """One timestamped output per input, its bytes right, and the one its job names."""
    found = outputs(stack, service.output_bucket)
    by_input: defaultdict[str, list[str]] = defaultdict(list)
    for key in found:
        match = STAMPED.fullmatch(key)
        assert match is not None, f"an output of another name: {key}"
        by_input[f"in/{match['stem']}.txt"].append(key)
    twice = {k: v for k, v in by_input.items() if len(v) != 1}
    assert not twice, f"{len(twice)} inputs ran more than once, e.g. {list(twice.items())[:3]}"
    assert set(by_input) == set(acknowledged)
    for job in final:
        [output] = by_input[job["key"]]
        assert job["outputs"] == [output]  # the ledger names the one output there is
        assert found[output] == acknowledged[job["key"]].upper()


def assert_one_success_each(
    stack: RunningStack, service: Service, final: list[dict[str, Any]]
) -> tuple[Counter[str], Counter[str], int, list[tuple[bool, float]]]:
    """Each job's history holds exactly one succeeded attempt; returns the outcomes of all
    attempts, why the others ended, how many jobs had more than one attempt that ran, and for
    each job whether a claim of it was abandoned (claimed, never sent) and when it settled."""
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    repeated = 0
    tail = []
    for job in final:
        history = job_detail(stack, service.name, job["id"])["history"]
        assert [a["outcome"] for a in history].count("succeeded") == 1, history
        outcomes.update(a["outcome"] for a in history)
        reasons.update(a["error"][:80] for a in history if a["outcome"] != "succeeded")
        ran = [a for a in history if a["outcome"] != "abandoned"]
        repeated += len(ran) > 1
        ended = max(a["finished_at"] or 0.0 for a in history)
        tail.append((any(a["outcome"] == "abandoned" for a in history), ended))
    return outcomes, reasons, repeated, tail
