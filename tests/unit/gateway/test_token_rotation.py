"""Rotating a service's token and the webhook token through the gateway's API, on a clock the
test moves: the old and the new token both pass during the grace, only the new one after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from gateway.assembly import Parts, assemble
from gateway.config import GatewayConfig
from tests.unit.gateway.test_service_api import (  # noqa: F401 - the fixtures
    ADMIN,
    SERVICE,
    FakeFaasCli,
    FakeOpenFaaS,
    FakeStorage,
    config,
    faas_cli,
    openfaas,
    storage,
)

EVENTS: dict[str, list[object]] = {"Records": []}


class Clock:
    now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def parts(
    config: GatewayConfig,  # noqa: F811
    openfaas: FakeOpenFaaS,  # noqa: F811
    storage: FakeStorage,  # noqa: F811
    faas_cli: FakeFaasCli,  # noqa: F811
    clock: Clock,
) -> Iterator[Parts]:
    built = assemble(config, openfaas=openfaas, storage=storage, faas_cli=faas_cli, clock=clock)
    yield built
    built.ledger.close()


@pytest.fixture
def client(parts: Parts) -> FlaskClient:
    made = parts.app.test_client()
    assert made.post("/system/services", json=SERVICE, headers=ADMIN).status_code == 201
    return made


def submit(client: FlaskClient, token: str) -> int:
    """The status of a submission with `token`: 403 refused; anything else passed (the empty
    body is then a 400 from the route itself)."""
    return client.post(
        "/job/grayify", json={}, headers={"Authorization": f"Bearer {token}"}
    ).status_code


def test_a_rotated_service_token_passes_during_the_grace_and_is_refused_after(
    client: FlaskClient, clock: Clock
) -> None:
    old = client.get("/system/services/grayify", headers=ADMIN).get_json()["token"]

    rotated = client.post("/system/services/grayify/token/rotate?grace_seconds=120", headers=ADMIN)

    assert rotated.status_code == 200, rotated.get_data(as_text=True)
    new = rotated.get_json()["token"]
    assert rotated.get_json() == {
        "name": "service/grayify",
        "token": new,
        "previous_valid_until": 5120.0,
    }
    assert client.get("/system/services/grayify", headers=ADMIN).get_json()["token"] == new
    assert submit(client, old) == submit(client, new) == 400
    clock.now += 119
    assert submit(client, old) == 400
    clock.now += 1
    assert submit(client, old) == 403
    assert submit(client, new) == 400


def test_the_grace_defaults_to_the_configured_one(client: FlaskClient, clock: Clock) -> None:
    old = client.get("/system/services/grayify", headers=ADMIN).get_json()["token"]

    rotated = client.post("/system/services/grayify/token/rotate", headers=ADMIN).get_json()

    assert rotated["previous_valid_until"] == 5000.0 + 3600
    clock.now += 3600
    assert submit(client, old) == 403


def test_rotating_needs_the_admin_and_an_existing_service(client: FlaskClient) -> None:
    token = client.get("/system/services/grayify", headers=ADMIN).get_json()["token"]
    as_service = {"Authorization": f"Bearer {token}"}

    assert (
        client.post("/system/services/grayify/token/rotate", headers=as_service).status_code == 403
    )
    assert client.post("/system/services/nope/token/rotate", headers=ADMIN).status_code == 404
    bad = client.post("/system/services/grayify/token/rotate?grace_seconds=-1", headers=ADMIN)
    assert bad.status_code == 400
    assert "grace_seconds" in bad.get_json()["error"]


def test_a_rotated_webhook_token_passes_during_the_grace_and_is_refused_after(
    client: FlaskClient, clock: Clock
) -> None:
    def events(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return client.post("/events", json=EVENTS, headers=headers).status_code

    assert events("webhook-token") == 200

    rotated = client.post("/system/webhook-token/rotate?grace_seconds=30", headers=ADMIN)

    new = rotated.get_json()["token"]
    assert rotated.get_json()["name"] == "webhook"
    assert events("webhook-token") == events(new) == 200
    clock.now += 30
    assert events("webhook-token") == 403
    assert events(new) == 200
    assert (
        "oscar webhook-token rotate"
        in client.post(
            "/events", json=EVENTS, headers={"Authorization": "Bearer webhook-token"}
        ).get_json()["error"]
    )


def test_the_webhook_token_of_the_secret_file_is_not_the_one_in_force_after_a_rotation(
    parts: Parts,
    client: FlaskClient,
    config: GatewayConfig,  # noqa: F811
    clock: Clock,
) -> None:
    client.post("/system/webhook-token/rotate?grace_seconds=0", headers=ADMIN)

    restarted = assemble(config, openfaas=parts.openfaas, storage=parts.storage, clock=clock)
    try:
        answer = restarted.app.test_client().post(
            "/events", json=EVENTS, headers={"Authorization": "Bearer webhook-token"}
        )
    finally:
        restarted.ledger.close()

    assert answer.status_code == 403
