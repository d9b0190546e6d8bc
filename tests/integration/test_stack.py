"""`oscar up`, `status`, `down` and `build` with the real tools, in throwaway state folders.

Every port that can be moved is a free one, so a user's own stack on the default ports is left
alone, except that the OpenFaaS CE gateway hard-codes 8080 and 8082: one stack per machine. These
tests start stacks of their own, so they run before the shared one (`stack` in conftest) starts;
they skip (saying why) while something else holds those ports, and fail so under CI.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from click.testing import CliRunner
from minio import Minio

from contract.results import RESULTS_BUCKET
from localstack.errors import FaasCliFailed
from localstack.faascli import FaasCli
from oscar_cli import cli
from provider.images import ImageStore
from tests.support.callbacks import callback_receiver
from tests.support.stack import (
    COMPONENTS,
    is_running,
    oscar,
    processes_using,
    require_openfaas_ports,
    stack_env,
    state_root,
    status_of,
    stop_and_purge,
)
from tests.support.tools import ROOT, TOOLS_BIN, tool
from tests.support.waiting import wait_for


@dataclass
class Stack:
    env: dict[str, str]
    state_dir: Path
    status: dict[str, Any]

    def faas_cli(self) -> FaasCli:
        return FaasCli(tool("faas-cli"), env=self.env)


@pytest.fixture
def own_env() -> Iterator[dict[str, str]]:
    """The environment of a stack of this test's own (not started yet)."""
    require_openfaas_ports()
    root = state_root()
    env = stack_env(root)
    yield env
    survivors = stop_and_purge(env, root)  # whatever the test did, nothing may outlive it
    assert not survivors, f"left running: {survivors}"


@pytest.fixture
def own_stack(own_env: dict[str, str]) -> Stack:
    result = oscar(own_env, "up")
    assert result.returncode == 0, result.stdout + result.stderr
    return Stack(own_env, Path(own_env["OSCAR_STATE_DIR"]), status_of(own_env))


def test_up_starts_every_component_and_status_shows_them_alive(own_stack: Stack) -> None:
    components = own_stack.status["components"]

    assert set(components) == COMPONENTS
    assert all(c["alive"] for c in components.values()), components
    assert all(Path(c["log"]).parent == own_stack.state_dir / "logs" for c in components.values())
    assert own_stack.status["state_dir"] == str(own_stack.state_dir)
    assert own_stack.status["gateway"]["admin_token"]
    assert own_stack.status["minio"]["webhook_token"]


def test_openfaas_login_from_status_works_with_faas_cli(own_stack: Stack) -> None:
    openfaas = own_stack.status["openfaas"]
    faas_cli = own_stack.faas_cli()

    with pytest.raises(FaasCliFailed):
        faas_cli.login(openfaas["url"], username="admin", password="wrong")
    faas_cli.login(openfaas["url"], username=openfaas["username"], password=openfaas["password"])

    assert faas_cli.list_functions(openfaas["url"]) == []
    secrets = faas_cli.run("secret", "list", "--gateway", openfaas["url"])
    assert "s3-access-key" in secrets
    assert "s3-secret-key" in secrets


def test_minio_keys_from_status_list_buckets(own_stack: Stack) -> None:
    minio = own_stack.status["minio"]
    client = Minio(
        minio["endpoint"].removeprefix("http://"),
        minio["access_key"],
        minio["secret_key"],
        secure=False,
    )

    client.make_bucket("from-status")

    # Beside it, the system bucket the gateway makes at start for the functions' result records.
    assert sorted(b.name for b in client.list_buckets()) == ["from-status", RESULTS_BUCKET]


def test_each_queue_worker_is_its_own_nats_client(own_stack: Stack) -> None:
    monitor = own_stack.status["nats"]["monitor"]

    clients = requests.get(f"{monitor}/streaming/clientsz", timeout=5).json()["clients"]

    workers = [c["id"] for c in clients if c["id"].startswith("faas-worker-")]
    assert len(workers) == 3, clients


def test_a_second_up_says_so_and_changes_nothing(own_stack: Stack) -> None:
    result = oscar(own_stack.env, "up")

    assert result.returncode == 0, result.stderr
    assert "already up" in result.stdout
    assert status_of(own_stack.env)["components"] == own_stack.status["components"]


