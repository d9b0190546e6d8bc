"""The local stack (`oscar up`) as the tests run it: in a throwaway state folder, on free ports.

The OpenFaaS CE gateway hard-codes ports 8080 and 8082, so one stack runs per machine: the engine
and gateway tests share one (`running_stack`, the session fixture `stack`), started lazily by the
first test that needs it and always stopped and purged at the end. Every other port is a free one,
so a user's own stack on the default ports is left alone.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
import yaml
from minio import Minio

from localstack.components import spawn, wait_ready
from localstack.config import StackConfig, StackSecrets
from localstack.errors import FaasCliFailed
from localstack.faascli import FaasCli
from localstack.plan import plan
from localstack.state import read_state, write_state
from provider.sandbox import leftovers
from tests.support.tools import ROOT, TOOLS_BIN, tool
from tests.support.waiting import free_port, wait_for

MOVABLE_PORTS = (
    "OSCAR_MINIO_PORT",
    "OSCAR_MINIO_CONSOLE_PORT",
    "OSCAR_NATS_PORT",
    "OSCAR_NATS_MONITOR_PORT",
    "OSCAR_PROVIDER_PORT",
    "OSCAR_GATEWAY_PORT",  # last: the first of a run of free ports (see stack_env)
)
GATEWAYS_AT_MOST = 4
OPENFAAS_PORTS = (8080, 8082)
COMPONENTS = {"minio", "nats-streaming-server", "provider", "openfaas-gateway", "gateway"} | {
    f"queue-worker-{n}" for n in (1, 2, 3)
}
FUNCTIONS = ROOT / "tests" / "integration" / "functions"
S3_SECRETS = ["s3-access-key", "s3-secret-key"]
FUNCTION_USER = "oscar-fn"


def oscar(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a process of its own, which exits while the stack runs on."""
    command = [sys.executable, "-m", "oscar_cli", *args]
    return subprocess.run(
        command, env=dict(env), capture_output=True, text=True, timeout=240, cwd=ROOT
    )


def status_of(env: Mapping[str, str], *, dead: Iterable[str] = ()) -> dict[str, Any]:
    """`oscar status --json`; it exits 1 when a component is dead, which only `dead` may be."""
    result = oscar(env, "status", "--json")
    allowed = set(dead)
    assert result.returncode == 0 or (result.returncode == 1 and allowed), result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    gone = {name for name, c in document["components"].items() if not c["alive"]}
    assert gone <= allowed, result.stderr
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


