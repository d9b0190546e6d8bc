"""`oscar up`, `status`, `down` and `build` with the real tools, in throwaway state folders.

Every port that can be moved is a free one, so a user's own stack on the default ports is left
alone, except that the OpenFaaS CE gateway hard-codes 8080 and 8082: one stack per machine, and
these tests skip (saying why) while something else holds those ports.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from click.testing import CliRunner
from minio import Minio

from engine.faascli import FaasCli, FaasCliFailed
from engine.images import ImageStore
from oscar_cli import cli
from tests.support.tools import ROOT, TOOLS_BIN, tool
from tests.support.waiting import free_port, wait_for

MOVABLE_PORTS = (
    "OSCAR_MINIO_PORT",
    "OSCAR_MINIO_CONSOLE_PORT",
    "OSCAR_NATS_PORT",
    "OSCAR_NATS_MONITOR_PORT",
    "OSCAR_PROVIDER_PORT",
    "OSCAR_GATEWAY_PORT",
)
COMPONENTS = {"minio", "nats-streaming-server", "provider", "openfaas-gateway"} | {
    f"queue-worker-{n}" for n in (1, 2, 3)
}


@dataclass
class Stack:
    env: dict[str, str]
    state_dir: Path
    status: dict[str, Any]

    def faas_cli(self) -> FaasCli:
        return FaasCli(tool("faas-cli"), env=self.env)


def oscar(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a process of its own, which exits while the stack runs on."""
    command = [sys.executable, "-m", "oscar_cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=240, cwd=ROOT)


def status_of(env: dict[str, str]) -> dict[str, Any]:
    result = oscar(env, "status", "--json")
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def processes_using(state_dir: Path) -> list[psutil.Process]:
    """Every process whose command line, folder or environment mentions the state folder."""
    found = []
    for process in psutil.process_iter():
        try:
            text = " ".join([*process.cmdline(), process.cwd(), *process.environ().values()])
            if str(state_dir) in text and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def is_running(pid: int) -> bool:
    """Exited processes may linger as zombies until init reaps them: those count as gone."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


@contextlib.contextmanager
def callback_receiver() -> Iterator[tuple[str, queue.Queue[bytes]]]:
    """An X-Callback-Url for the queue-worker: the bodies it posts arrive in the queue."""
    received: queue.Queue[bytes] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.put(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/done", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    taken = [port for port in (8080, 8082) if port_taken(port)]
    if taken:
        pytest.skip(f"ports {taken} are in use: the OpenFaaS CE gateway hard-codes 8080 and 8082")
    # Replicas run as an unprivileged user, who must be able to reach their folders under the
    # state folder: pytest's own tmp folders are private (0700), so this one lives beside them.
    root = Path(tempfile.mkdtemp(prefix="oscar-stack-test-"))
    root.chmod(0o711)
    state_dir = root / "state"
    env = {
        **os.environ,
        "OSCAR_STATE_DIR": str(state_dir),
        "OSCAR_TOOLS_BIN": str(TOOLS_BIN),
        "OPENFAAS_CONFIG": str(tmp_path / "faas-cli"),
    }
    ports: set[int] = set()
    while len(ports) < len(MOVABLE_PORTS):
        ports.add(free_port())
    env.update(zip(MOVABLE_PORTS, map(str, sorted(ports)), strict=True))
    yield env
    oscar(env, "down")  # whatever the test did, nothing it started may outlive it
    leftovers = processes_using(state_dir)
    for process in leftovers:
        process.kill()
    shutil.rmtree(root, ignore_errors=True)
    assert not leftovers, f"left running: {[p.cmdline() for p in leftovers]}"


@pytest.fixture
def stack(stack_env: dict[str, str]) -> Stack:
    result = oscar(stack_env, "up")
    assert result.returncode == 0, result.stdout + result.stderr
    return Stack(stack_env, Path(stack_env["OSCAR_STATE_DIR"]), status_of(stack_env))


def test_up_starts_every_component_and_status_shows_them_alive(stack: Stack) -> None:
    components = stack.status["components"]

    assert set(components) == COMPONENTS
    assert all(c["alive"] for c in components.values()), components
    assert all(Path(c["log"]).parent == stack.state_dir / "logs" for c in components.values())
    assert stack.status["state_dir"] == str(stack.state_dir)
    assert stack.status["gateway"]["admin_token"]
    assert stack.status["minio"]["webhook_token"]


def test_openfaas_login_from_status_works_with_faas_cli(stack: Stack) -> None:
    openfaas = stack.status["openfaas"]
    faas_cli = stack.faas_cli()

    with pytest.raises(FaasCliFailed):
        faas_cli.login(openfaas["url"], username="admin", password="wrong")
    faas_cli.login(openfaas["url"], username=openfaas["username"], password=openfaas["password"])

    assert faas_cli.list_functions(openfaas["url"]) == []
    secrets = faas_cli.run("secret", "list", "--gateway", openfaas["url"])
    assert "s3-access-key" in secrets
    assert "s3-secret-key" in secrets


def test_minio_keys_from_status_list_buckets(stack: Stack) -> None:
    minio = stack.status["minio"]
    client = Minio(
        minio["endpoint"].removeprefix("http://"),
        minio["access_key"],
        minio["secret_key"],
        secure=False,
    )

    client.make_bucket("from-status")

    assert [b.name for b in client.list_buckets()] == ["from-status"]


def test_each_queue_worker_is_its_own_nats_client(stack: Stack) -> None:
    monitor = stack.status["nats"]["monitor"]

    clients = requests.get(f"{monitor}/streaming/clientsz", timeout=5).json()["clients"]

    workers = [c["id"] for c in clients if c["id"].startswith("faas-worker-")]
    assert len(workers) == 3, clients


def test_a_second_up_says_so_and_changes_nothing(stack: Stack) -> None:
    result = oscar(stack.env, "up")

    assert result.returncode == 0, result.stderr
    assert "already up" in result.stdout
    assert status_of(stack.env)["components"] == stack.status["components"]


def test_a_dead_component_fails_status_and_the_next_up_restarts_the_stack(stack: Stack) -> None:
    worker = stack.status["components"]["queue-worker-2"]
    psutil.Process(worker["pid"]).kill()
    wait_for(lambda: not is_running(worker["pid"]), timeout=10, what="the worker to die")

    status = oscar(stack.env, "status")
    up = oscar(stack.env, "up")

    assert status.returncode == 1
    assert "dead: queue-worker-2" in status.stderr
    assert up.returncode == 0, up.stderr
    assert "queue-worker-2 not running: starting the stack afresh" in up.stderr
    components = status_of(stack.env)["components"]
    assert all(c["alive"] for c in components.values()), components
    old_pids = {c["pid"] for c in stack.status["components"].values()}
    assert [pid for pid in old_pids if is_running(pid)] == []


def test_down_stops_every_process_and_keeps_the_data(stack: Stack) -> None:
    pids = [c["pid"] for c in stack.status["components"].values()]

    result = oscar(stack.env, "down")

    assert result.returncode == 0, result.stderr
    assert [pid for pid in pids if is_running(pid)] == []
    assert processes_using(stack.state_dir) == []
    assert oscar(stack.env, "status").returncode == 3
    assert oscar(stack.env, "down").returncode == 0
    assert (stack.state_dir / "credentials.json").exists()
    assert (stack.state_dir / "minio" / "data").is_dir()
    assert oscar(stack.env, "down", "--purge").returncode == 0
    assert not stack.state_dir.exists()


def test_a_port_in_use_fails_up_naming_it_and_starts_nothing(stack_env: dict[str, str]) -> None:
    port = int(stack_env["OSCAR_NATS_MONITOR_PORT"])
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()

        result = oscar(stack_env, "up")

    assert result.returncode == 1
    assert f"port {port} for nats-streaming-server monitor is in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert processes_using(Path(stack_env["OSCAR_STATE_DIR"])) == []


def test_a_component_that_dies_stops_those_started_before_it(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    for binary in TOOLS_BIN.iterdir():
        (tools / binary.name).symlink_to(binary.resolve())
    (tools / "openfaas-gateway").unlink()
    (tools / "openfaas-gateway").write_text("#!/bin/sh\necho 'simulated crash' >&2\nexit 3\n")
    (tools / "openfaas-gateway").chmod(0o755)
    state_dir = Path(stack_env["OSCAR_STATE_DIR"])

    result = oscar({**stack_env, "OSCAR_TOOLS_BIN": str(tools)}, "up")

    assert result.returncode == 1
    log = state_dir / "logs" / "openfaas-gateway.log"
    assert f"error: openfaas-gateway exited before it was ready; see its log: {log}" in (
        result.stderr
    )
    assert "simulated crash" in log.read_text()
    assert not (state_dir / "stack.json").exists()
    assert processes_using(state_dir) == []


def test_build_then_faas_cli_deploy_serves_sync_and_async_calls(
    stack: Stack, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "template").symlink_to(ROOT / "template")
    shutil.copytree(ROOT / "tests" / "integration" / "functions" / "ok", project / "upper")
    (project / "stack.yml").write_text(
        "version: 1.0\nprovider:\n  name: openfaas\n"
        "functions:\n  upper:\n    lang: python-watchdog\n    handler: ./upper\n"
        "    image: oscar-tests/upper:stack\n",
        encoding="utf-8",
    )
    openfaas = stack.status["openfaas"]
    faas_cli = stack.faas_cli()

    built = oscar(stack.env, "build", "-f", str(project / "stack.yml"))
    assert built.returncode == 0, built.stdout + built.stderr
    assert ImageStore(stack.state_dir / "images").get("oscar-tests/upper:stack").venv
    faas_cli.login(openfaas["url"], username=openfaas["username"], password=openfaas["password"])
    faas_cli.run("deploy", "-f", "stack.yml", "--gateway", openfaas["url"], cwd=project)
    assert faas_cli.list_functions(openfaas["url"]) == ["upper"]

    def call() -> bytes | None:
        answer = requests.post(f"{openfaas['url']}/function/upper", data=b"hello", timeout=30)
        return answer.content if answer.status_code == 200 else None

    assert wait_for(call, timeout=60, what="a synchronous call through the gateway") == b"HELLO"
    with callback_receiver() as (callback_url, received):
        answer = requests.post(
            f"{openfaas['url']}/async-function/upper",
            data=b"queued",
            headers={"X-Callback-Url": callback_url},
            timeout=10,
        )
        assert answer.status_code == 202, answer.text
        assert received.get(timeout=60) == b"QUEUED"


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
