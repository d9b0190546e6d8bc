"""POST /events and /job/<svc> with hostile bodies: a JSON answer below 500, the same verdict as
the supervisor's on the same body, and exactly the jobs that the objects it announces route to,
one per (service, bucket, key, version), whose keys survive MinIO's escaping."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from hypothesis import example, given
from hypothesis import strategies as st

from supervisor.errors import BadRequest as SupervisorRefused
from supervisor.event import parse as supervisor_parse
from tests.fuzz.gateway_stack import ADMIN, SERVICES, WEBHOOK, Gateway
from tests.fuzz.hostile import FUZZ, as_body, notifications
from tests.support.events import escape_key

Identity = tuple[str, str, str, str]


@dataclass
class Expected:
    """What the gateway should make of a notification: the objects the supervisor reads in it
    (the other deployable, so the two must agree), routed by the services' own settings."""

    identities: set[Identity] = field(default_factory=set)
    routed: int = 0  # (record, service) pairs, duplicates included
    unrouted: int = 0
    ignored: int = 0


def _routes(bucket: str, key: str) -> list[str]:
    names = []
    for name, (env, notes) in SERVICES.items():
        input_bucket, _, prefix = env["INPUT_PATH"].partition("/")
        suffixes = tuple(s for s in notes.get("oscar.suffix", "").split(",") if s)
        if bucket != input_bucket or (prefix and not key.startswith(prefix + "/")):
            continue
        if not suffixes or key.endswith(suffixes):
            names.append(name)
    return names


def expect(document: Any, *, only: str | None = None) -> Expected | None:
    """None when the supervisor refuses the notification as a whole (so must the gateway)."""
    try:
        event = supervisor_parse(as_body(document))
    except SupervisorRefused:
        return None
    if not isinstance(document, dict) or "Records" not in document:
        return None  # a bare s3:TestEvent: the supervisor shrugs, the webhook wants Records
    expected = Expected(ignored=len(event.skipped))
    for ref in event.objects:
        services = [s for s in _routes(ref.bucket, ref.key) if only in (None, s)]
        expected.unrouted += not services
        expected.routed += len(services)
        expected.identities |= {(s, ref.bucket, ref.key, ref.identity) for s in services}
    return expected


def _assert_keys_round_trip(identities: set[Identity]) -> None:
    """Every key the gateway keeps is text MinIO can name: escaped and decoded, it is itself."""
    for _, _, key, _ in identities:
        assert key and "\x00" not in key
        key.encode("utf-8")
        assert unquote_plus(escape_key(key)) == key


def _jobs(gw: Gateway) -> set[Identity]:
    return {
        (job.service, job.bucket, job.key, job.etag)
        for name in SERVICES
        for job in gw.ledger.page(name, status=None, limit=10**9, offset=0)
    }


def _reply(answer: Any) -> dict[str, Any]:
    assert answer.status_code < 500, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json", answer.get_data(as_text=True)
    reply = answer.get_json()
    assert isinstance(reply, dict)
    return reply


@FUZZ
@given(document=notifications)
def test_a_notification_makes_one_job_per_routed_object_version_even_when_sent_twice(
    shared_gw: Gateway, document: Any
) -> None:
    gw, expected = shared_gw, expect(document)
    before = _jobs(gw)  # what earlier examples left: their objects make no second job either
    for sent in (1, 2):
        reply = _reply(gw.client.post("/events", data=as_body(document), headers=WEBHOOK))

        if expected is None:
            assert "error" in reply
            assert _jobs(gw) == before
            return
        assert "error" not in reply, reply
        _assert_keys_round_trip(_jobs(gw) - before)
        assert _jobs(gw) == before | expected.identities
        assert gw.job_count() == len(before | expected.identities)
        created = len(expected.identities - before) if sent == 1 else 0
        assert len(reply["jobs"]) == created
        assert reply["duplicates"] == expected.routed - created
        assert reply["unrouted"] == expected.unrouted
        assert reply["ignored"] == expected.ignored


@FUZZ
@given(document=notifications)
def test_a_job_submitted_to_one_service_routes_to_that_service_only(
    shared_gw: Gateway, document: Any
) -> None:
    gw, expected = shared_gw, expect(document, only="thumbs")
    before = _jobs(gw)

    answer = gw.client.post("/job/thumbs", data=as_body(document), headers=ADMIN)

    reply = _reply(answer)
    if expected is None:
        assert answer.status_code == 400, reply
        assert _jobs(gw) == before
    else:
        assert answer.status_code == 202, reply
        assert _jobs(gw) == before | expected.identities
        assert reply["unrouted"] == expected.unrouted


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=300),
        notifications.map(as_body).flatmap(
            lambda b: st.integers(0, len(b)).map(lambda cut: b[:cut])  # truncated JSON
        ),
    ),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", ""]
    ),
)
@example(body=b"[" * 100_000, content_type="application/json")
@example(body=b'{"Records": [' + b"[" * 100_000, content_type="application/json")
@example(body=b'{"Records": [{"s3": "x"}]}', content_type="application/json")
@example(body=b'{"Records": [{"s3": {"bucket": "photos", "object": {"key": "in/a"}}}]}',
         content_type="application/json")  # fmt: skip
@example(body=b'{"Records": [{"s3": {"bucket": null, "object": {"key": "in/a"}}}]}',
         content_type="application/json")  # fmt: skip
@example(
    body=b'{"Records": [{"eventName": "s3:ObjectCreated:Put", "s3": {"bucket": {"name": "photos"},'
    b' "object": {"key": "in/\\ud800.png"}}}]}',
    content_type="application/json",
)  # a lone surrogate: no ledger row can hold it
@example(body="\ufeff{}".encode(), content_type="application/json")
@example(body=b"\xff\xfe{\x00}\x00", content_type="application/json")
def test_any_bytes_get_a_json_answer_below_500(
    shared_gw: Gateway, body: bytes, content_type: str
) -> None:
    before = shared_gw.job_count()
    headers = {**WEBHOOK, "Content-Type": content_type} if content_type else WEBHOOK

    answer = shared_gw.client.post("/events", data=body, headers=headers)

    reply = _reply(answer)
    assert answer.status_code in {200, 400}
    assert (answer.status_code == 400) == ("error" in reply)
    if answer.status_code == 400:
        assert shared_gw.job_count() == before
    else:
        assert isinstance(json.loads(body.decode("utf-8")), dict)  # only a notification passes
