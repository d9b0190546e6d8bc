"""`oscar webhook-token rotate` on the local stack: the real MinIO is given the new token (it
reads its webhook targets' token only at start, so the stack restarts it with the new one),
and once the old token's grace is over, uploads still become jobs through MinIO's events."""

from __future__ import annotations

import json
import logging
import time

import requests

from tests.integration.test_gateway import deploy_service
from tests.support.services import jobs, upload
from tests.support.stack import RunningStack, oscar, status_of
from tests.support.waiting import wait_for

GRACE = 3  # seconds the old token still passes
log = logging.getLogger(__name__)


def events_status(stack: RunningStack, token: str) -> int:
    answer = requests.post(
        f"{stack.gateway_url}/events",
        json={"Records": []},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return answer.status_code


def test_after_a_rotation_and_its_grace_uploads_still_become_jobs(stack: RunningStack) -> None:
    service = deploy_service(stack, "rotated", "ok")
    old = str(stack.status["minio"]["webhook_token"])
    minio_pid = stack.status["components"]["minio"]["pid"]

    rotated = oscar(stack.env, "webhook-token", "rotate", "--grace", str(GRACE), "--json")
    assert rotated.returncode == 0, rotated.stderr
    log.info("the CLI's progress: %s", rotated.stderr.strip())  # how long MinIO's restart took
    rotation = json.loads(rotated.stdout)
    stack.status = status_of(stack.env)  # the credentials other tests read now hold the new one
    assert stack.status["minio"]["webhook_token"] == rotation["token"] != old
    assert stack.status["components"]["minio"]["pid"] != minio_pid  # restarted with it

    ends = time.time() + GRACE
    wait_for(lambda: time.time() > ends or None, timeout=GRACE + 5, what="the grace to end")
    assert events_status(stack, old) in {401, 403}  # the old token is done
    started = time.monotonic()
    upload(stack, service.input_bucket, {"in/after-grace.txt": b"still a job"})

    found = wait_for(lambda: jobs(stack, service.name) or None, timeout=30, what="the upload's job")
    assert [j["key"] for j in found] == ["in/after-grace.txt"]
    # Through MinIO's event, not the reconciler's next pass (60 s): MinIO sends the new token.
    assert time.monotonic() - started < 20
    assert events_status(stack, rotation["token"]) == 200
