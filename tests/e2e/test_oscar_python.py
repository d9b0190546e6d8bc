"""OSCAR's own Python client (`oscar_python` from PyPI), unchanged, against the gateway.

What an OSCAR user does with it, in order: look at the cluster, create a service from an
oscar-cli FDL file (`functions: oscar: - <cluster>: {...}`, the script beside it), list and get
it, run it synchronously, upload files with its storage client, list the jobs, read a job's log,
delete one job and then all of them, and remove the service. Basic auth with the OpenFaaS
login, as an OSCAR admin logs in.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from oscar_python.client import Client

from tests.e2e.project import ExamplesProject, object_exists
from tests.support.stack import RunningStack
from tests.support.waiting import wait_for

CLUSTER = "local-engine"
SCRIPT = """#!/bin/sh
echo "shouting $(basename "$INPUT_FILE_PATH")"
tr 'a-z' 'A-Z' < "$INPUT_FILE_PATH" > "$TMP_OUTPUT_DIR/$(basename "$INPUT_FILE_PATH")"
"""


@pytest.fixture
def client(stack: RunningStack) -> Client:
    openfaas = stack.status["openfaas"]
    return Client({
        "cluster_id": CLUSTER,
        "endpoint": stack.gateway_url,
        "user": openfaas["username"],
        "password": openfaas["password"],
        "ssl": False,
    })  # fmt: skip


def fdl_file(folder: Path, *, name: str, bucket: str, image: str) -> Path:
    """An FDL file as oscar-cli users write them, with its script in a file beside it."""
    (folder / "shout.sh").write_text(SCRIPT)
    service = {
        "name": name,
        "image": image,
        "cpu": "0.5",  # oscar_python reads `cpu` from every FDL service
        "memory": "256Mi",
        "script": "shout.sh",
        "input": [{"storage_provider": "minio.default", "path": f"{bucket}/in"}],
        "output": [{"storage_provider": "minio.default", "path": f"{bucket}/out"}],
    }
    path = folder / "shout.yaml"
    path.write_text(yaml.safe_dump({"functions": {"oscar": [{CLUSTER: service}]}}))
    return path


def test_the_cluster_answers_oscar_pythons_questions_in_oscars_shapes(
    stack: RunningStack, client: Client
) -> None:
    info = client.get_cluster_info().json()
    config = client.get_cluster_config().json()
    status = client.get_cluster_status().json()

    assert info["serverless_backend"]["name"] == "OpenFaaS"
    provider = config["minio_provider"]
    assert provider["endpoint"] == stack.minio_url
    assert provider["access_key"] == stack.status["minio"]["access_key"]
    assert status["cluster"]["nodes_count"] == 1
    assert status["minio"]["buckets_count"] >= 0


def test_oscar_python_runs_a_service_from_its_fdl_file_to_its_removal(
    stack: RunningStack, examples: ExamplesProject, client: Client, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    name, bucket = f"shout-{suffix}", f"shout-{suffix}"
    fdl = fdl_file(tmp_path, name=name, bucket=bucket, image="oscar-examples/wordcount:latest")

    created = client.create_service(str(fdl))
    listed = [s["name"] for s in client.list_services().json()]
    shown: dict[str, Any] = client.get_service(name).json()

    assert created.status_code == 201, created.text
    assert name in listed
    assert shown["input"][0]["path"] == f"{bucket}/in"
    assert shown["output"][0]["path"] == f"{bucket}/out"
    assert shown["image"] == "oscar-examples/wordcount:latest"
    stack.wait_available(name, 1, timeout=60)

    # Synchronous: oscar_python sends the input base64-encoded and decodes the answer.
    answer_file = tmp_path / "answer.txt"
    answer = client.run_service(name, input="make me loud", output=str(answer_file), timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer_file.read_text() == "MAKE ME LOUD"

    # Asynchronous: each upload through its storage client is a job.
    storage = client.create_storage_client(name)
    for stem in ("note", "memo"):
        local = tmp_path / f"{stem}.txt"
        local.write_text(f"quiet {stem}\n")
        storage.upload_file("minio.default", str(local), f"{bucket}/in")

    def succeeded() -> dict[str, Any] | None:
        jobs: dict[str, Any] = client.list_jobs(name).json()["jobs"]
        done = {k: v for k, v in jobs.items() if v["status"] == "Succeeded"}
        return done if len(done) == 2 else None

    jobs = wait_for(succeeded, timeout=60, what=f"two succeeded jobs of {name}")
    assert object_exists(stack, bucket, "out/note.txt")
    shouted = stack.minio.get_object(bucket, "out/note.txt")
    assert shouted.read() == b"QUIET NOTE\n"
    shouted.close()
    logs = "\n".join(client.get_job_logs(name, job).text for job in jobs)
    assert "shouting note.txt" in logs and "shouting memo.txt" in logs

    # Deleting jobs: one, then every finished one; their objects do not run again.
    first, second = jobs
    assert client.remove_job(name, first).status_code == 204
    assert set(client.list_jobs(name).json()["jobs"]) == {second}
    assert client.remove_all_jobs(name).status_code == 204
    assert client.list_jobs(name).json()["jobs"] == {}
    with pytest.raises(requests.HTTPError) as deleted:
        client.get_job_logs(name, second)
    assert deleted.value.response.status_code == 404

    removed = client.remove_service(name)
    assert removed.status_code == 204
    with pytest.raises(requests.HTTPError) as gone:
        client.get_service(name)
    assert gone.value.response.status_code == 404
