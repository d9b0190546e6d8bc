"""What every command that needs the stack does when it is stopped, dead or refuses us."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oscar_cli.client import Gateway
from tests.support.waiting import free_port
from tests.unit.cli.conftest import Oscar, WriteStack, fails
from tests.unit.cli.fake_gateway import FakeGateway, service

GATEWAY_COMMANDS = [
    ("services",),
    ("delete", "grayify"),
    ("run", "grayify", "input.txt"),
    ("jobs", "grayify"),
    ("logs", "grayify", "abc"),
    ("replay", "grayify"),
    ("apply", "service.yml"),
]
STORAGE_COMMANDS = [("ls",), ("ls", "bucket/in"), ("put", "input.txt", "bucket/in")]
ALL = GATEWAY_COMMANDS + STORAGE_COMMANDS + [("get", "bucket/in/a.txt"), ("logs", "grayify")]


@pytest.fixture(autouse=True)
def _inputs(tmp_path: Path) -> None:
    (tmp_path / "input.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "service.yml").write_text("name: grayify\n", encoding="utf-8")


@pytest.mark.parametrize("args", ALL, ids=" ".join)
def test_every_command_exits_3_when_no_stack_was_started(
    oscar: Oscar, state_dir: Path, args: tuple[str, ...]
) -> None:
    fails(oscar(*args), 3, "the stack is not running", "`oscar up`", str(state_dir))


@pytest.mark.parametrize("args", ALL, ids=" ".join)
def test_every_command_exits_3_when_nothing_answers(
    oscar: Oscar, write_stack: WriteStack, args: tuple[str, ...]
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    write_stack(endpoints={"gateway": nowhere, "openfaas": nowhere, "minio": nowhere})
    fails(oscar(*args), 3, f"nothing answers at {nowhere}", "`oscar up`")


def test_a_gateway_that_died_is_named_with_exit_3(
    oscar: Oscar, write_stack: WriteStack, fake: FakeGateway
) -> None:
    dead = {
        "name": "gateway",
        "pid": 2**22 + 1,  # above any pid_max: never a live process
        "start_time": 1,
        "command": ["python", "-m", "gateway"],
        "log": "/tmp/gateway.log",
        "url": fake.url,
        "stop_signal": 15,
        "stop_grace": 1.0,
    }
    write_stack(components=[dead])
    fails(oscar("services"), 3, "gateway has stopped", "`oscar down && oscar up`")
    assert fake.requests == []


@pytest.mark.parametrize("args", GATEWAY_COMMANDS, ids=" ".join)
def test_a_wrong_admin_token_exits_5_naming_the_credentials_file_and_the_fix(
    oscar: Oscar, write_stack: WriteStack, fake: FakeGateway, args: tuple[str, ...]
) -> None:
    fake.services["grayify"] = service("grayify")
    state = write_stack(gateway_admin_token="stale-token")
    fails(
        oscar(*args),
        5,
        "the gateway refused the admin token",
        f"{state}/credentials.json",
        "--state-dir",
        "HTTP 403",
    )


def test_missing_credentials_exit_5_saying_who_writes_them(
    oscar: Oscar, stack: Path, fake: FakeGateway
) -> None:
    (stack / "credentials.json").unlink()
    fails(oscar("services"), 5, "no admin token", "credentials.json", "`oscar up`")
    fails(oscar("ls"), 5, "no MinIO keys", "`oscar up`")


def test_a_damaged_credentials_file_exits_2_naming_it(oscar: Oscar, stack: Path) -> None:
    (stack / "credentials.json").write_text("{not json", encoding="utf-8")
    fails(oscar("services"), 2, "credentials.json", "remove it")


def test_a_damaged_stack_file_is_one_line_naming_it(oscar: Oscar, stack: Path) -> None:
    (stack / "stack.json").write_text(json.dumps({"endpoints": {}}), encoding="utf-8")
    fails(oscar("services"), 1, "stack.json is damaged")


def test_an_unexpected_error_is_still_one_line_without_traceback(
    oscar: Oscar, stack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Gateway) -> list[object]:
        raise RuntimeError("something\nunforeseen")

    monkeypatch.setattr(Gateway, "services", broken)
    fails(oscar("services"), 1, "unexpected RuntimeError: something unforeseen", "report it")


def test_oscar_alone_shows_the_help_with_the_exit_codes(oscar: Oscar) -> None:
    result = oscar()
    assert "error:" not in result.output
    assert "Exit codes:" in result.output
    assert "5  credentials refused" in result.output


@pytest.mark.parametrize(
    "command",
    ["apply", "delete", "services", "run", "put", "get", "ls", "jobs", "logs", "replay"],
)
def test_every_command_has_help(oscar: Oscar, command: str) -> None:
    result = oscar(command, "--help")
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {command}" in result.output or f"Usage: oscar {command}" in result.output