def processes_of(user: str) -> list[psutil.Process]:
    """Live processes running as `user` (replicas run as the unprivileged function user)."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            if process.username() == user and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
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


def require_openfaas_ports() -> None:
    """Skip while another stack holds 8080/8082; under CI (`CI` set) that is a failure."""
    taken = [port for port in OPENFAAS_PORTS if port_taken(port)]
    if not taken:
        return
    message = (
        f"ports {taken} are in use: the OpenFaaS CE gateway hard-codes 8080 and 8082, so only "
        "one stack runs per machine; stop the other one (`oscar down`)"
    )
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def state_root() -> Path:
    """A fresh folder under /var/tmp that the function user can traverse (mode 0711).

    Replicas run as an unprivileged user who must reach their folders under the state folder;
    pytest's own tmp folders are private (0700).
    """
    root = Path(tempfile.mkdtemp(prefix="oscar-stack-test-", dir="/var/tmp"))
    root.chmod(0o711)
    return root


def free_run(length: int, *, taken: set[int]) -> int:
    """The first of `length` consecutive ports on 127.0.0.1 that nothing listens on and that
    are not in `taken`."""
    while True:
        first = free_port()
        run = range(first, first + length)
        fits = first + length <= 65536 and not taken.intersection(run)
        if fits and not any(map(port_taken, run)):
            return first


def stack_env(root: Path) -> dict[str, str]:
    """The environment of every `oscar` command of one stack: its state folder, free ports."""
    env = {
        **os.environ,
        "OSCAR_STATE_DIR": str(root / "state"),
        "OSCAR_TOOLS_BIN": str(TOOLS_BIN),
        "OSCAR_ISOLATION": "auto",
        "OPENFAAS_CONFIG": str(root / "faas-cli"),
    }
    ports: set[int] = set()
    while len(ports) < len(MOVABLE_PORTS):
        ports.add(free_port())
    *movable, spare = sorted(ports)
    env.update(zip(MOVABLE_PORTS[:-1], map(str, movable), strict=True))
    # `oscar up --gateways N` puts gateway n on the gateway's port + n - 1: a run of free ones.
    env["OSCAR_GATEWAY_PORT"] = str(free_run(GATEWAYS_AT_MOST, taken=ports))
    # A port the replicas reach at 127.0.0.1 too: a second MinIO's, for storage providers.
    env["OSCAR_STACK_FORWARD_PORTS"] = str(spare)
    return env


def stop_and_purge(env: Mapping[str, str], root: Path) -> list[str]:
    """`oscar down --purge`, then kill and return (as command lines) whatever outlived it."""
    oscar(env, "down", "--purge")
    survivors = []
    for process in processes_using(root / "state"):
        with contextlib.suppress(psutil.Error):
            survivors.append(" ".join(process.cmdline()) or str(process.pid))
            process.kill()
    shutil.rmtree(root, ignore_errors=True)
    return survivors


@dataclass
class RunningStack:
    root: Path
    env: dict[str, str]
    status: dict[str, Any]
    faas_cli: FaasCli
    minio: Minio
    gateway: requests.Session  # carries the admin token
    openfaas: requests.Session  # carries the OpenFaaS basic auth
    leftovers_before: frozenset[str]
    _builds: Iterator[int] = field(default_factory=itertools.count)

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def openfaas_url(self) -> str:
        return str(self.status["openfaas"]["url"])

    @property
    def gateway_url(self) -> str:
        return str(self.status["gateway"]["url"])

    @property
    def minio_url(self) -> str:
        return str(self.status["minio"]["endpoint"])

    @property
    def spare_port(self) -> int:
        """A free port forwarded into every replica (`oscar up --forward-ports`)."""
        return int(self.env["OSCAR_STACK_FORWARD_PORTS"])

    def storage_env(self, *, input_path: str, output_path: str) -> dict[str, str]:
        """A function's environment for bucket-triggered work against this stack's MinIO."""
        return {"S3_ENDPOINT": self.minio_url, "INPUT_PATH": input_path, "OUTPUT_PATH": output_path}

    def deploy(
        self,
        name: str,
        function: str | Path,
        spec: Mapping[str, Any] | None = None,
        *,
        replicas: int = 1,
        timeout: float = 60.0,
    ) -> Path:
        """`oscar build` then `faas-cli deploy` a function folder as `name`; the project folder.

        `function` is a folder of tests/integration/functions or a path. `spec` is merged into
        the function's stack.yml entry (environment, secrets, limits, annotations...). Returns
        once `faas-cli describe` says Ready with at least `replicas` available.
        """
        source = FUNCTIONS / function if isinstance(function, str) else function
        build = next(self._builds)
        project = self.root / "projects" / f"{name}-{build}"
        project.mkdir(parents=True)
        (project / "template").symlink_to(ROOT / "templates")
        shutil.copytree(source, project / source.name)
        entry = {
            "lang": "python-watchdog",
            "handler": f"./{source.name}",
            "image": f"oscar-tests/{source.name}:{build}",
            **(spec or {}),
        }
        document = {"version": 1.0, "provider": {"name": "openfaas"}, "functions": {name: entry}}
        (project / "stack.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
        built = oscar(self.env, "build", "-f", str(project / "stack.yml"))
        assert built.returncode == 0, built.stdout + built.stderr
        self.faas_cli.run("deploy", "-f", "stack.yml", "--gateway", self.openfaas_url, cwd=project)
        self.wait_available(name, replicas, timeout=timeout)
        return project

    def describe(self, name: str) -> dict[str, str]:
        """`faas-cli describe NAME` as a dict of its `Key: value` lines."""
        output = self.faas_cli.run("describe", name, "--gateway", self.openfaas_url)
        fields = (line.partition(":") for line in output.splitlines() if ":" in line)
        return {key.strip(): value.strip() for key, _, value in fields}

    def wait_available(self, name: str, replicas: int, *, timeout: float) -> dict[str, str]:
        def ready() -> dict[str, str] | None:
            try:
                described = self.describe(name)
            except FaasCliFailed:
                return None
            available = int(described.get("Available Replicas", "0"))
            return (
                described if described.get("Status") == "Ready" and available >= replicas else None
            )

        return wait_for(ready, timeout=timeout, what=f"{replicas} ready replica(s) of {name}")

    def function_status(self, name: str) -> dict[str, Any]:
        """GET /system/function/NAME through the OpenFaaS gateway (the provider's answer)."""
        answer = self.openfaas.get(f"{self.openfaas_url}/system/function/{name}", timeout=10)
        answer.raise_for_status()
        document: dict[str, Any] = answer.json()
        return document

    def invoke(
        self, name: str, body: bytes, *, headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        return requests.post(
            f"{self.openfaas_url}/function/{name}", data=body, headers=headers, timeout=60
        )

    def remove_all_functions(self) -> list[str]:
        names = self.faas_cli.list_functions(self.openfaas_url)
        for name in names:
            self.faas_cli.run("remove", name, "--gateway", self.openfaas_url)
        return names

    def kill_component(self, name: str) -> int:
        pid = int(self.status["components"][name]["pid"])
        psutil.Process(pid).kill()
        wait_for(lambda: not is_running(pid), timeout=10, what=f"{name} (pid {pid}) to die")
        return pid

    def stop_component(self, name: str) -> int:
        """Stop one component as `oscar down` stops it (its stop signal, then its grace period)."""
        config = StackConfig.from_env(self.env)
        state = read_state(config.stack_file)
        assert state is not None, "the stack is not running"
        [running] = [c for c in state.components if c.name == name]
        running.stop()
        assert not running.alive(), f"{name} (pid {running.pid}) outlived its stop"
        return running.pid

    def restart_component(self, name: str, settings: Mapping[str, str] | None = None) -> None:
        """Start a dead component again exactly as `oscar up` starts it; record it for `down`.

        `oscar up` would start every dead component again; a test that killed several on
        purpose restarts one at a time. Not for queue-workers (their hostnames need `unshare`).
        `settings` are stack settings (`OSCAR_UNBUILT_IMAGES`...) for this start only.
        """
        config = StackConfig.from_env({**self.env, **(settings or {})})
        secrets = StackSecrets.load(config.credentials_file)
        state = read_state(config.stack_file)
        assert secrets is not None and state is not None, "the stack is not running"
        [spec] = [s for s in plan(config, secrets, uts=None) if s.name == name]
        assert not any(c.alive() for c in state.components if c.name == name), f"{name} runs"
        running, offset = spawn(spec, config.log(name))
        components = tuple(running if c.name == name else c for c in state.components)
        write_state(config.stack_file, replace(state, components=components))
        wait_ready(spec, running, offset=offset, timeout=config.startup_timeout)
        # Components a test killed on purpose stay dead; `oscar status` then exits 1.
        self.status = status_of(self.env, dead=state.dead())


@contextlib.contextmanager
def running_stack(settings: Mapping[str, str] | None = None) -> Iterator[RunningStack]:
    """`oscar up` in a fresh state folder; `oscar down --purge` afterwards, whatever happened.

    `settings` are stack settings as their environment variables (`OSCAR_FUNCTION_TIMEOUT`...),
    as `oscar up --function-timeout ...` would take them.
    """
    require_openfaas_ports()
    root = state_root()
    env = {**stack_env(root), **(settings or {})}
    try:
        before = frozenset(leftovers())
        started = oscar(env, "up")
        assert started.returncode == 0, started.stdout + started.stderr
        status = status_of(env)
        faas_cli = FaasCli(tool("faas-cli"), env=env)
        openfaas = status["openfaas"]
        faas_cli.login(
            openfaas["url"], username=openfaas["username"], password=openfaas["password"]
        )
        minio = status["minio"]
        client = Minio(
            minio["endpoint"].removeprefix("http://"),
            minio["access_key"],
            minio["secret_key"],
            secure=False,
        )
        gateway = requests.Session()
        gateway.headers["Authorization"] = f"Bearer {status['gateway']['admin_token']}"
        basic = requests.Session()
        basic.auth = (openfaas["username"], openfaas["password"])
        yield RunningStack(root, env, status, faas_cli, client, gateway, basic, before)
        gateway.close()
        basic.close()
    finally:
        survivors = stop_and_purge(env, root)
    assert not survivors, f"left running after `oscar down --purge`: {survivors}"
