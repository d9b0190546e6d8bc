"""The `oscar` CLI against a gateway it knows only by a named cluster (`oscar cluster add`), as
it would be against a remote one: no local stack recorded in its state folder, MinIO's keys
fetched from the gateway's `/system/config`, and rotated tokens, all on the real stack."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.support.stack import RunningStack, oscar
from tests.support.waiting import free_port, wait_for

SCRIPT = """#!/bin/sh
set -eu
tr 'a-z' 'A-Z' < "$INPUT_FILE_PATH" > "$TMP_OUTPUT_DIR/$(basename "$INPUT_FILE_PATH")"
"""

Cli = Callable[..., str]


@pytest.fixture
def remote_env(stack: RunningStack, tmp_path: Path) -> dict[str, str]:
    """The CLI's environment on a machine where no stack was started: an empty state folder,
    its own config folder."""
    (tmp_path / "nothing-here").mkdir()
    return {
        **stack.env,
        "OSCAR_STATE_DIR": str(tmp_path / "nothing-here"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


@pytest.fixture
def cli(remote_env: dict[str, str]) -> Cli:
    def run(*args: str) -> str:
        result = oscar(remote_env, *args)
        assert result.returncode == 0, f"oscar {' '.join(args)}:\n{result.stdout}{result.stderr}"
        assert "Traceback" not in result.stderr
        return result.stdout

    return run


def fails(env: dict[str, str], code: int, *args: str) -> str:
    result = oscar(env, *args)
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def add_cluster(cli: Cli, stack: RunningStack, *, password: str | None = None) -> None:
    login = stack.status["openfaas"]
    cli(
        "cluster",
        "add",
        "remote",
        "--url",
        stack.gateway_url,
        "--user",
        str(login["username"]),
        "--password",
        password or str(login["password"]),
        "--openfaas-url",
        stack.openfaas_url,
    )


def fdl_file(stack: RunningStack, tmp_path: Path, name: str, bucket: str) -> Path:
    base = stack.deploy("fdl-base", "ok")
    image = yaml.safe_load((base / "stack.yml").read_text())["functions"]["fdl-base"]["image"]
    (tmp_path / "upper.sh").write_text(SCRIPT)
    service = {
        "name": name,
        "image": image,
        "script": "upper.sh",
        "input": [{"storage_provider": "minio.default", "path": f"{bucket}/in"}],
        "output": [{"storage_provider": "minio.default", "path": f"{bucket}/out"}],
    }
    path = tmp_path / "service.yml"
    path.write_text(yaml.safe_dump({"functions": {"oscar": [{"remote": service}]}}))
    return path


def run_status(stack: RunningStack, name: str, token: str) -> int:
    answer = requests.post(
        f"{stack.gateway_url}/run/{name}",
        data=b"x",
        headers={"Authorization": f"Bearer {token}", "X-Oscar-Base64": "false"},
        timeout=60,
    )
    return answer.status_code


def test_every_gateway_command_works_against_a_named_cluster(
    stack: RunningStack, cli: Cli, remote_env: dict[str, str], tmp_path: Path
) -> None:
    add_cluster(cli, stack)
    clusters = Path(remote_env["XDG_CONFIG_HOME"]) / "oscar" / "clusters.yaml"
    assert stat.S_IMODE(clusters.stat().st_mode) == 0o600
    name = f"remote-{uuid.uuid4().hex[:6]}"
    bucket = f"{name}-data"

    cli("apply", str(fdl_file(stack, tmp_path, name, bucket)))
    listed: list[dict[str, Any]] = json.loads(cli("services", "--json", "--show-tokens"))
    [svc] = [s for s in listed if s["name"] == name]
    wait_for(lambda: stack.describe(name).get("Status") == "Ready", timeout=60, what="ready")

    (tmp_path / "note.txt").write_text("hello")
    cli("put", str(tmp_path / "note.txt"), f"{bucket}/in")  # MinIO's keys from the gateway

    def succeeded() -> list[dict[str, Any]] | None:
        found = json.loads(cli("jobs", name, "--status", "succeeded", "--json"))
        return (found["jobs"] if isinstance(found, dict) else found) or None

    [job] = wait_for(succeeded, timeout=60, what="the uploaded file's job")
    assert "out/note.txt" in cli("ls", f"{bucket}/out")
    cli("get", f"{bucket}/out/note.txt", "-o", str(tmp_path / "got.txt"))
    assert (tmp_path / "got.txt").read_text() == "HELLO"
    assert job["id"][:8] in cli("logs", name, job["id"])
    cli("logs", name, "--tail", "5")  # the function's logs, from the cluster's OpenFaaS
    cli("run", name, str(tmp_path / "note.txt"), "-o", str(tmp_path / "ran.txt"))
    assert (tmp_path / "ran.txt").read_text() == "HELLO"
    assert json.loads(cli("replay", name, "--json"))["queued"] == 0

    rotation = json.loads(cli("token", "rotate", name, "--grace", "0", "--json"))
    assert run_status(stack, name, rotation["token"]) == 200
    assert run_status(stack, name, svc["token"]) == 403  # no grace: the old one is done

    cli("delete", name)
    assert name not in cli("services")


def test_the_webhook_token_rotated_within_its_grace_loses_no_upload(
    stack: RunningStack, cli: Cli, tmp_path: Path
) -> None:
    add_cluster(cli, stack)
    name = f"hook-{uuid.uuid4().hex[:6]}"
    bucket = f"{name}-data"
    cli("apply", str(fdl_file(stack, tmp_path, name, bucket)))
    wait_for(lambda: stack.describe(name).get("Status") == "Ready", timeout=60, what="ready")

    rotation = json.loads(cli("webhook-token", "rotate", "--grace", "3600", "--json"))

    assert rotation["name"] == "webhook" and rotation["token"]
    (tmp_path / "after.txt").write_text("still here")
    cli("put", str(tmp_path / "after.txt"), f"{bucket}/in")  # MinIO still sends the old one

    def succeeded() -> list[dict[str, Any]] | None:
        found = json.loads(cli("jobs", name, "--status", "succeeded", "--json"))
        return (found["jobs"] if isinstance(found, dict) else found) or None

    wait_for(succeeded, timeout=30, what="the upload made after the rotation")
    events = requests.post(
        f"{stack.gateway_url}/events",
        json={"Records": []},
        headers={"Authorization": f"Bearer {rotation['token']}"},
        timeout=10,
    )
    assert events.status_code == 200
    cli("delete", name)


def test_a_refused_login_or_an_unreachable_gateway_is_one_line_naming_the_fix(
    stack: RunningStack, cli: Cli, remote_env: dict[str, str]
) -> None:
    add_cluster(cli, stack, password="not-the-password")
    refused = fails(remote_env, 5, "services")
    assert "cluster remote" in refused and "oscar cluster add remote" in refused
    assert fails(remote_env, 5, "ls")  # the storage keys come from the gateway: refused too

    url = f"http://127.0.0.1:{free_port()}"
    cli("cluster", "add", "gone", "--url", url, "--user", "admin", "--password", "x")
    down = fails(remote_env, 3, "--cluster", "gone", "services")
    assert url in down and "oscar cluster list" in down


def test_up_down_status_and_build_stay_local(
    stack: RunningStack, cli: Cli, remote_env: dict[str, str]
) -> None:
    add_cluster(cli, stack)

    line = fails(remote_env, 3, "--cluster", "remote", "status")

    assert remote_env["OSCAR_STATE_DIR"] in line  # this machine's (empty) state folder
