"""OSCAR's routes (gateway/http/oscar_api.py) in the shapes OSCAR's clients read."""

from __future__ import annotations

import time
from typing import Any

from gateway.http.oscar_api import PAGE
from gateway.jobs.model import AttemptResult, NewJob
from tests.fuzz.gateway_stack import ADMIN, Gateway
from tests.support.ledger_claims import claim


def got(gw: Gateway, path: str) -> tuple[int, Any]:
    answer = gw.client.get(path, headers=ADMIN)
    return answer.status_code, answer.get_json()


def test_the_job_listing_maps_job_ids_to_pod_phases_and_pages_with_next_page(
    gw: Gateway,
) -> None:
    now = time.time()
    gw.ledger.add(
        [NewJob("grayify", "photos", f"in/{n}.png", "etag", "{}", 2, now) for n in range(PAGE + 3)]
    )

    status, first = got(gw, "/system/logs/grayify?page=")
    _, second = got(gw, f"/system/logs/grayify?page={first['next_page']}")

    assert status == 200
    assert (len(first["jobs"]), first["next_page"], first["remaining_jobs"]) == (PAGE, "100", 3)
    assert (len(second["jobs"]), second["next_page"], second["remaining_jobs"]) == (3, "", 0)
    assert not set(first["jobs"]) & set(second["jobs"])
    info = next(iter(first["jobs"].values()))
    assert info["status"] == "Pending"  # queued, as a pod that has not started
    assert info["creation_time"].endswith("Z")
    assert "finish_time" not in info  # left out when unset, as OSCAR's omitempty does


def test_a_jobs_log_is_its_log_tail_as_text_and_a_stranger_job_is_a_404(gw: Gateway) -> None:
    [(job, _)] = gw.ledger.add([NewJob("grayify", "photos", "in/a.png", "e", "{}", 2, time.time())])

    log = gw.client.get(f"/system/logs/grayify/{job.id}", headers=ADMIN)
    stranger = gw.client.get(f"/system/logs/other/{job.id}", headers=ADMIN)

    assert log.status_code == 200
    assert log.mimetype == "text/plain"
    assert stranger.status_code == 404


def test_deleting_a_services_jobs_takes_the_succeeded_ones_and_with_all_every_one(
    gw: Gateway,
) -> None:
    now = time.time()
    gw.ledger.add([NewJob("grayify", "photos", f"in/{n}.png", "e", "{}", 2, now) for n in range(3)])
    [done] = claim(gw.ledger, "grayify", limit=1, now=now, timeout=30)
    gw.ledger.finish(done.id, done.call_id, AttemptResult(True, 200), retry_at=None, now=now)

    finished = gw.client.delete("/system/logs/grayify", headers=ADMIN)
    _, left = got(gw, "/system/logs/grayify")
    every = gw.client.delete("/system/logs/grayify?all=true", headers=ADMIN)
    _, none = got(gw, "/system/logs/grayify")
    stranger = gw.client.delete("/system/logs/no-such-service", headers=ADMIN)

    assert finished.status_code == 204
    assert done.id not in left["jobs"] and len(left["jobs"]) == 2
    assert every.status_code == 204 and none["jobs"] == {}
    assert stranger.status_code == 404 and "no-such-service" in stranger.get_json()["error"]


def test_deleting_one_job_hides_it_everywhere_and_a_second_delete_is_a_404(gw: Gateway) -> None:
    [(job, _)] = gw.ledger.add([NewJob("grayify", "photos", "in/a.png", "e", "{}", 2, time.time())])

    stranger = gw.client.delete(f"/system/logs/thumbs/{job.id}", headers=ADMIN)
    removed = gw.client.delete(f"/system/logs/grayify/{job.id}", headers=ADMIN)
    again = gw.client.delete(f"/system/logs/grayify/{job.id}", headers=ADMIN)
    log = gw.client.get(f"/system/logs/grayify/{job.id}", headers=ADMIN)
    ours = gw.client.get(f"/system/jobs/grayify/{job.id}", headers=ADMIN)

    assert stranger.status_code == 404  # the job exists, but not as thumbs' job
    assert (removed.status_code, again.status_code) == (204, 404)
    assert "does not exist" in again.get_json()["error"]
    assert (log.status_code, ours.status_code) == (404, 404)


def test_the_config_gives_storage_clients_minio_in_oscars_shape_with_or_without_a_slash(
    gw: Gateway,
) -> None:
    _, plain = got(gw, "/system/config")
    _, slashed = got(gw, "/system/config/")  # as oscar_python's storage client asks

    assert plain == slashed
    provider = plain["minio_provider"]
    assert provider["endpoint"] == f"http://{gw.config.minio_endpoint}"
    assert (provider["access_key"], provider["secret_key"]) == (
        gw.config.minio_access_key,
        gw.config.minio_secret_key,
    )
    assert set(provider) == {"endpoint", "verify", "access_key", "secret_key", "region"}


def test_buckets_are_listed_created_and_removed_with_reasons_for_bad_names(gw: Gateway) -> None:
    created = gw.client.post("/system/buckets", json={"bucket_name": "photos-2"}, headers=ADMIN)
    bad = gw.client.post("/system/buckets", json={"bucket_name": "No_Such"}, headers=ADMIN)
    _, listed = got(gw, "/system/buckets")
    removed = gw.client.delete("/system/buckets/photos-2", headers=ADMIN)
    again = gw.client.delete("/system/buckets/photos-2", headers=ADMIN)

    assert created.status_code == 201
    assert "photos-2" in [b["bucket_name"] for b in listed]
    assert bad.status_code == 400 and "bucket name" in bad.get_json()["error"]
    assert (removed.status_code, again.status_code) == (204, 404)
