"""The gateway on the real stack (issue 4, item 10): MinIO webhooks, the ledger, retries, auth.

Files go into MinIO with minio-py; MinIO's own webhook tells the gateway; the gateway queues jobs
through the OpenFaaS gateway's /async-function on the local engine, and records the callbacks.
Every test's service reads and writes buckets of its own.
"""

from __future__ import annotations

import http.client
import re
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from minio.commonconfig import ENABLED
from minio.versioningconfig import VersioningConfig

from gateway.assembly import assemble
from gateway.clients.openfaas import OpenFaaS
from gateway.clients.storage import Storage
from gateway.config import GatewayConfig
from gateway.http.openapi import spec
from tests.support.services import has_rule, job_detail, jobs, outputs, upload
from tests.support.stack import S3_SECRETS, RunningStack
from tests.support.waiting import wait_for


@dataclass(frozen=True)
class Service:
    name: str
    input_bucket: str
    output_bucket: str
    token: str


def deploy_service(
    stack: RunningStack, name: str, function: str, annotations: Mapping[str, str] | None = None
) -> Service:
    """Deploy `function` as a service reading `<in>/in`, writing `<out>/out` (fresh buckets);
    return once the gateway lists it and MinIO has its notification rule."""
    suffix = uuid.uuid4().hex[:8]
    buckets = (f"{name}-in-{suffix}", f"{name}-out-{suffix}")
    storage = stack.storage_env(input_path=f"{buckets[0]}/in", output_path=f"{buckets[1]}/out")
    stack.deploy(
        name,
        function,
        {"environment": storage, "secrets": S3_SECRETS, "annotations": dict(annotations or {})},
    )

    def listed() -> dict[str, Any] | None:
        services = stack.gateway.get(f"{stack.gateway_url}/system/services", timeout=10).json()
        return next((s for s in services if s["name"] == name), None)

    service = wait_for(listed, timeout=30, what=f"the gateway to list service {name}")
    wait_for(
        lambda: has_rule(stack, buckets[0]), timeout=30, what=f"the notification rule of {name}"
    )
    return Service(name, buckets[0], buckets[1], service["token"])


def wait_succeeded(
    stack: RunningStack, service: str, count: int, *, timeout: float
) -> list[dict[str, Any]]:
    def done() -> list[dict[str, Any]] | None:
        succeeded = jobs(stack, service, "succeeded")
        return succeeded if len(succeeded) >= count else None

    return wait_for(done, timeout=timeout, what=f"{count} succeeded jobs of {service}")


@pytest.fixture(scope="module")
def upper(stack: RunningStack) -> Service:
    """The `ok` function (upper-cases its input) as a service."""
    return deploy_service(stack, "upper", "ok")


def test_each_uploaded_file_becomes_one_succeeded_job_and_one_output(
    stack: RunningStack, upper: Service
) -> None:
    files = {f"in/batch/{n:02d}.txt": f"file number {n}".encode() for n in range(20)}

    upload(stack, upper.input_bucket, files)

    succeeded = wait_succeeded(stack, upper.name, 20, timeout=90)
    assert sorted(j["key"] for j in succeeded) == sorted(files)
    assert len(jobs(stack, upper.name)) == 20
    assert all(j["attempts"] == 1 for j in succeeded)
    assert sorted(o for j in succeeded for o in j["outputs"]) == sorted(
        k.replace("in/", "out/", 1) for k in files
    )
    assert outputs(stack, upper.output_bucket) == {
        key.replace("in/", "out/", 1): data.upper() for key, data in files.items()
    }


