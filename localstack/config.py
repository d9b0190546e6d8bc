"""The local stack's settings and its generated credentials.

`StackConfig.from_env(environ)` is the only reader of the environment for the stack. The CLI's
flags arrive as an overlay of the same variables, so every setting has one parser and one error
message, and all problems are reported at once.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from localstack.errors import StackConfigError

HOST = "127.0.0.1"
# Hard-coded in the OpenFaaS CE gateway's main.go (`tcpPort := 8080`, metrics `port := 8082`,
# both on every interface): not settable, so one stack per machine.
OPENFAAS_PORT = 8080
OPENFAAS_METRICS_PORT = 8082
NATS_CLUSTER = "faas-cluster"
WEBHOOK_TARGET = "OSCAR"
ISOLATION_MODES = ("auto", "namespaces", "process")
# An image `oscar build` never made: run its script on the provider's base runtime, or refuse it.
UNBUILT_IMAGES = ("base", "refuse")
PROJECT_ROOT = Path(__file__).resolve().parents[1]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_SECONDS = re.compile(r"\d+(?:\.\d+)?")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float:
    """Seconds from `330`, `5m30s` or `1.5h` (Go's notation, which the Go tools also read)."""
    text = text.strip()
    if _SECONDS.fullmatch(text):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"expected seconds or a duration like 5m30s, found {text!r}")
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def go_duration(seconds: float) -> str:
    return f"{int(seconds)}s" if seconds == int(seconds) else f"{round(seconds * 1000)}ms"


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"expected a port number 1-65535, found {text!r}")
    return int(text)


def _ports(text: str) -> tuple[int, ...]:
    return tuple(_port(part.strip()) for part in text.split(",") if part.strip())


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"expected a whole number of at least 1, found {text!r}")
    return int(text)


def _ledger_url(text: str) -> str:
    if not text.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"expected postgresql://user:password@host:port/db, found {text!r}")
    return text


def _isolation(text: str) -> str:
    if text not in ISOLATION_MODES:
        raise ValueError(f"expected one of {', '.join(ISOLATION_MODES)}, found {text!r}")
    return text


def _unbuilt(text: str) -> str:
    if text not in UNBUILT_IMAGES:
        raise ValueError(f"expected one of {', '.join(UNBUILT_IMAGES)}, found {text!r}")
    return text


def _switch(text: str) -> bool:
    if text.lower() not in {"on", "off", "true", "false"}:
        raise ValueError(f"expected on or off, found {text!r}")
    return text.lower() in {"on", "true"}


@dataclass(frozen=True)
class Setting:
    field: str
    env: str
    default: str
    parse: Callable[[str], Any]

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-")


SETTINGS = (
    Setting("minio_port", "OSCAR_MINIO_PORT", "9000", _port),
    Setting("minio_console_port", "OSCAR_MINIO_CONSOLE_PORT", "9001", _port),
    Setting("nats_port", "OSCAR_NATS_PORT", "4222", _port),
    Setting("nats_monitor_port", "OSCAR_NATS_MONITOR_PORT", "8222", _port),
    Setting("provider_port", "OSCAR_PROVIDER_PORT", "8083", _port),
    Setting("gateway_port", "OSCAR_GATEWAY_PORT", "8090", _port),
    Setting("workers", "OSCAR_QUEUE_WORKERS", "3", _count),
    Setting("function_timeout", "OSCAR_FUNCTION_TIMEOUT", "5m", parse_duration),
    Setting("ack_wait", "OSCAR_ACK_WAIT", "", parse_duration),
    Setting("startup_timeout", "OSCAR_STARTUP_TIMEOUT", "30s", parse_duration),
    Setting("isolation", "OSCAR_ISOLATION", "auto", _isolation),
    Setting("unbuilt_images", "OSCAR_UNBUILT_IMAGES", "base", _unbuilt),
    # MinIO's on-disk event queue survives a gateway outage, but MinIO drains it on a 3 s
    # ticker (measured: events arrive ~2.95 s after the PUT, against 3-5 ms without it). Off
    # by default: events the gateway misses are found by its reconciler instead.
    Setting("minio_event_queue", "OSCAR_MINIO_EVENT_QUEUE", "off", _switch),
    # The gateways' ledger: unset, SQLite in the state folder (one gateway); postgresql://...,
    # a PostgreSQL database that `--gateways N` gateways share.
    Setting("ledger", "OSCAR_LEDGER_URL", "", _ledger_url),
    Setting("gateways", "OSCAR_GATEWAYS", "1", _count),
    # More host ports replicas reach at 127.0.0.1 besides MinIO's, e.g. another MinIO that an
    # FDL's storage_providers names (`--forward-ports 9100,9200`).
    Setting("forward_ports", "OSCAR_STACK_FORWARD_PORTS", "", _ports),
)


