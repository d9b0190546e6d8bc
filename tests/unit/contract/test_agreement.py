"""The gateway and the supervisor read the same records the same way: same objects, same keys,
same identities, and the same refusals."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import BadRequest as GatewayBadRequest
from gateway.jobs.events import parse_notification
from supervisor.errors import BadRequest as SupervisorBadRequest
from supervisor.event import parse
from tests.support.events import minio_event, minio_record

keys = st.one_of(
    st.text(min_size=0, max_size=12),
    st.sampled_from(["in/a b.png", "in/%00", "in/\x00", "in/\ud800", "in/100%", "a+b%2Fc"]),
)
versions = st.one_of(st.none(), st.sampled_from(["", "null", "v1", "3b1d2f6e"]), st.integers())
etags = st.one_of(st.none(), st.sampled_from(["", "e1", "e2-3"]))
names = st.sampled_from(["s3:ObjectCreated:Put", "ObjectCreated:Copy", "s3:ObjectRemoved:Delete"])


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    version = draw(versions)
    extra: dict[str, Any] = {} if version is None else {"versionId": version}
    return minio_record(
        "photos",
        draw(keys),
        etag=draw(etags),
        event_name=draw(names),
        escape=draw(st.booleans()),
        **extra,
    )


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(records(), min_size=1, max_size=3))
def test_gateway_and_supervisor_agree_on_keys_identities_and_refusals(
    drawn: list[dict[str, Any]],
) -> None:
    body = minio_event(*drawn)
    try:
        announced, ignored = parse_notification(body)
    except GatewayBadRequest as refused:
        try:
            parse(body)
        except SupervisorBadRequest as also:
            assert also.message == refused.message
            return
        raise AssertionError(
            f"the gateway refused what the supervisor takes: {refused.message}"
        ) from None

    event = parse(body)

    assert [(a.bucket, a.key, a.identity) for a in announced] == [
        (o.bucket, o.key, o.identity) for o in event.objects
    ]
    assert ignored == len(event.skipped)
