"""The gateway keeps its secrets: none of the webhook token, admin token, callback key, OpenFaaS
password, MinIO keys or service tokens appears in a log record, in a job record, or in what a
function is sent, through events, retries, failed callbacks with log tails, sync calls, FDL
services with scripts, refused credentials and upstream failures."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gateway.clients.faascli import FaasCli
from gateway.jobs.model import TERMINAL, Job, JobStatus
from tests.fuzz.gateway_stack import (
    ADMIN,
    OPENFAAS_USER,
    SECRETS,
    SERVICES,
    WEBHOOK,
    Gateway,
    gateway,
)
from tests.fuzz.hostile import as_body
from tests.fuzz.openfaas_server import FakeOpenFaaS, Received
from tests.support.events import minio_document, minio_record
from tests.support.waiting import wait_for

STUB_FAAS_CLI = """#!/bin/sh
# faas-cli as far as the gateway reads it: secrets and deploys succeed.
cat > /dev/null
case "$1 $2" in
  "secret create") echo "Created: $3" ;;
  "secret update") echo "Updated: $3" ;;
  *) echo "done: $1" ;;
esac
"""
FDL = {
    "name": "grey-fdl",
    "image": "oscar-examples/grayify:latest",
    "script": '#!/bin/sh\nconvert "$INPUT_FILE_PATH" -colorspace Gray "$TMP_OUTPUT_DIR/out.png"\n',
    "input": [{"storage_provider": "minio", "path": "fdl/in"}],
    "output": [{"storage_provider": "minio", "path": "fdl/out"}],
}
# (status, body) each service's function answers with, through the queue-worker's callback.
ANSWERS = {
    "grayify": ("200", {"results": [{"outputs": ["out/a.png"], "log_tail": "converted"}]}),
    "thumbs": (
        "500",
        {
            "error": "script exited with code 3",
            "exit_code": 3,
            "log_tail": "Traceback: convert: no decode delegate",
        },
    ),
    "docs": ("404", {"error": "input docs/report.md cannot be read: NoSuchKey"}),
}


def _forms(secret: str) -> list[str]:
    """A secret as it could leak: itself, or inside a basic-auth header."""
    return [secret, base64.b64encode(f"{OPENFAAS_USER}:{secret}".encode()).decode()]


@pytest.fixture
def stub_faas_cli(tmp_path: Path) -> FaasCli:
    binary = tmp_path / "faas-cli"
    binary.write_text(STUB_FAAS_CLI)
    binary.chmod(0o755)
    return FaasCli(str(binary), config_dir=tmp_path / "faas-cli-config", gateway="http://x")


@pytest.fixture
def driven(
    tmp_path: Path,
    openfaas: FakeOpenFaaS,
    stub_faas_cli: FaasCli,
    caplog: pytest.LogCaptureFixture,
) -> Iterator[tuple[Gateway, dict[str, str], list[str]]]:
    """A gateway taken through everything it does; yields it, its service tokens and the
    job records it answered with, all logging captured."""
    caplog.set_level(logging.DEBUG)
    with gateway(tmp_path / "gw", openfaas, faas_cli=stub_faas_cli, retry_base=0.01) as gw:
        tokens = {
            name: gw.client.get(f"/system/services/{name}", headers=ADMIN).get_json()["token"]
            for name in SERVICES
        }
        _events_through_the_queue(gw, openfaas)
        _calls_and_services(gw, openfaas, tokens)
        records = [
            gw.client.get(f"/system/jobs/{name}", headers=ADMIN).get_data(as_text=True)
            for name in SERVICES
        ]
        for name in SERVICES:
            for job in gw.ledger.page(name, status=None, limit=100, offset=0):
                answer = gw.client.get(f"/system/jobs/{name}/{job.id}", headers=ADMIN)
                records.append(answer.get_data(as_text=True))
        yield gw, tokens, records


def _events_through_the_queue(gw: Gateway, openfaas: FakeOpenFaaS) -> None:
    """Events become jobs; the dispatcher sends them (one send refused, so it retries); each
    function answers through a callback until every job has ended. The refused send is one of
    the photo's jobs (both have attempts to spare): the document's event comes after it."""
    photo = minio_document(minio_record("photos", "in/a.png", etag="e1"))
    assert gw.client.post("/events", data=as_body(photo), headers=WEBHOOK).status_code == 200
    openfaas.refuse_async = 1
    gw.dispatcher.start()
    try:
        wait_for(lambda: openfaas.refuse_async == 0, timeout=10, what="the refused send")
        document = minio_document(minio_record("docs", "report.md", etag="e1"))
        sent = gw.client.post("/events", data=as_body(document), headers=WEBHOOK)
        assert sent.status_code == 200
        for _ in range(12):
            if all(j.status in TERMINAL for j in _all_jobs(gw)):
                break
            call = openfaas.async_calls.get(timeout=10)
            status, answer = ANSWERS[call.path.rsplit("/", 1)[-1]]
            url = urlsplit(call.headers["X-Callback-Url"])
            done = gw.client.post(
                f"{url.path}?{url.query}",
                data=json.dumps(answer).encode(),
                headers={"X-Function-Status": status, "X-Duration-Seconds": "0.5"},
            )
            assert done.status_code == 200, done.get_data(as_text=True)
    finally:
        gw.dispatcher.stop()
    states = {j.service: j.status for j in _all_jobs(gw)}
    assert states == {"grayify": JobStatus.SUCCEEDED, "thumbs": JobStatus.DEAD,
                      "docs": JobStatus.DEAD}  # fmt: skip


def _all_jobs(gw: Gateway) -> list[Job]:
    return [j for n in SERVICES for j in gw.ledger.page(n, status=None, limit=100, offset=0)]


def _calls_and_services(gw: Gateway, openfaas: FakeOpenFaaS, tokens: dict[str, str]) -> None:
    client = gw.client
    sync = client.post(
        "/run/grayify",
        data=b"a picture",
        headers={"Authorization": f"Bearer {tokens['grayify']}", "X-Filename": "a.png"},
    )
    assert sync.get_data() == b"processed by the function"
    for method, path, query in (
        ("POST", "/system/services", {"dry_run": "true"}),
        ("POST", "/system/services", {}),
        ("PUT", "/system/services/grey-fdl", {}),
        ("DELETE", "/system/services/grey-fdl", {}),
    ):
        answer = client.open(path, method=method, json=FDL, headers=ADMIN, query_string=query)
        assert answer.status_code < 300, answer.get_data(as_text=True)
    assert client.post("/events", headers={"Authorization": "Bearer nope"}).status_code == 403
    wrong = base64.b64encode(f"{OPENFAAS_USER}:nope".encode()).decode()
    assert (
        client.get("/system/services", headers={"Authorization": f"Basic {wrong}"}).status_code
        == 403
    )
    openfaas.system_fails = True
    assert client.get("/system/services", headers=ADMIN).status_code == 502


def _secrets(tokens: dict[str, str]) -> list[str]:
    return [form for s in [*SECRETS.values(), *tokens.values()] for form in _forms(s)]


def test_no_secret_appears_in_a_log_record(
    driven: tuple[Gateway, dict[str, str], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    _, tokens, _ = driven
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    # The gateway was driven while the fixture was set up.
    lines = [formatter.format(record) for record in caplog.get_records("setup")]

    # The paths that log were taken: a refused send, faas-cli steps, a plan.
    assert any("OpenFaaS answered 500" in line for line in lines)
    assert any("running faas-cli login" in line for line in lines)
    assert any("creating service grey-fdl" in line for line in lines)
    for secret in _secrets(tokens):
        assert not [line for line in lines if secret in line], secret


def test_no_secret_appears_in_a_job_record(
    driven: tuple[Gateway, dict[str, str], list[str]],
) -> None:
    _, tokens, records = driven

    assert any("no decode delegate" in record for record in records)  # log tails are there
    assert any("HTTP 404" in record for record in records)
    for secret in _secrets(tokens):
        assert not [record for record in records if secret in record], secret


def test_functions_are_sent_no_credential_of_the_gateway(
    driven: tuple[Gateway, dict[str, str], list[str]], openfaas: FakeOpenFaaS
) -> None:
    _, tokens, _ = driven
    sent: list[Received] = openfaas.function_requests()

    assert {r.path for r in sent} >= {"/function/grayify", "/async-function/thumbs"}
    for request in sent:
        assert "Authorization" not in request.headers, request.path
        text = json.dumps(request.headers) + request.body.decode("utf-8", "replace")
        for secret in _secrets(tokens):
            assert secret not in text, (request.path, secret)
    # The gateway still logs in where OpenFaaS asks for it.
    assert all(
        "Authorization" in r.headers for r in openfaas.received if r.path.startswith("/system/")
    )
