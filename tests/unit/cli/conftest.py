"""The CLI against a fake gateway: a state folder written as `oscar up` writes it, pointing at
a real HTTP server on 127.0.0.1, and `oscar` invoked through click's CliRunner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

import pytest
from click.testing import CliRunner, Result

from localstack.config import StackSecrets
from oscar_cli import cli
from tests.support.waiting import free_port
from tests.unit.cli.fake_gateway import ADMIN_TOKEN, OPENFAAS, FakeGateway


class Oscar(Protocol):
    def __call__(self, *args: str, input: bytes | str | None = None) -> Result: ...


class WriteStack(Protocol):
    def __call__(self, **overrides: Any) -> Path: ...


@pytest.fixture
def fake() -> Iterator[FakeGateway]:
    server = FakeGateway()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """An empty state folder: no stack was started from it."""
    folder = tmp_path / "state"
    folder.mkdir()
    return folder


@pytest.fixture
def write_stack(state_dir: Path, fake: FakeGateway) -> WriteStack:
    """Write stack.json and credentials.json as `oscar up` does (see localstack.stack)."""

    def write(**overrides: Any) -> Path:
        nowhere = f"http://127.0.0.1:{free_port()}"
        endpoints = {
            "openfaas": fake.url,
            "minio": nowhere,
            "minio_console": nowhere,
            "nats": "nats://127.0.0.1:4222",
            "nats_monitor": nowhere,
            "provider": nowhere,
            "gateway": fake.url,
            **overrides.pop("endpoints", {}),
        }
        state = {
            "started_at": "2024-01-01T00:00:00+00:00",
            "endpoints": endpoints,
            "components": overrides.pop("components", []),
        }
        (state_dir / "stack.json").write_text(json.dumps(state), encoding="utf-8")
        secrets = StackSecrets(
            minio_access_key="minio-access",
            minio_secret_key="minio-secret",
            webhook_token="webhook",
            openfaas_user=OPENFAAS[0],
            openfaas_password=OPENFAAS[1],
            gateway_admin_token=ADMIN_TOKEN,
            gateway_callback_key="callback",
        )
        credentials = {**asdict(secrets), **overrides}
        (state_dir / "credentials.json").write_text(json.dumps(credentials), encoding="utf-8")
        return state_dir

    return write


@pytest.fixture
def stack(write_stack: WriteStack) -> Path:
    """A running (fake) stack: its gateway and OpenFaaS are the fake server."""
    return write_stack()


@pytest.fixture
def oscar(state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Oscar:
    """Run `oscar ARGS` in tmp_path with OSCAR_STATE_DIR pointing at the test's state folder."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, input: bytes | str | None = None) -> Result:
        env = {"OSCAR_STATE_DIR": str(state_dir), "COLUMNS": "200"}
        return runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)

    return invoke


def fails(result: Result, code: int, *phrases: str) -> str:
    """Assert a failure the way a user must see it: the exit code, one `error:` line naming
    the fix, no traceback. Returns the line."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: "), result.stderr
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])
    return lines[0]