def test_a_failing_script_is_retried_then_dead_lettered_with_its_log_tail(
    stack: RunningStack,
) -> None:
    failing = deploy_service(stack, "failing", "exit3", {"oscar.max_attempts": "2"})

    upload(stack, failing.input_bucket, {"in/broken.txt": b"cannot be processed"})

    [dead] = wait_for(
        lambda: jobs(stack, failing.name, "dead"), timeout=60, what="a dead-lettered job"
    )
    detail = job_detail(stack, failing.name, dead["id"])
    assert (detail["status"], detail["attempts"], detail["max_attempts"]) == ("dead", 2, 2)
    assert [(a["number"], a["outcome"], a["http_status"]) for a in detail["history"]] == [
        (1, "failed", 500),
        (2, "failed", 500),
    ]
    assert "starting on broken.txt" in detail["log_tail"]
    assert "something went wrong" in detail["log_tail"]
    assert detail["error"].startswith("HTTP 500")
    assert outputs(stack, failing.output_bucket) == {}  # its partial output is never uploaded


def test_a_sync_run_with_the_service_token_answers_the_processed_bytes(
    stack: RunningStack, upper: Service
) -> None:
    url = f"{stack.gateway_url}/run/{upper.name}"
    headers = {"Authorization": f"Bearer {upper.token}", "X-Filename": "loud.txt"}

    answer = requests.post(url, data=b"make me loud", headers=headers, timeout=60)
    admin = stack.gateway.post(url, data=b"admin too", headers={"X-Filename": "a.txt"}, timeout=60)

    assert answer.status_code == 200, answer.text
    assert answer.content == b"MAKE ME LOUD"
    assert admin.content == b"ADMIN TOO"


def test_in_a_versioned_bucket_each_version_is_one_job_and_a_replay_adds_only_the_missed_one(
    stack: RunningStack,
) -> None:
    versioned = deploy_service(stack, "versioned", "ok")
    stack.minio.set_bucket_versioning(versioned.input_bucket, VersioningConfig(ENABLED))
    upload(stack, versioned.input_bucket, {"in/doc.txt": b"first version"})
    wait_succeeded(stack, versioned.name, 1, timeout=60)
    upload(stack, versioned.input_bucket, {"in/doc.txt": b"second version"})
    wait_succeeded(stack, versioned.name, 2, timeout=60)

    replay = f"{stack.gateway_url}/system/services/{versioned.name}/replay"
    nothing_missed = stack.gateway.post(replay, timeout=30).json()["queued"]
    stack.minio.delete_bucket_notification(versioned.input_bucket)  # MinIO will tell nobody
    upload(stack, versioned.input_bucket, {"in/doc.txt": b"third version"})
    one_missed = stack.gateway.post(replay, timeout=30).json()["queued"]
    done = wait_succeeded(stack, versioned.name, 3, timeout=60)

    assert (nothing_missed, one_missed) == (0, 1)
    assert len({j["etag"] for j in done}) == 3  # three versions, three identities
    out = versioned.output_bucket
    assert outputs(stack, out) == {"out/doc.txt": b"THIRD VERSION"}  # the version listed
    assert stack.gateway.post(replay, timeout=30).json()["queued"] == 0


def test_a_chunked_sync_run_and_an_empty_one_reach_the_script_whole(
    stack: RunningStack, upper: Service
) -> None:
    """No Content-Length: each hop (our gateway, OpenFaaS, our provider) streams it on."""
    url = f"{stack.gateway_url}/run/{upper.name}"
    headers = {"Authorization": f"Bearer {upper.token}", "X-Filename": "parts.txt"}
    parts = [b"first part, ", b"second part, " * 5000, b"last part"]

    chunked = requests.post(url, data=iter(parts), headers=headers, timeout=60)
    empty = requests.post(url, data=b"", headers=headers, timeout=60)

    assert chunked.status_code == 200, chunked.text
    assert chunked.content == b"".join(parts).upper()
    assert empty.status_code == 200, empty.text
    assert empty.content == b""


