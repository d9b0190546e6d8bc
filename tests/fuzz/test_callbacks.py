"""POST /callbacks/<job> with valid signatures and hostile headers and bodies: a JSON answer
below 500, a job that ends in a state the state machine allows, and a second callback for the
same attempt (or one for another attempt) that changes nothing."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from gateway.jobs.model import Job
from tests.fuzz.gateway_stack import ADMIN, Gateway
from tests.fuzz.hostile import FUZZ, as_body, header_names, header_text, junk

STATUS = "X-Function-Status"
DURATION = "X-Duration-Seconds"

statuses = st.one_of(
    st.sampled_from(["200", "202", "204", "299", "300", "400", "404", "408", "429", "500", "504"]),
    st.sampled_from([" 200 ", "0200", "²", "2²", "-1", "1e3", "20 0", "9" * 30, ""]),
    st.integers(-10, 1000).map(str),
    header_text,
)
durations = st.one_of(
    st.floats().map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-5", "0.25", " 1.5 ", "1_0", ""]),
    header_text,
)
callback_headers = st.fixed_dictionaries(
    {},
    optional={
        STATUS: statuses,
        DURATION: durations,
        "Content-Type": st.sampled_from(["application/json", "text/plain", "text/html"]),
    },
).flatmap(
    lambda fixed: st.dictionaries(header_names, header_text, max_size=3).map(
        lambda extra: {**extra, **fixed}
    )
)
_result = st.fixed_dictionaries(
    {},
    optional={
        "outputs": st.one_of(st.lists(junk, max_size=3), junk),
        "log_tail": junk,
        "exit_code": junk,
    },
)
callback_bodies = st.one_of(
    st.binary(max_size=200),
    st.fixed_dictionaries(
        {},
        optional={
            "results": st.one_of(st.lists(st.one_of(_result, junk), max_size=3), junk),
            "error": junk,
            "log_tail": junk,
            "status": junk,
        },
    ).map(as_body),
    junk.map(as_body),
)


def _status(headers: dict[str, str]) -> int | None:
    """The queue-worker's X-Function-Status: an HTTP status in ASCII digits, or none."""
    text = headers.get(STATUS, "")
    return int(text) if re.fullmatch(r"\s*[0-9]{3}\s*", text) else None


def _next_state(headers: dict[str, str], body: bytes) -> str:
    """A 2xx succeeds; a 4xx other than 408/429 in which the function says why (a JSON object
    with a string `error`) cannot pass with a retry; the rest retries (the job has attempts
    left: it is on its first of two)."""
    status = _status(headers)
    if status is not None and 200 <= status < 300:
        return "succeeded"
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        document = None
    from_function = isinstance(document, dict) and isinstance(document.get("error"), str)
    if status is not None and status < 500 and status not in {408, 429} and from_function:
        return "dead"
    return "queued"


def _strict(text: str) -> Any:
    """JSON as every client reads it: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"the answer holds {constant}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


def _job(gw: Gateway, job: Job) -> dict[str, Any]:
    answer = gw.client.get(f"/system/jobs/{job.service}/{job.id}", headers=ADMIN)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    record = _strict(answer.get_data(as_text=True))
    assert isinstance(record, dict)
    return record


def _post(gw: Gateway, url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    answer = gw.client.post(url, data=body, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    reply = _strict(answer.get_data(as_text=True))
    assert isinstance(reply, dict)
    return reply


@FUZZ
@given(headers=callback_headers, body=callback_bodies, other_call=st.text(max_size=20))
@example(headers={STATUS: "200"}, body=b'{"results": [{"outputs": 5}]}', other_call="")
@example(headers={STATUS: "200"}, body=b'{"results": [{"outputs": true}]}', other_call="")
@example(headers={STATUS: "²"}, body=b"{}", other_call="")
@example(headers={STATUS: "9" * 30}, body=b"{}", other_call="")
@example(headers={STATUS: "200", DURATION: "inf"}, body=b"{}", other_call="")
@example(headers={STATUS: "500", DURATION: "-1e400"}, body=b"{}", other_call="")
@example(headers={STATUS: "200", DURATION: "-3"}, body=b"{}", other_call="")
@example(headers={STATUS: "200", DURATION: "100000"}, body=b"{}", other_call="")
@example(headers={STATUS: "500"}, body=b"[" * 100_000, other_call="")
def test_a_signed_callback_ends_its_attempt_once_in_a_valid_state(
    shared_gw: Gateway, headers: dict[str, str], body: bytes, other_call: str
) -> None:
    gw = shared_gw
    job = gw.running_job("in/photo.png")
    # A callback signed for another attempt of this job is stale: it changes nothing.
    if other_call != job.call_id:
        stale = gw.callback_url(job.id, other_call)
        assert _post(gw, stale, body, headers)["status"] == "ignored"
        assert _job(gw, job)["status"] == "running"
    url = gw.callback_url(job.id, job.call_id)

    reply = _post(gw, url, body, headers)

    record = _job(gw, job)
    assert reply["status"] == record["status"]
    assert record["status"] == _next_state(headers, body)
    assert all(isinstance(output, str) for output in record["outputs"])
    assert isinstance(record["log_tail"], str) and isinstance(record["error"], str)
    duration = record["duration_seconds"]
    assert duration is None or (math.isfinite(duration) and duration >= 0)
    started = record["started_at"]
    assert started is None or record["dispatched_at"] <= started
    [attempt] = record["history"]
    assert attempt["outcome"] == ("succeeded" if record["status"] == "succeeded" else "failed")
    assert attempt["finished_at"] is not None

    again = _post(gw, url, body, headers)

    assert again["status"] == "ignored"
    assert _job(gw, job) == record