def test_a_dead_component_fails_status_and_the_next_up_starts_only_it_again(
    own_stack: Stack,
) -> None:
    before = {name: c["pid"] for name, c in own_stack.status["components"].items()}
    psutil.Process(before["queue-worker-2"]).kill()
    wait_for(lambda: not is_running(before["queue-worker-2"]), timeout=10, what="it to die")

    status = oscar(own_stack.env, "status")
    up = oscar(own_stack.env, "up")

    assert status.returncode == 1
    assert "dead: queue-worker-2" in status.stderr
    assert up.returncode == 0, up.stderr
    assert "queue-worker-2 not running: starting it" in up.stderr
    after = {name: c["pid"] for name, c in status_of(own_stack.env)["components"].items()}
    assert all(is_running(pid) for pid in after.values()), after
    assert after["queue-worker-2"] != before["queue-worker-2"]
    assert {n: p for n, p in after.items() if n != "queue-worker-2"} == {
        n: p for n, p in before.items() if n != "queue-worker-2"
    }  # the rest kept running, with their work


def test_with_nats_streaming_dead_the_next_up_starts_the_stack_afresh(own_stack: Stack) -> None:
    before = {name: c["pid"] for name, c in own_stack.status["components"].items()}
    psutil.Process(before["nats-streaming-server"]).kill()
    wait_for(lambda: not is_running(before["nats-streaming-server"]), timeout=10, what="NATS")

    up = oscar(own_stack.env, "up")

    assert up.returncode == 0, up.stderr
    assert "nats-streaming-server not running: starting the stack afresh" in up.stderr
    components = status_of(own_stack.env)["components"]
    assert all(c["alive"] for c in components.values()), components
    assert [pid for pid in before.values() if is_running(pid)] == []


def test_down_stops_every_process_and_keeps_the_data(own_stack: Stack) -> None:
    pids = [c["pid"] for c in own_stack.status["components"].values()]

    result = oscar(own_stack.env, "down")

    assert result.returncode == 0, result.stderr
    assert [pid for pid in pids if is_running(pid)] == []
    assert processes_using(own_stack.state_dir) == []
    assert oscar(own_stack.env, "status").returncode == 3
    assert oscar(own_stack.env, "down").returncode == 0
    assert (own_stack.state_dir / "credentials.json").exists()
    assert (own_stack.state_dir / "minio" / "data").is_dir()
    assert oscar(own_stack.env, "down", "--purge").returncode == 0
    assert not own_stack.state_dir.exists()


def test_a_port_in_use_fails_up_naming_it_and_starts_nothing(own_env: dict[str, str]) -> None:
    port = int(own_env["OSCAR_NATS_MONITOR_PORT"])
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()

        result = oscar(own_env, "up")

    assert result.returncode == 1
    assert f"port {port} for nats-streaming-server monitor is in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert processes_using(Path(own_env["OSCAR_STATE_DIR"])) == []


def test_a_component_that_dies_stops_those_started_before_it(
    own_env: dict[str, str], tmp_path: Path
) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    for binary in TOOLS_BIN.iterdir():
        (tools / binary.name).symlink_to(binary.resolve())
    (tools / "openfaas-gateway").unlink()
    (tools / "openfaas-gateway").write_text("#!/bin/sh\necho 'simulated crash' >&2\nexit 3\n")
    (tools / "openfaas-gateway").chmod(0o755)
    state_dir = Path(own_env["OSCAR_STATE_DIR"])

    result = oscar({**own_env, "OSCAR_TOOLS_BIN": str(tools)}, "up")

    assert result.returncode == 1
    log = state_dir / "logs" / "openfaas-gateway.log"
    assert f"error: openfaas-gateway exited before it was ready; see its log: {log}" in (
        result.stderr
    )
    assert "simulated crash" in log.read_text()
    assert not (state_dir / "stack.json").exists()
    assert processes_using(state_dir) == []


