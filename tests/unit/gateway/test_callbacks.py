"""A callback's headers and body decide success, retry or dead letter."""

from __future__ import annotations

import json

from gateway.jobs.callbacks import read_callback
from gateway.tokens import CallbackSigner


def test_a_2xx_callback_collects_outputs_and_log_tails() -> None:
    body = json.dumps(
        {
            "results": [
                {"outputs": ["out/a.png"], "log_tail": "ok a"},
                {"outputs": ["out/b.png"], "log_tail": "ok b"},
            ]
        }
    ).encode()

    outcome = read_callback({"X-Function-Status": "200", "X-Duration-Seconds": "0.25"}, body)

    assert outcome.succeeded
    assert outcome.outputs == ["out/a.png", "out/b.png"]
    assert outcome.duration == 0.25
    assert outcome.log_tail == "ok a\nok b"


def test_a_script_failure_is_retryable_and_keeps_its_log_tail() -> None:
    body = json.dumps(
        {"error": "script exited with code 3", "exit_code": 3, "log_tail": "boom"}
    ).encode()

    outcome = read_callback({"X-Function-Status": "500"}, body)

    assert not outcome.succeeded and outcome.retryable
    assert outcome.log_tail == "boom"
    assert "code 3" in outcome.error


def test_a_4xx_from_the_platform_rather_than_the_function_is_retried() -> None:
    outcome = read_callback({"X-Function-Status": "404"}, b"error finding function grey")

    assert not outcome.succeeded and outcome.retryable
    assert "error finding function" in outcome.error


def test_a_4xx_from_the_function_is_not_retried() -> None:
    outcome = read_callback({"X-Function-Status": "404"}, b'{"error": "input gone"}')

    assert not outcome.succeeded and not outcome.retryable
    assert "input gone" in outcome.error


def test_a_callback_without_status_is_a_retryable_failure() -> None:
    outcome = read_callback({}, b"gateway timeout")

    assert not outcome.succeeded and outcome.retryable
    assert "X-Function-Status" in outcome.error


def test_callback_signatures_bind_job_and_attempt() -> None:
    signer = CallbackSigner("key")
    signature = signer.sign("job1", "call1")

    assert signer.valid("job1", "call1", signature)
    assert not signer.valid("job1", "call2", signature)
    assert not signer.valid("job2", "call1", signature)
    assert not signer.valid("job1", "call1", None)
    assert not CallbackSigner("other").valid("job1", "call1", signature)