def _status_with_headers(url: str, method: str, path: str, headers: list[tuple[str, str]]) -> int:
    """One request with exactly these header lines (repeats kept), as a client may send them."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.putrequest(method, path)
        for name, value in headers:
            connection.putheader(name, value)
        connection.putheader("Content-Length", "1")
        connection.endheaders(b"x")
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_right_credential_beside_a_wrong_one_opens_nothing_on_the_real_server(
    stack: RunningStack, upper: Service
) -> None:
    """The fuzz tier checks this in-process; here the real server joins the repeated headers."""
    admin = f"Bearer {stack.status['gateway']['admin_token']}"
    own = f"Bearer {upper.token}"
    cases = [
        ("GET", "/system/services", admin),
        ("POST", f"/run/{upper.name}", own),
        ("POST", f"/run/{upper.name}", admin),
    ]

    for method, path, right in cases:
        for pair in ([right, "Bearer wrong"], ["Bearer wrong", right]):
            headers = [("Authorization", value) for value in pair]
            status = _status_with_headers(stack.gateway_url, method, path, headers)
            assert status in {401, 403}, (method, path, pair, status)
        alone = _status_with_headers(stack.gateway_url, method, path, [("Authorization", right)])
        assert alone == 200, (method, path, alone)


def test_an_object_whose_event_was_missed_is_found_by_a_replay(stack: RunningStack) -> None:
    missed = deploy_service(stack, "missed", "ok")
    stack.minio.delete_bucket_notification(missed.input_bucket)  # MinIO will tell nobody
    files = {f"in/quiet-{n}.txt": f"unannounced {n}".encode() for n in range(3)}
    upload(stack, missed.input_bucket, files)
    assert jobs(stack, missed.name) == []

    answer = stack.gateway.post(
        f"{stack.gateway_url}/system/services/{missed.name}/replay", timeout=30
    )

    assert answer.status_code == 202, answer.text
    assert answer.json()["queued"] == 3
    succeeded = wait_succeeded(stack, missed.name, 3, timeout=60)
    assert sorted(j["key"] for j in succeeded) == sorted(files)
    assert outputs(stack, missed.output_bucket) == {
        key.replace("in/", "out/", 1): data.upper() for key, data in files.items()
    }


def test_a_gateway_killed_mid_burst_and_restarted_processes_every_file_exactly_once(
    stack: RunningStack,
) -> None:
    # A short callback timeout: a callback lost with the gateway is retried in seconds.
    burst = deploy_service(stack, "burst", "ok", {"oscar.timeout": "10"})
    files = {f"in/{n:02d}.txt": f"burst file {n}".encode() for n in range(30)}
    keys = sorted(files)

    upload(stack, burst.input_bucket, {k: files[k] for k in keys[:15]})
    killed = stack.kill_component("gateway")
    upload(stack, burst.input_bucket, {k: files[k] for k in keys[15:]})  # nobody hears these
    stack.restart_component("gateway")

    succeeded = wait_succeeded(stack, burst.name, 30, timeout=120)
    every_job = jobs(stack, burst.name)
    assert stack.status["components"]["gateway"]["pid"] != killed
    assert Counter(j["key"] for j in every_job) == Counter(keys)  # one job per file
    assert sorted(j["key"] for j in succeeded) == keys
    for job in (j for j in succeeded if j["attempts"] > 1):
        earlier = job_detail(stack, burst.name, job["id"])["history"][:-1]
        assert all("no callback within" in a["error"] for a in earlier), earlier
    assert outputs(stack, burst.output_bucket) == {
        key.replace("in/", "out/", 1): data.upper() for key, data in files.items()
    }


AUTHENTICATED = [
    ("POST", "/events"),
    ("POST", "/run/{service}"),
    ("POST", "/job/{service}"),
    ("GET", "/system/services"),
    ("GET", "/system/services/{service}"),
    ("POST", "/system/services/{service}/replay"),
    ("GET", "/system/jobs/{service}"),
    ("GET", "/system/jobs/{service}/0123456789abcdef"),
]


@pytest.mark.parametrize(("method", "path"), AUTHENTICATED)
def test_a_route_without_a_credential_is_401_and_with_a_wrong_one_403(
    stack: RunningStack, upper: Service, method: str, path: str
) -> None:
    url = f"{stack.gateway_url}{path.format(service=upper.name)}"

    missing = requests.request(method, url, data=b"{}", timeout=10)
    wrong = requests.request(
        method, url, data=b"{}", headers={"Authorization": "Bearer not-the-token"}, timeout=10
    )
    basic = requests.request(method, url, data=b"{}", auth=("admin", "wrong"), timeout=10)

    assert missing.status_code == 401, missing.text
    assert wrong.status_code == 403, wrong.text
    assert basic.status_code in {401, 403}, basic.text
    for answer in (missing, wrong, basic):
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json()["error"]


def test_a_callback_with_a_bad_or_missing_signature_is_403(stack: RunningStack) -> None:
    url = f"{stack.gateway_url}/callbacks/0123456789abcdef"

    unsigned = requests.post(url, data=b"{}", timeout=10)
    forged = requests.post(url, params={"call": "c1", "sig": "0" * 64}, data=b"{}", timeout=10)

    assert (unsigned.status_code, forged.status_code) == (403, 403)
    assert forged.json()["error"] and unsigned.json()["error"]


def test_the_right_credentials_open_the_admin_routes(stack: RunningStack, upper: Service) -> None:
    openfaas = stack.status["openfaas"]
    url = f"{stack.gateway_url}/system/services/{upper.name}"

    with_basic = requests.get(url, auth=(openfaas["username"], openfaas["password"]), timeout=10)
    with_token = stack.gateway.get(url, timeout=10)

    assert with_basic.status_code == with_token.status_code == 200
    assert with_basic.json()["token"] == upper.token  # kept, not regenerated


@pytest.mark.parametrize("path", ["/health", "/metrics", "/openapi.json"])
def test_health_metrics_and_openapi_are_open(stack: RunningStack, path: str) -> None:
    answer = requests.get(f"{stack.gateway_url}{path}", timeout=10)

    assert answer.status_code == 200, answer.text
    if path == "/openapi.json":
        assert answer.json() == spec(stack.gateway_url)
    if path == "/metrics":
        assert "oscar_events_total" in answer.text


def _normalised(path: str) -> str:
    """`/jobs/<name>/<job_id>` (Flask) and `/jobs/{service}/{job}` (OpenAPI) as `/jobs/{}/{}`."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_the_openapi_document_describes_exactly_the_apps_routes(tmp_path: Path) -> None:
    secrets = {}
    for name in ("OPENFAAS_PASSWORD", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "WEBHOOK_TOKEN",
                 "ADMIN_TOKEN", "CALLBACK_KEY"):  # fmt: skip
        (tmp_path / name).write_text("not-a-real-secret", encoding="utf-8")
        secrets[f"{name}_FILE"] = str(tmp_path / name)
    config = GatewayConfig.from_env(
        {**secrets, "GATEWAY_STATE_DIR": str(tmp_path), "OPENFAAS_URL": "http://127.0.0.1:1",
         "MINIO_ENDPOINT": "http://127.0.0.1:1", "PATH": "/usr/bin:/bin"}
    )  # fmt: skip
    openfaas = OpenFaaS(config.openfaas_url, username="admin", password="p")
    storage = Storage(
        config.minio_endpoint, access_key="a", secret_key="s", secure=False, target_arn="arn"
    )
    parts = assemble(config, openfaas=openfaas, storage=storage)
    app = parts.app

    routes = {
        (_normalised(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith("ui.")  # /ui: HTML pages
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    document = app.test_client().get("/openapi.json").get_json()
    described = {
        (_normalised(path), method) for path, operations in document["paths"].items()
        for method in operations
    }  # fmt: skip

    assert described == routes
    parts.ledger.close()