def test_build_then_faas_cli_deploy_serves_sync_and_async_calls(
    own_stack: Stack, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "template").symlink_to(ROOT / "templates")
    shutil.copytree(ROOT / "tests" / "integration" / "functions" / "ok", project / "upper")
    (project / "stack.yml").write_text(
        "version: 1.0\nprovider:\n  name: openfaas\n"
        "functions:\n  upper:\n    lang: python-watchdog\n    handler: ./upper\n"
        "    image: oscar-tests/upper:stack\n",
        encoding="utf-8",
    )
    openfaas = own_stack.status["openfaas"]
    faas_cli = own_stack.faas_cli()

    built = oscar(own_stack.env, "build", "-f", str(project / "stack.yml"))
    assert built.returncode == 0, built.stdout + built.stderr
    assert ImageStore(own_stack.state_dir / "images").get("oscar-tests/upper:stack").venv
    faas_cli.login(openfaas["url"], username=openfaas["username"], password=openfaas["password"])
    faas_cli.run("deploy", "-f", "stack.yml", "--gateway", openfaas["url"], cwd=project)
    assert faas_cli.list_functions(openfaas["url"]) == ["upper"]

    def call() -> bytes | None:
        answer = requests.post(f"{openfaas['url']}/function/upper", data=b"hello", timeout=30)
        return answer.content if answer.status_code == 200 else None

    assert wait_for(call, timeout=60, what="a synchronous call through the gateway") == b"HELLO"
    with callback_receiver() as receiver:
        answer = requests.post(
            f"{openfaas['url']}/async-function/upper",
            data=b"queued",
            headers={"X-Callback-Url": receiver.url},
            timeout=10,
        )
        assert answer.status_code == 202, answer.text
        assert receiver.next(timeout=60).body == b"QUEUED"


def test_build_dry_run_prints_the_steps_and_builds_nothing(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "stack.yml").write_text(
        "version: 1.0\nprovider:\n  name: openfaas\nfunctions:\n"
        "  one:\n    lang: python-watchdog\n    handler: ./one\n    image: acme/one:1\n"
        "  two:\n    lang: python-watchdog\n    handler: ./two\n    image: acme/two:1\n",
        encoding="utf-8",
    )
    env = {"OSCAR_STATE_DIR": str(tmp_path / "state"), "OSCAR_TOOLS_BIN": str(TOOLS_BIN)}

    result = CliRunner(env=env).invoke(
        cli, ["build", "-f", str(project / "stack.yml"), "--filter", "two", "--dry-run"]
    )

    assert result.exit_code == 0, result.output
    assert "faas-cli build --shrinkwrap -f stack.yml --filter two" in result.stdout
    assert "'acme/two:1'" in result.stdout
    assert "acme/one" not in result.stdout
    assert not (project / "build").exists()
    assert not (tmp_path / "state").exists()


def test_status_and_down_when_nothing_runs(tmp_path: Path) -> None:
    runner = CliRunner(env={"OSCAR_STATE_DIR": str(tmp_path / "state")})

    status = runner.invoke(cli, ["status", "--json"])
    down = runner.invoke(cli, ["down"])

    assert status.exit_code == 3
    assert "the stack is not running" in status.stderr
    assert down.exit_code == 0
    assert not (tmp_path / "state").exists()


def test_bad_settings_exit_2_naming_every_problem(tmp_path: Path) -> None:
    runner = CliRunner(env={"OSCAR_STATE_DIR": str(tmp_path / "state"), "OSCAR_ACK_WAIT": "1m"})

    result = runner.invoke(cli, ["up", "--workers", "none", "--nats-port", "8080"])

    assert result.exit_code == 2
    assert "OSCAR_QUEUE_WORKERS (--workers): expected a whole number" in result.stderr
    assert "OSCAR_ACK_WAIT (--ack-wait): 60s must exceed the function timeout 300s" in result.stderr
    assert "port 8080 is given to --nats-port and the OpenFaaS gateway" in result.stderr
    assert not (tmp_path / "state").exists()


def test_up_dry_run_prints_the_plan_and_starts_nothing(tmp_path: Path) -> None:
    runner = CliRunner(env={"OSCAR_STATE_DIR": str(tmp_path / "state")})

    result = runner.invoke(cli, ["up", "--dry-run", "--workers", "2"])

    assert result.exit_code == 0, result.output
    assert "1. start minio:" in result.stdout
    assert "5. start queue-worker-1:" in result.stdout
    assert not (tmp_path / "state").exists()
