"""Start, inspect and stop the local stack: detached components recorded in `<state>/stack.json`.

Each component runs in its own session, so it outlives the command that started it; the record
keeps its pid with the kernel's start time for that pid, so a later `down` never signals a process
that merely reused the number.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

import requests

from localstack.components import Running, spawn, wait_ready
from localstack.config import OPENFAAS_METRICS_PORT, OPENFAAS_PORT, StackConfig, StackSecrets
from localstack.errors import PortInUse, PurgeRefused, StackBusy, StackNotRunning, ToolsMissing
from localstack.plan import ComponentSpec, endpoints, gateway_ports, plan
from localstack.state import StackState, read_state, write_state

MARKER = ".oscar-state"
REQUIRED_TOOLS = ("minio", "nats-streaming-server", "openfaas-gateway", "nats-queue-worker")


class Progress(Protocol):
    def step(self, message: str) -> None: ...
    def done(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...


def load_state(config: StackConfig) -> StackState | None:
    """The recorded stack, or None when nothing was started from this state folder."""
    return read_state(config.stack_file)


def up(config: StackConfig, *, progress: Progress) -> tuple[StackState, bool]:
    """Start every component in order, each ready before the next; (state, already running)."""
    with _locked(config):
        current = load_state(config)
        if current is not None and not current.dead():
            return current, True
        if current is not None:  # a component died, or the machine restarted
            restarted = _restart_dead(config, current, progress)
            if restarted is not None:
                return restarted, False
            progress.warn(f"{', '.join(current.dead())} not running: starting the stack afresh")
            _stop_all(config, current, progress)
        _check_tools(config)
        _check_ports(config)
        secrets = _prepare(config)
        uts = _uts_prefix(config)
        if uts is None and config.workers > 1:
            progress.warn(
                "cannot give queue-workers their own hostnames (no `unshare --uts`); starting "
                "one worker, so asynchronous calls run one at a time"
            )
        started: list[Running] = []
        state = StackState(_now(), endpoints(config), ())
        try:
            for spec in plan(config, secrets, uts=uts):
                progress.step(f"starting {spec.name}")
                began = time.monotonic()
                running, offset = spawn(spec, config.log(spec.name))
                started.append(running)
                state = replace(state, components=tuple(started))
                write_state(config.stack_file, state)
                wait_ready(spec, running, offset=offset, timeout=config.startup_timeout)
                progress.done(f"{spec.name} ready in {time.monotonic() - began:.1f}s {spec.url}")
        except BaseException:
            _stop_all(config, state, progress)
            raise
        for warning in create_openfaas_secrets(state.endpoints["openfaas"], secrets):
            progress.warn(warning)
        return state, False


def _restart_dead(config: StackConfig, state: StackState, progress: Progress) -> StackState | None:
    """Start again only the components that died, as `up` started them, keeping the others and
    their work; None when the whole stack must start afresh: nothing alive (the machine
    restarted), NATS Streaming gone (its clients' subscriptions went with it), or a dead
    component the current plan does not have."""
    dead = state.dead()
    secrets = StackSecrets.load(config.credentials_file)
    if len(dead) == len(state.components) or "nats-streaming-server" in dead or secrets is None:
        return None
    specs = {spec.name: spec for spec in plan(config, secrets, uts=_uts_prefix(config))}
    if not set(dead) <= specs.keys():
        return None
    progress.warn(f"{', '.join(dead)} not running: starting {'it' if len(dead) == 1 else 'them'}")
    for component in state.components:
        if component.name in dead:
            state = _start_again(config, state, specs[component.name], progress)
    return state


def restart(config: StackConfig, name: str, *, progress: Progress) -> bool:
    """Stop one running component and start it again as `up` would now: with the settings and
    credentials as they are (MinIO reads its webhook targets' token only at start, so a rotated
    one reaches it this way: its notify settings are not dynamic, `mc admin config set` answers
    "Please restart your server"). False when the stack records no such component."""
    with _locked(config):
        state = load_state(config)
        secrets = StackSecrets.load(config.credentials_file)
        if state is None or secrets is None:
            raise StackNotRunning(
                f"no local stack runs from {config.state_dir}; start it with `oscar up`"
            )
        found = [c for c in state.components if c.name == name]
        if not found:
            return False
        [spec] = [s for s in plan(config, secrets, uts=_uts_prefix(config)) if s.name == name]
        progress.step(f"stopping {name}")
        found[0].stop()
        _start_again(config, state, spec, progress)
        return True


def _start_again(
    config: StackConfig, state: StackState, spec: ComponentSpec, progress: Progress
) -> StackState:
    """`spec`'s component (dead) started again in its place in `state`, ready; recorded."""
    progress.step(f"starting {spec.name}")
    began = time.monotonic()
    running, offset = spawn(spec, config.log(spec.name))
    components = tuple(running if c.name == spec.name else c for c in state.components)
    state = replace(state, components=components)
    write_state(config.stack_file, state)
    wait_ready(spec, running, offset=offset, timeout=config.startup_timeout)
    progress.done(f"{spec.name} ready in {time.monotonic() - began:.1f}s {spec.url}")
    return state


def planned(config: StackConfig) -> list[ComponentSpec]:
    """What `up` would start, in order (for `--dry-run`: no credentials are written)."""
    secrets = StackSecrets.load(config.credentials_file) or StackSecrets.generate()
    return plan(config, secrets, uts=_uts_prefix(config))


def down(config: StackConfig, *, purge: bool, progress: Progress) -> bool:
    """Stop the stack in reverse order; False when nothing was running. `purge` deletes state."""
    if not config.state_dir.exists():
        return False
    with _locked(config):
        state = load_state(config)
        if state is not None:
            _stop_all(config, state, progress)
    if purge and config.state_dir.exists():
        if not (config.state_dir / MARKER).exists():
            raise PurgeRefused(
                f"{config.state_dir} was not created by `oscar up` (no {MARKER} in it); "
                "refusing to delete it"
            )
        shutil.rmtree(config.state_dir)
        progress.done(f"removed {config.state_dir}")
    return state is not None


def create_openfaas_secrets(openfaas_url: str, secrets: StackSecrets) -> list[str]:
    """Give functions the MinIO keys as OpenFaaS secrets; problems come back as warnings."""
    auth = (secrets.openfaas_user, secrets.openfaas_password)
    values = {"s3-access-key": secrets.minio_access_key, "s3-secret-key": secrets.minio_secret_key}
    warnings = []
    for name, value in values.items():
        body = {"name": name, "value": value}
        try:
            answer = requests.post(
                f"{openfaas_url}/system/secrets", json=body, auth=auth, timeout=10
            )
            if not answer.ok:  # it exists from an earlier `up`: update it
                answer = requests.put(
                    f"{openfaas_url}/system/secrets", json=body, auth=auth, timeout=10
                )
        except requests.RequestException as e:
            warnings.append(f"could not create the OpenFaaS secret {name}: {e}")
            continue
        if not answer.ok:
            warnings.append(
                f"could not create the OpenFaaS secret {name}: HTTP {answer.status_code} "
                f"{answer.text[:200]!r}; create it with `faas-cli secret create {name}`"
            )
    return warnings


def _stop_all(config: StackConfig, state: StackState, progress: Progress) -> None:
    for component in reversed(state.components):
        if component.alive():
            progress.step(f"stopping {component.name}")
        component.stop()
    config.stack_file.unlink(missing_ok=True)


def _prepare(config: StackConfig) -> StackSecrets:
    """Create the state folder's layout and credentials (kept across `down` and `up`)."""
    config.state_dir.mkdir(parents=True, exist_ok=True)
    (config.state_dir / MARKER).touch()
    secrets = StackSecrets.load_or_create(config.credentials_file)
    (config.state_dir / "minio" / "events").mkdir(parents=True, exist_ok=True)
    folder = config.openfaas_dir / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, value in (
        ("basic-auth-user", secrets.openfaas_user),
        ("basic-auth-password", secrets.openfaas_password),
    ):
        path = folder / name
        path.write_text(value, encoding="utf-8")
        path.chmod(0o600)
    gateway_secrets = config.state_dir / "gateway" / "secrets"
    gateway_secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, value in (
        ("minio-access-key", secrets.minio_access_key),
        ("minio-secret-key", secrets.minio_secret_key),
        ("webhook-token", secrets.webhook_token),
        ("admin-token", secrets.gateway_admin_token),
        ("callback-key", secrets.gateway_callback_key),
    ):
        path = gateway_secrets / name
        path.write_text(value, encoding="utf-8")
        path.chmod(0o600)
    return secrets


def _check_tools(config: StackConfig) -> None:
    missing = [name for name in REQUIRED_TOOLS if not config.tool(name).exists()]
    if missing:
        raise ToolsMissing(
            f"{', '.join(missing)} not found in {config.tools_bin}; build the pinned tools with "
            "`python3 tools/install.py` (or point OSCAR_TOOLS_BIN at them)",
            missing=missing,
        )


def _check_ports(config: StackConfig) -> None:
    ports = {
        "minio": config.minio_port,
        "minio console": config.minio_console_port,
        "nats-streaming-server": config.nats_port,
        "nats-streaming-server monitor": config.nats_monitor_port,
        "provider": config.provider_port,
        **gateway_ports(config),
        "openfaas-gateway": OPENFAAS_PORT,
        "openfaas-gateway metrics": OPENFAAS_METRICS_PORT,
    }
    for component, port in ports.items():
        with socket.socket() as probe:
            # As the servers do, so a port left in TIME_WAIT by the last `down` counts as free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("0.0.0.0", port))
            except OSError as e:
                raise PortInUse(
                    f"port {port} for {component} is in use ({e.strerror}); stop what holds it "
                    f"(`ss -ltnp 'sport = :{port}'`) or choose another port",
                    port=port,
                ) from e


def _uts_prefix(config: StackConfig) -> tuple[str, ...] | None:
    """How to run a command with a hostname of its own, or None when this host cannot.

    The CE queue-worker names its NATS client after the hostname, and NATS Streaming refuses a
    second client with the same name, so each worker needs its own UTS namespace.
    """
    unshare = shutil.which("unshare", path=config.path)
    if unshare is None:
        return None
    prefix = (unshare, "--uts") if os.geteuid() == 0 else (unshare, "-r", "--uts")
    probe = (*prefix, "--", "/bin/sh", "-c", 'hostname "$0"', "oscar-probe")
    env = {"PATH": config.path}
    result = subprocess.run(probe, env=env, capture_output=True, check=False, timeout=10)
    return prefix if result.returncode == 0 else None


@contextlib.contextmanager
def _locked(config: StackConfig) -> Iterator[None]:
    config.state_dir.mkdir(parents=True, exist_ok=True)
    with (config.state_dir / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise StackBusy(
                f"another oscar command is starting or stopping the stack in {config.state_dir}; "
                "wait for it to finish"
            ) from e
        yield


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
