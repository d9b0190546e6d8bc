"""`oscar jobs`, `logs` and `replay` against the fake gateway."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.conftest import Oscar, WriteStack, fails
from tests.unit.cli.fake_gateway import FakeGateway, job, service

FIRST = "a1b2c3d4" + "0" * 24
SECOND = "a1b2ffff" + "1" * 24
DEAD = "deadbeef" + "2" * 24


@pytest.fixture
def grayify(fake: FakeGateway, stack: Path) -> FakeGateway:
    fake.services["grayify"] = service("grayify")
    fake.jobs["grayify"] = [
        job(FIRST, "grayify", "in/a.png"),
        job(SECOND, "grayify", "in/b.png", status="running", duration_seconds=None, outputs=[]),
        job(
            DEAD,
            "grayify",
            "in/c.png",
            status="dead",
            attempts=3,
            error="the script exited with 1",
            log_tail="reading c.png\nconvert: no decode delegate\n",
            history=[
                {
                    "number": n,
                    "call_id": f"c{n}",
                    "dispatched_at": 1_700_000_000.0 + n,
                    "finished_at": 1_700_000_000.5 + n,
                    "outcome": "failed",
                    "http_status": 500,
                    "duration_seconds": 0.25,
                    "error": "the script exited with 1",
                }
                for n in (1, 2, 3)
            ],
        ),
    ]
    fake.function_logs["grayify"] = ["started replica", "handled photo.png", "done"]
    return fake


def test_jobs_table_shows_short_id_key_status_attempts_duration_outputs_and_age(
    oscar: Oscar, grayify: FakeGateway
) -> None:
    result = oscar("jobs", "grayify")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "key", "status", "attempts", "duration", "outputs", "age"]
    first = lines[1].split()
    assert first[:6] == ["a1b2c3d4", "in/a.png", "succeeded", "1/3", "1.2s", "1"]
    assert first[6].endswith("d")  # received long ago: days
    assert lines[2].split()[:5] == ["a1b2ffff", "in/b.png", "running", "1/3", "-"]


def test_jobs_passes_status_limit_and_offset_to_the_gateway(
    oscar: Oscar, grayify: FakeGateway
) -> None:
    result = oscar("jobs", "grayify", "--status", "dead", "--limit", "5", "--offset", "0")
    assert result.exit_code == 0, result.output
    assert grayify.last("GET", "/system/jobs/grayify").query == {
        "status": "dead",
        "limit": "5",
        "offset": "0",
    }
    assert "deadbeef" in result.stdout
    assert "a1b2c3d4" not in result.stdout


def test_a_partial_page_says_where_it_is_in_the_total(oscar: Oscar, grayify: FakeGateway) -> None:
    first = oscar("jobs", "grayify", "--limit", "2")
    last = oscar("jobs", "grayify", "--limit", "2", "--offset", "2")

    assert "1-2 of 3; --offset 2 shows the next ones" in first.stderr
    assert "of 3" not in last.stderr  # nothing after this page


def test_jobs_json_is_every_field_of_every_job(oscar: Oscar, grayify: FakeGateway) -> None:
    listed = json.loads(oscar("jobs", "grayify", "--json").stdout)
    assert [j["id"] for j in listed] == [FIRST, SECOND, DEAD]


def test_jobs_of_an_unknown_service_exits_4(oscar: Oscar, stack: Path) -> None:
    fails(oscar("jobs", "ghost"), 4, "service ghost does not exist", "`oscar services`")


def test_jobs_of_a_service_with_none_says_so(oscar: Oscar, grayify: FakeGateway) -> None:
    grayify.services["idle"] = service("idle")
    result = oscar("jobs", "idle")
    assert result.exit_code == 0
    assert "no jobs for idle" in result.stderr


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("jobs", "grayify", "--status", "happy"), "'happy' is not one of"),
        (("jobs", "grayify", "--limit", "0"), "--limit"),
        (("jobs",), "Missing argument 'SERVICE'"),
        (("nosuchcommand",), "No such command"),
        (("--nosuchoption", "services"), "No such option"),
    ],
)
def test_bad_usage_is_one_line_with_exit_2_and_the_help_to_read(
    oscar: Oscar, args: tuple[str, ...], phrase: str
) -> None:
    line = fails(oscar(*args), 2, phrase, "--help`")
    assert "Usage:" not in line


def test_logs_of_a_job_show_its_attempts_and_log_tail(oscar: Oscar, grayify: FakeGateway) -> None:
    result = oscar("logs", "grayify", DEAD)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"job {DEAD}  grayify/in/c.png" in out
    assert "status dead, attempt 3 of 3" in out
    assert "#3 failed (HTTP 500) at 2023-11-14 22:13:23, 250ms: the script exited with 1" in out
    assert out.rstrip().endswith("--- log tail ---\nreading c.png\nconvert: no decode delegate")


def test_logs_take_the_short_id_that_jobs_shows(oscar: Oscar, grayify: FakeGateway) -> None:
    result = oscar("logs", "grayify", "deadbeef", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == DEAD


def test_logs_of_an_ambiguous_short_id_exits_2(oscar: Oscar, grayify: FakeGateway) -> None:
    fails(oscar("logs", "grayify", "a1b2"), 2, "matches 2 jobs", "give more of the id")


def test_logs_of_an_unknown_job_exits_4(oscar: Oscar, grayify: FakeGateway) -> None:
    fails(oscar("logs", "grayify", "ffff"), 4, "job ffff of service grayify does not exist")


def test_logs_of_a_job_of_an_unknown_service_exits_4(oscar: Oscar, stack: Path) -> None:
    fails(oscar("logs", "ghost", "ffff"), 4, "service ghost does not exist")


def test_logs_without_a_job_print_the_function_log_text_from_openfaas(
    oscar: Oscar, grayify: FakeGateway
) -> None:
    result = oscar("logs", "grayify", "--tail", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["handled photo.png", "done"]
    assert grayify.last("GET", "/system/logs").query == {
        "name": "grayify",
        "follow": "false",
        "tail": "2",
    }


def test_logs_of_an_unknown_function_exit_4(oscar: Oscar, stack: Path) -> None:
    fails(oscar("logs", "ghost"), 4, "service ghost does not exist")


def test_logs_with_a_wrong_openfaas_password_exit_5_naming_it(
    oscar: Oscar, grayify: FakeGateway, write_stack: WriteStack
) -> None:
    state = write_stack(openfaas_password="stale")
    fails(
        oscar("logs", "grayify"),
        5,
        "OpenFaaS gateway refused user admin",
        f"{state}/credentials.json",
        "--state-dir",
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("replay", "grayify"), "grayify: queued 1 object(s) that had no job"),
        (("replay", "grayify", "--dead"), "queued 1 object(s) that had no job, requeued 2 dead"),
    ],
)
def test_replay_queues_what_has_no_job_and_requeues_dead_letters(
    oscar: Oscar, grayify: FakeGateway, args: tuple[str, ...], expected: str
) -> None:
    result = oscar(*args)
    assert result.exit_code == 0, result.output
    assert expected in result.stdout
    sent = grayify.last("POST", "/system/services/grayify/replay")
    assert sent.query == ({"dead": "true"} if "--dead" in args else {})


def test_replay_json_and_unknown_service(oscar: Oscar, grayify: FakeGateway) -> None:
    assert json.loads(oscar("replay", "grayify", "--json").stdout) == {
        "queued": 1,
        "requeued_dead": 0,
    }
    fails(oscar("replay", "ghost"), 4, "service ghost does not exist")
