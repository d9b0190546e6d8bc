"""The supervisor's one configuration loader: the only reader of the environment and of secrets."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from supervisor.errors import ConfigError

DEFAULT_SECRETS_DIR = "/var/openfaas/secrets"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class StoragePath:
    """A `bucket/prefix` pair, as written in FDL files and stack.yml annotations."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, text: str) -> StoragePath:
        bucket, _, prefix = text.strip().strip("/").partition("/")
        if not bucket:
            raise ValueError(f"expected 'bucket/prefix', found {text!r}")
        return cls(bucket=bucket, prefix=prefix.strip("/"))

    def key_for(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative


@dataclass(frozen=True)
class StorageConfig:
    endpoint: str
    secure: bool
    access_key: str
    secret_key: str = field(repr=False)
    region: str


@dataclass(frozen=True)
class SupervisorConfig:
    script: tuple[str, ...]
    script_timeout: float
    workspace_root: Path
    log_tail_bytes: int
    listen_host: str
    listen_port: int
    threads: int
    sync_base64: bool
    storage: StorageConfig | None
    input_path: StoragePath | None
    output_path: StoragePath | None
    script_env: Mapping[str, str] = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SupervisorConfig:
        """Build the config, reporting every problem at once instead of the first one."""
        problems: list[str] = []
        reader = _Reader(environ, problems)

        function_dir = Path(environ.get("FUNCTION_DIR", "function"))
        script_path = Path(environ.get("SCRIPT_PATH", str(function_dir / "script.sh")))
        secrets_dir = Path(environ.get("SECRETS_DIR", DEFAULT_SECRETS_DIR))
        script = _script_command(_in_secrets_dir(script_path, secrets_dir), problems)

        listen = environ.get("SUPERVISOR_LISTEN", "127.0.0.1:5000")
        host, _, port_text = listen.rpartition(":")
        if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            problems.append(f"SUPERVISOR_LISTEN: expected 'host:port', found {listen!r}")
            port_text = "0"

        config = cls(
            script=script,
            script_timeout=reader.number("SCRIPT_TIMEOUT", 300.0),
            workspace_root=Path(environ.get("WORKSPACE_ROOT", tempfile.gettempdir())),
            log_tail_bytes=int(reader.number("LOG_TAIL_BYTES", 4096)),
            listen_host=host,
            listen_port=int(port_text),
            threads=int(reader.number("SUPERVISOR_THREADS", 8)),
            sync_base64=reader.flag("SYNC_BASE64", default=False),
            storage=_storage(environ, problems),
            input_path=reader.storage_path("INPUT_PATH"),
            output_path=reader.storage_path("OUTPUT_PATH"),
            script_env=dict(environ),
        )
        if not config.workspace_root.is_dir():
            problems.append(
                f"WORKSPACE_ROOT: {str(config.workspace_root)!r} is not a directory; "
                "create it or point WORKSPACE_ROOT at a writable folder"
            )
        if problems:
            raise ConfigError(problems)
        return config


class _Reader:
    def __init__(self, environ: Mapping[str, str], problems: list[str]) -> None:
        self._environ = environ
        self._problems = problems

    def number(self, name: str, default: float) -> float:
        text = self._environ.get(name, "").strip()
        if not text:
            return default
        # Watchdog-style durations ("30s") are accepted too, since users copy them from stack.yml.
        try:
            value = float(text.removesuffix("s"))
        except ValueError:
            value = -1.0
        if not math.isfinite(value) or value <= 0:
            self._problems.append(f"{name}: expected a positive number, found {text!r}")
            return default
        return value

    def flag(self, name: str, *, default: bool) -> bool:
        text = self._environ.get(name)
        if text is None:
            return default
        if text.strip().lower() in _TRUE:
            return True
        if text.strip().lower() in _FALSE:
            return False
        self._problems.append(f"{name}: expected true or false, found {text!r}")
        return default

    def storage_path(self, name: str) -> StoragePath | None:
        text = self._environ.get(name, "").strip()
        if not text:
            return None
        try:
            return StoragePath.parse(text)
        except ValueError as e:
            self._problems.append(f"{name}: {e}")
            return None


def _in_secrets_dir(path: Path, secrets_dir: Path) -> Path:
    """A script shipped as a secret, found where this replica's secrets really are.

    The gateway's FDL API ships a service's script as the secret `<name>-script.sh` and names
    it by its usual mount, /var/openfaas/secrets/...; where secrets are a folder named by
    SECRETS_DIR instead (the local engine's process mode), the script is in that folder.
    """
    default = Path(DEFAULT_SECRETS_DIR)
    if secrets_dir == default or not path.is_relative_to(default):
        return path
    return secrets_dir / path.relative_to(default)


def _script_command(path: Path, problems: list[str]) -> tuple[str, ...]:
    if not path.is_file():
        problems.append(
            f"SCRIPT_PATH: no script at {str(path)!r}; put your script in function/script.sh "
            "or set SCRIPT_PATH"
        )
        return ()
    resolved = str(path.resolve())
    if os.access(resolved, os.X_OK):
        return (resolved,)
    # A script without its executable bit still runs when it is a shell script: users forget
    # `chmod +x`, and a missing bit is not worth a failed deployment.
    if path.suffix == ".sh":
        return ("/bin/sh", resolved)
    problems.append(f"SCRIPT_PATH: {str(path)!r} is not executable; run `chmod +x {path}`")
    return ()


def _storage(environ: Mapping[str, str], problems: list[str]) -> StorageConfig | None:
    endpoint = environ.get("S3_ENDPOINT", "").strip()
    secrets_dir = Path(environ.get("SECRETS_DIR", DEFAULT_SECRETS_DIR))
    key_names = {
        "access": environ.get("S3_ACCESS_KEY_SECRET", "s3-access-key"),
        "secret": environ.get("S3_SECRET_KEY_SECRET", "s3-secret-key"),
    }
    values = {kind: _read_secret(secrets_dir / name) for kind, name in key_names.items()}
    if not endpoint and not any(values.values()):
        return None  # a synchronous-only function: storage events will be refused clearly
    if not endpoint:
        problems.append("S3_ENDPOINT: missing; set it to the MinIO URL, e.g. http://minio:9000")
    for kind, name in key_names.items():
        if not values[kind]:
            problems.append(
                f"secret {name!r}: missing or empty under {str(secrets_dir)!r}; "
                f"create it with `faas-cli secret create {name}` and list it in the function's "
                "secrets"
            )
    parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    if endpoint and (parts.scheme not in {"http", "https"} or not parts.netloc):
        problems.append(f"S3_ENDPOINT: expected http(s)://host:port, found {endpoint!r}")
    return StorageConfig(
        endpoint=parts.netloc,
        secure=parts.scheme == "https",
        access_key=values["access"],
        secret_key=values["secret"],
        region=environ.get("S3_REGION", "us-east-1"),
    )


def _read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
