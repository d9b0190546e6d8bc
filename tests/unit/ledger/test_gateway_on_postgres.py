"""A gateway whose PostgreSQL goes away: /health says so (503, with the reason), /events answers
503 so that MinIO sends the event again, and both recover when the database is back."""

# The app's fakes are test_service_api's fixtures, imported: their names are parameters.
# ruff: noqa: F811

from __future__ import annotations

import dataclasses

from gateway.assembly import assemble
from gateway.config import GatewayConfig
from tests.support.events import minio_event, minio_record
from tests.support.postgres import PostgresServer
from tests.support.waiting import wait_for
from tests.unit.gateway.test_service_api import (  # noqa: F401 - fixtures
    FakeFaasCli,
    FakeOpenFaaS,
    FakeStorage,
    config,
    faas_cli,
    openfaas,
    storage,
)

WEBHOOK = {"Authorization": "Bearer webhook-token"}


def test_a_ledger_that_goes_away_is_a_503_on_health_and_events_until_it_is_back(
    config: GatewayConfig, openfaas: FakeOpenFaaS, storage: FakeStorage, faas_cli: FakeFaasCli
) -> None:
    server = PostgresServer()
    on_postgres = dataclasses.replace(config, ledger_url=server.create_database())
    parts = assemble(on_postgres, openfaas=openfaas, storage=storage, faas_cli=faas_cli)
    client = parts.app.test_client()
    event = minio_event(minio_record("photos", "in/a.png"))
    try:
        assert client.get("/health").get_json() == {"status": "ok"}
        server.stop()

        health = client.get("/health")
        events = client.post("/events", data=event, headers=WEBHOOK)

        assert health.status_code == 503
        assert health.get_json()["status"] == "unavailable"
        assert "does not answer" in health.get_json()["reason"]
        assert events.status_code == 503
        assert "start it, or check OSCAR_LEDGER_URL" in events.get_json()["error"]

        server.start()  # the pool reconnects on its backoff (1 s, doubling): a deadline
        wait_for(lambda: client.get("/health").status_code == 200, timeout=30, what="/health back")
        assert client.post("/events", data=event, headers=WEBHOOK).status_code == 200
    finally:
        parts.ledger.close()
        server.remove()
