"""FDL storage providers: a service's input on a second, real MinIO server (`minio.other` in
its `storage_providers`, with that server's keys), its output on the platform's MinIO.

The second MinIO posts its events to the gateway at `/events?storage=<its host:port>`, as its
admin configures a webhook target (here, by its environment at start); the gateway creates the
service's bucket there and sets the notification rules on it; the function downloads from it
with the keys it got as secrets and uploads to the platform's MinIO.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from minio import Minio

from localstack.config import WEBHOOK_TARGET
from localstack.minio_server import MinioCredentials, MinioServer, start_minio, webhook_env
from tests.e2e.project import object_exists
from tests.support.stack import RunningStack
from tests.support.tools import tool
from tests.support.waiting import wait_for

KEYS = MinioCredentials("other-minio-admin", "other-minio-secret-9f3e")
SCRIPT = """#!/bin/sh
echo "shouting $STORAGE_BUCKET/$STORAGE_OBJECT_KEY"
tr 'a-z' 'A-Z' < "$INPUT_FILE_PATH" > "$TMP_OUTPUT_DIR/$(basename "$INPUT_FILE_PATH")"
"""


@pytest.fixture
def other_minio(stack: RunningStack, tmp_path: Path) -> Iterator[MinioServer]:
    """A second MinIO on the port the stack forwards into replicas, notifying the gateway."""
    port = stack.spare_port
    events = f"{stack.gateway_url}/events?storage=127.0.0.1:{port}"
    token = str(stack.status["minio"]["webhook_token"])
    server = start_minio(
        tool("minio"),
        tmp_path / "other-minio",
        KEYS,
        path="/usr/bin:/bin",
        port=port,
        extra_env=webhook_env(WEBHOOK_TARGET, events, queue_dir=None, token=token),
    )
    yield server
    server.stop()


def test_a_file_on_a_second_minio_is_processed_and_its_output_lands_on_the_first(
    stack: RunningStack, other_minio: MinioServer
) -> None:
    suffix = uuid.uuid4().hex[:8]
    name, far, near = f"across-{suffix}", f"far-{suffix}", f"near-{suffix}"
    endpoint = f"http://127.0.0.1:{stack.spare_port}"
    service = {
        "name": name,
        "image": "ghcr.io/grycap/alpine:latest",  # never built: the base runtime runs it
        "script": SCRIPT,
        "storage_providers": {
            "minio": {
                "other": {
                    "endpoint": endpoint,
                    "verify": False,
                    "access_key": KEYS.access_key,
                    "secret_key": KEYS.secret_key,
                }
            }
        },
        "input": [{"storage_provider": "minio.other", "path": f"{far}/in"}],
        "output": [{"storage_provider": "minio.default", "path": f"{near}/out"}],
    }
    other = Minio(f"127.0.0.1:{stack.spare_port}", KEYS.access_key, KEYS.secret_key, secure=False)

    created = stack.gateway.post(f"{stack.gateway_url}/system/services", json=service, timeout=120)
    assert created.status_code == 201, created.text
    try:
        stack.wait_available(name, 1, timeout=120)
        # The gateway made the input's bucket on the second MinIO and its rule to the gateway.
        wait_for(lambda: other.bucket_exists(far), timeout=30, what=f"bucket {far} there")
        rules = other.get_bucket_notification(far).queue_config_list
        assert [r.queue for r in rules] == [f"arn:minio:sqs::{WEBHOOK_TARGET}:webhook"]
        # The keys are the function's secrets, never its environment.
        status = stack.function_status(name)
        assert KEYS.secret_key not in str(status.get("envVars"))
        assert f"{name}-input-s3-secret-key" in status["secrets"]

        data = b"quiet words from afar\n"
        other.put_object(far, "in/note.txt", io.BytesIO(data), len(data))

        wait_for(
            lambda: object_exists(stack, near, "out/note.txt"),
            timeout=90,
            what=f"{near}/out/note.txt on the platform's MinIO",
        )
        shouted = stack.minio.get_object(near, "out/note.txt")
        assert shouted.read() == b"QUIET WORDS FROM AFAR\n"
        shouted.close()
        assert not stack.minio.bucket_exists(far)  # nothing went to the platform's MinIO by name

        def settled() -> dict[str, object] | None:
            url = f"{stack.gateway_url}/system/jobs/{name}"
            [job] = stack.gateway.get(url, timeout=30).json()["jobs"]
            return job if job["status"] != "running" else None

        # The output is uploaded before the function records its result and answers.
        job = wait_for(settled, timeout=30, what=f"{name}'s job settled")
        assert (job["status"], job["bucket"], job["key"]) == ("succeeded", far, "in/note.txt")
    finally:
        removed = stack.gateway.delete(f"{stack.gateway_url}/system/services/{name}", timeout=120)
        assert removed.status_code == 204, removed.text
