"""POST /events through the Flask app: a key the contract refuses is a 400 with the reason."""

# The app and its fakes are test_service_api's fixtures, imported: their names are parameters.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.events import minio_event, minio_record
from tests.unit.gateway.test_service_api import (  # noqa: F401 - fixtures
    client,
    config,
    faas_cli,
    openfaas,
    storage,
)

WEBHOOK = {"Authorization": "Bearer webhook-token"}


@pytest.mark.parametrize(
    ("key", "escape", "reason"),
    [
        ("in/a\x00b.png", True, "Records[1].s3.object.key: holds a NUL character"),
        ("in/a%00b.png", False, "Records[1].s3.object.key: holds a NUL character"),
        ("in/\ud800.png", False, "Records[1].s3.object.key: is not UTF-8 text"),
        ("", False, "Records[1].s3.object.key: expected an object key, found an empty one"),
        ("in/" + "k" * 1030, True, "Records[1].s3.object.key: is 1033 bytes of UTF-8"),
    ],
)
def test_a_key_the_contract_refuses_is_a_400_naming_the_record_and_the_reason(
    client: FlaskClient, key: str, escape: bool, reason: str
) -> None:
    body = minio_event(
        minio_record("photos", "in/fine.png"), minio_record("photos", key, escape=escape)
    )

    answer = client.post("/events", data=body, headers=WEBHOOK)

    assert answer.status_code == 400
    assert answer.get_json()["error"].startswith(reason)


def test_a_time_no_script_environment_can_hold_is_a_400_too(client: FlaskClient) -> None:
    body = minio_event(minio_record("photos", "in/a.png", event_time="2026\x00"))

    answer = client.post("/events", data=body, headers=WEBHOOK)

    assert answer.status_code == 400
    assert "Records[0].eventTime: holds a NUL character" in answer.get_json()["error"]


def test_a_sound_notification_is_accepted(client: FlaskClient) -> None:
    answer = client.post(
        "/events", data=minio_event(minio_record("photos", "in/a b.png")), headers=WEBHOOK
    )

    assert answer.status_code == 200
    assert answer.get_json()["unrouted"] == 1  # no service yet: accepted, routed nowhere


def test_an_event_is_answered_in_front_of_flask_with_the_same_answers(
    client: FlaskClient,
) -> None:
    """POST /events is plain WSGI (gateway.http.events_wsgi): no Flask hook runs for it, and
    its answers are the ones the Flask route gave, errors included."""
    flask_saw: list[str] = []

    @client.application.before_request
    def _seen() -> None:
        flask_saw.append("seen")

    body = minio_event(minio_record("photos", "in/a.png"), minio_record("photos", "in/b.png"))

    accepted = client.post("/events", data=body, headers=WEBHOOK)
    no_token = client.post("/events", data=body)
    wrong_token = client.post("/events", data=body, headers={"Authorization": "Bearer nope"})
    not_json = client.post("/events", data=b"{not json", headers=WEBHOOK)

    assert accepted.status_code == 200
    assert accepted.get_json() == {"jobs": [], "duplicates": 0, "unrouted": 2, "ignored": 0}
    assert accepted.headers["Content-Type"] == "application/json"
    assert (no_token.status_code, wrong_token.status_code, not_json.status_code) == (401, 403, 400)
    assert "webhook token" in no_token.get_json()["error"]
    assert "webhook token" in wrong_token.get_json()["error"]
    assert not_json.get_json()["error"]
    assert flask_saw == []


def test_events_by_another_method_still_reach_flask_and_are_a_json_405(
    client: FlaskClient,
) -> None:
    answer = client.get("/events", headers=WEBHOOK)

    assert answer.status_code == 405
    assert "POST" in answer.headers["Allow"]
    assert answer.get_json()["error"]
