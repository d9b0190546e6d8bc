"""POST /callbacks/<job> in front of Flask (gateway.http.callbacks_wsgi): a callback settles its
job as the Flask route did, with the same answers, errors included."""

# The app's fakes are test_service_api's fixtures, imported: their names are parameters.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from gateway.assembly import Parts, assemble
from gateway.config import GatewayConfig
from gateway.jobs.model import JobStatus, NewJob
from tests.unit.gateway.test_batch_callbacks import local
from tests.unit.gateway.test_service_api import (  # noqa: F401 - fixtures
    FakeFaasCli,
    FakeOpenFaaS,
    FakeStorage,
    config,
    faas_cli,
    openfaas,
    storage,
)

DONE = {"X-Function-Status": "200", "X-Duration-Seconds": "0.25"}
OUTPUTS = json.dumps({"results": [{"outputs": ["out/a.png"], "log_tail": "ok"}]}).encode()


@pytest.fixture
def parts(
    config: GatewayConfig, openfaas: FakeOpenFaaS, storage: FakeStorage, faas_cli: FakeFaasCli
) -> Iterator[Parts]:
    built = assemble(config, openfaas=openfaas, storage=storage, faas_cli=faas_cli)
    yield built
    built.ledger.close()


def claimed(parts: Parts, key: str = "in/a.png") -> Any:
    parts.ledger.add([NewJob("svc", "b", key, f"e-{key}", '{"Records": []}', 3, 100.0)])
    [[job]] = parts.ledger.claim_batches("svc", size=1, now=101.0, timeout=30, concurrency=1)
    return job


def plain(parts: Parts) -> Client:
    """The app as served: the plain routes in front of Flask."""
    return Client(parts.app.wsgi_app)


def through_flask(parts: Parts) -> Client:
    """Flask alone, as the route was answered before (its before-request hook checks the URL)."""
    app = parts.app
    return Client(lambda env, start: Flask.wsgi_app(app, env, start))


def test_a_good_callback_settles_its_job_and_records_its_outputs(parts: Parts) -> None:
    job = claimed(parts)
    flask_saw: list[str] = []
    parts.app.before_request(lambda: flask_saw.append("seen"))

    answer = plain(parts).post(
        local(parts.dispatcher.callback_url([job])), data=OUTPUTS, headers=DONE
    )

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json == {"status": "succeeded"}
    settled = parts.ledger.get(job.id)
    assert settled is not None
    assert settled.status == JobStatus.SUCCEEDED
    assert settled.outputs == ["out/a.png"]
    assert flask_saw == []  # answered in front of Flask


def test_a_signed_callback_for_a_job_the_gateway_does_not_have_is_a_404_in_json(
    parts: Parts,
) -> None:
    url = f"/callbacks/nosuchjob?call=c1&sig={parts.signer.sign('nosuchjob', 'c1')}"

    answers = [way(parts).post(url, data=OUTPUTS, headers=DONE) for way in (plain, through_flask)]

    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json == answers[1].json == {"error": "job nosuchjob does not exist"}


def test_a_stale_attempts_callback_is_ignored_as_before(parts: Parts) -> None:
    job = claimed(parts)
    url = f"/callbacks/{job.id}?call=old&sig={parts.signer.sign(job.id, 'old')}"

    answer = plain(parts).post(url, data=OUTPUTS, headers=DONE)

    assert answer.status_code == 200
    assert answer.json == {"status": "ignored", "reason": "not the job's current attempt"}
    assert parts.ledger.get(job.id).status == JobStatus.RUNNING  # type: ignore[union-attr]


def test_an_unsigned_or_wrongly_signed_callback_is_a_403_in_json(parts: Parts) -> None:
    job = claimed(parts)
    for url in (f"/callbacks/{job.id}?call={job.call_id}", f"/callbacks/{job.id}?sig=x"):
        answers = [
            way(parts).post(url, data=OUTPUTS, headers=DONE) for way in (plain, through_flask)
        ]

        assert [a.status_code for a in answers] == [403, 403]
        assert answers[0].json == answers[1].json
        assert "not issued by the gateway" in answers[0].json["error"]  # type: ignore[index]
    assert parts.ledger.get(job.id).status == JobStatus.RUNNING  # type: ignore[union-attr]


def test_a_body_that_is_not_json_is_the_attempts_failure_not_a_stack_trace(parts: Parts) -> None:
    """The body is the function's answer: one that is not JSON (a watchdog's text) is how the
    attempt failed, and the job is retried, as the Flask route did; never a 500."""
    job = claimed(parts)

    answer = plain(parts).post(
        local(parts.dispatcher.callback_url([job])),
        data=b"\xff{not json",
        headers={"X-Function-Status": "502"},
    )

    assert answer.status_code == 200
    assert answer.json == {"status": "queued"}
    settled = parts.ledger.get(job.id)
    assert settled is not None
    assert settled.status == JobStatus.QUEUED
    assert "HTTP 502" in (settled.error or "")


def test_a_body_over_the_limit_is_a_413_in_json(parts: Parts, config: GatewayConfig) -> None:
    job = claimed(parts)

    answer = plain(parts).post(
        local(parts.dispatcher.callback_url([job])),
        data=b"x" * (config.max_body_bytes + 1),
        headers=DONE,
    )

    assert answer.status_code == 413
    assert answer.json is not None and "error" in answer.json


def test_another_method_goes_on_to_flask_which_answers_405_in_json(parts: Parts) -> None:
    job = claimed(parts)

    answer = plain(parts).get(local(parts.dispatcher.callback_url([job])))

    assert answer.status_code == 405
    assert "POST" in answer.headers["Allow"]
    assert answer.json is not None and "error" in answer.json
    assert parts.ledger.get(job.id).status == JobStatus.RUNNING  # type: ignore[union-attr]