@dataclass(frozen=True)
class StackConfig:
    state_dir: Path
    tools_bin: Path
    minio_port: int
    minio_console_port: int
    nats_port: int
    nats_monitor_port: int
    provider_port: int
    gateway_port: int
    workers: int
    function_timeout: float
    ack_wait: float
    startup_timeout: float
    isolation: str
    unbuilt_images: str
    minio_event_queue: bool
    path: str  # PATH for the components, which run tools such as `sh` and `unshare`
    ledger: str = ""  # the gateways' PostgreSQL URL; "" for SQLite
    gateways: int = 1  # on ports gateway_port, gateway_port + 1, ...
    forward_ports: tuple[int, ...] = ()  # into each replica, beside MinIO's

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> StackConfig:
        problems: list[str] = []
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            text = environ.get(setting.env, "") or setting.default
            if not text:
                continue
            try:
                values[setting.field] = setting.parse(text)
            except ValueError as e:
                problems.append(f"{setting.env} ({setting.flag}): {e}")
        # The queue-worker must not redeliver a message while its function may still be running.
        timeout = values.get("function_timeout", 0.0)
        values.setdefault("ack_wait", timeout + 30)
        if "function_timeout" in values and values["ack_wait"] <= timeout:
            problems.append(
                f"OSCAR_ACK_WAIT (--ack-wait): {go_duration(values['ack_wait'])} must exceed the "
                f"function timeout {go_duration(timeout)}, or a slow function "
                "runs twice"
            )
        if values.get("gateways", 1) > 1 and not values.get("ledger"):
            problems.append(
                f"OSCAR_GATEWAYS (--gateways): {values['gateways']} gateways need one ledger to"
                " share, and SQLite is one gateway's: give OSCAR_LEDGER_URL (--ledger"
                " postgresql://...)"
            )
        ports = {
            s.flag: values[s.field]
            for s in SETTINGS
            if s.field in values and s.field.endswith("_port")
        }
        ports.update({"the OpenFaaS gateway": OPENFAAS_PORT, "its metrics": OPENFAAS_METRICS_PORT})
        for port in sorted(set(ports.values())):
            users = [name for name, value in ports.items() if value == port]
            if len(users) > 1:
                problems.append(
                    f"port {port} is given to {' and '.join(users)}; pick distinct ports"
                )
        home = environ.get("HOME", "")
        # As root, replicas run as an unprivileged user who must reach the images: a home
        # like /root (mode 0700) would block them, so root's stack lives in /var/lib/oscar.
        default = "/var/lib/oscar" if os.geteuid() == 0 else (f"{home}/.oscar" if home else "")
        state = environ.get("OSCAR_STATE_DIR") or default
        if not state:
            problems.append("OSCAR_STATE_DIR (--state-dir): missing, and HOME is not set either")
        tools_dir = environ.get("OSCAR_TOOLS_DIR") or str(PROJECT_ROOT / ".tools")
        tools = environ.get("OSCAR_TOOLS_BIN") or f"{tools_dir}/bin"
        if problems:
            raise StackConfigError(problems)
        return cls(
            state_dir=Path(state).expanduser().absolute(),
            tools_bin=Path(tools).expanduser().absolute(),
            path=environ.get("PATH") or "/usr/sbin:/usr/bin:/sbin:/bin",
            **values,
        )

    # Everything lives under one folder; these names are the layout.
    @property
    def stack_file(self) -> Path:
        return self.state_dir / "stack.json"

    @property
    def credentials_file(self) -> Path:
        return self.state_dir / "credentials.json"

    @property
    def openfaas_dir(self) -> Path:
        """The gateway's working folder; `secrets/` in it holds the basic-auth files."""
        return self.state_dir / "openfaas"

    @property
    def images_dir(self) -> Path:
        return self.state_dir / "images"

    def log(self, component: str) -> Path:
        return self.state_dir / "logs" / f"{component}.log"

    def tool(self, name: str) -> Path:
        return self.tools_bin / name

    @property
    def python(self) -> str:
        return sys.executable  # the provider runs on the interpreter (and venv) `oscar` runs on


def _token() -> str:
    # Never starting with '-': these go on command lines (`mc alias set`, `faas-cli login`).
    while (token := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return token


@dataclass(frozen=True)
class StackSecrets:
    """Generated once per state folder and kept (MinIO's data is bound to its root keys)."""

    minio_access_key: str
    minio_secret_key: str
    webhook_token: str
    openfaas_user: str
    openfaas_password: str
    gateway_admin_token: str
    gateway_callback_key: str = field(default_factory=lambda: _token())

    @classmethod
    def generate(cls) -> StackSecrets:
        return cls(
            minio_access_key=f"oscar-{secrets.token_hex(6)}",
            minio_secret_key=_token(),
            webhook_token=_token(),
            openfaas_user="admin",
            openfaas_password=_token(),
            gateway_admin_token=_token(),
        )

    @classmethod
    def load(cls, path: Path) -> StackSecrets | None:
        if not path.exists():
            return None
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as e:
            raise StackConfigError(
                [f"{path} is not a credentials file written by `oscar up` ({e}); remove it"]
            ) from e

    @classmethod
    def load_or_create(cls, path: Path) -> StackSecrets:
        found = cls.load(path)
        if found is not None:
            return found
        created = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(created), handle, indent=2)
        return created
