"""GET /system/jobs/<service>: pages with a total, a 404 for a name that never had a job."""

from __future__ import annotations

import time
from typing import Any

from gateway.jobs.model import NewJob
from tests.fuzz.gateway_stack import ADMIN, Gateway
from tests.support.ledger_claims import claim


def listing(gw: Gateway, path: str) -> tuple[int, dict[str, Any]]:
    answer = gw.client.get(path, headers=ADMIN)
    body: dict[str, Any] = answer.get_json()
    return answer.status_code, body


def test_a_page_says_how_many_jobs_match_over_all_pages(gw: Gateway) -> None:
    now = time.time()
    gw.ledger.add(
        [NewJob("grayify", "photos", f"in/{n}.png", "etag", "{}", 2, now) for n in range(5)]
    )

    status, page = listing(gw, "/system/jobs/grayify?limit=2&offset=1")
    _, running = listing(gw, "/system/jobs/grayify?status=running")

    assert status == 200, page
    assert (len(page["jobs"]), page["offset"], page["total"]) == (2, 1, 5)
    assert (running["jobs"], running["total"]) == ([], 0)


def test_an_unknown_service_is_a_404_but_a_removed_one_keeps_its_history(gw: Gateway) -> None:
    gw.ledger.add([NewJob("retired", "photos", "in/old.png", "etag", "{}", 2, time.time())])

    unknown = listing(gw, "/system/jobs/never-deployed")
    retired = listing(gw, "/system/jobs/retired")
    listed = listing(gw, "/system/jobs/grayify")

    assert unknown[0] == 404
    assert "never-deployed" in unknown[1]["error"]
    assert (retired[0], retired[1]["total"]) == (200, 1)
    assert (listed[0], listed[1]["total"]) == (200, 0)  # deployed, no job yet


def test_a_job_whose_claim_was_abandoned_shows_that_attempt_in_its_detail(gw: Gateway) -> None:
    now = time.time()
    [(job, _)] = gw.ledger.add([NewJob("grayify", "photos", "in/a.png", "etag", "{}", 2, now)])
    claim(gw.ledger, "grayify", limit=1, now=now, timeout=30)
    assert gw.ledger.release_expired(now + 10_000) == 1  # its replica died before sending it

    answer = gw.client.get(f"/system/jobs/grayify/{job.id}", headers=ADMIN)

    assert answer.status_code == 200, answer.get_data(as_text=True)
    [attempt] = answer.get_json()["history"]
    assert attempt["outcome"] == "abandoned" and "never sent it" in attempt["error"]
