"""POST /events and /job/<svc> with hostile bodies: a JSON answer below 500, and exactly the jobs
that the objects it announces route to, one per (service, bucket, key, version)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.gateway_stack import ADMIN, SERVICES, WEBHOOK, Gateway
from tests.fuzz.hostile import CREATED_NAMES, FUZZ, as_body, notifications

Identity = tuple[str, str, str, str]


@dataclass
class Expected:
    """What the gateway should make of a notification, worked out independently of it."""

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


def _text(value: object) -> bool:
    """A non-empty string that UTF-8 (and so the ledger) can hold."""
    if not isinstance(value, str) or not value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def expect(document: Any, *, only: str | None = None) -> Expected | None:
    """None when the notification must be refused as a whole (400)."""
    if not isinstance(document, dict) or not isinstance(document.get("Records"), list):
        return None
    expected = Expected()
    for record in document["Records"]:
        s3 = record.get("s3") if isinstance(record, dict) else None
        if not isinstance(s3, dict):
            return None
        bucket_part, obj = s3.get("bucket"), s3.get("object")
        bucket = bucket_part.get("name") if isinstance(bucket_part, dict) else None
        key = obj.get("key") if isinstance(obj, dict) else None
        if not _text(bucket) or not _text(key):
            return None
        assert isinstance(bucket, str) and isinstance(key, str) and isinstance(obj, dict)
        version = obj.get("versionId")
        identity = str((version if version != "null" else None) or obj.get("eTag") or "")
        if identity and not _text(identity):
            return None
        if not str(record.get("eventName", "")).startswith(CREATED_NAMES):
            expected.ignored += 1
            continue
        decoded = unquote_plus(key)
        services = [s for s in _routes(bucket, decoded) if only in (None, s)]
        expected.unrouted += not services
        expected.routed += len(services)
        expected.identities |= {(s, bucket, decoded, identity) for s in services}
    return expected


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
