"""`supervisor.classic`: OpenFaaS's classic watchdog semantics for an fprocess, with real
processes (`sha512sum`, `env`, `sh`) behind a real WSGI client."""

from __future__ import annotations

import hashlib

import pytest
from werkzeug.test import Client

from supervisor.classic import ClassicApp


def client(*command: str, timeout: float = 10.0, **env: str) -> Client:
    return Client(ClassicApp(command, env={"PATH": "/usr/bin:/bin", **env}, timeout=timeout))


def test_the_body_goes_to_stdin_and_stdout_is_the_answer() -> None:
    answer = client("sha512sum").post("/", data=b"hello")

    assert answer.status_code == 200
    assert answer.get_data().split()[0].decode() == hashlib.sha512(b"hello").hexdigest()


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_verb_reaches_the_process_with_its_method_path_query_and_headers(
    method: str,
) -> None:
    answer = client("env").open(
        "/some/path?a=1&b=two", method=method, headers={"X-Custom-Header": "yes"}, data=b"x"
    )
    variables = dict(
        line.split("=", 1) for line in answer.get_data(as_text=True).splitlines() if "=" in line
    )

    assert answer.status_code == 200
    assert variables["Http_Method"] == method
    assert (variables["Http_Path"], variables["Http_Query"]) == ("/some/path", "a=1&b=two")
    assert variables["Http_X_Custom_Header"] == "yes"
    assert variables["Http_Content_Length"] == "1"


def test_the_functions_own_environment_reaches_the_process() -> None:
    answer = client("sh", "-c", 'echo "$GREETING"', GREETING="hi there").post("/")

    assert answer.get_data() == b"hi there\n"


def test_a_failing_process_is_a_500_with_its_stderr() -> None:
    answer = client("sh", "-c", "echo broken >&2; exit 3").post("/", data=b"")

    assert answer.status_code == 500
    assert b"broken" in answer.get_data()


def test_a_process_past_its_timeout_is_a_500_that_says_so() -> None:
    answer = client("sleep", "5", timeout=0.2).post("/")

    assert (answer.status_code, answer.get_data()) == (500, b"timed out\n")


def test_a_missing_command_is_a_500_naming_it() -> None:
    answer = client("no-such-command-here").post("/")

    assert answer.status_code == 500 and b"no-such-command-here" in answer.get_data()


def test_readiness_is_answered_without_running_the_process() -> None:
    assert client("false").get("/ready").status_code == 200


def test_each_call_logs_the_classic_watchdogs_forking_and_wrote_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("INFO", logger="supervisor.classic"):
        client("sha512sum").post("/", data=b"hello")

    messages = [r.getMessage() for r in caplog.records if r.name == "supervisor.classic"]
    assert messages[0] == "Forking fprocess."
    assert messages[-1].startswith("Wrote 132 Bytes - Duration: ")
