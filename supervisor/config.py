"""The supervisor's one configuration loader: the only reader of the environment and of secrets."""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from contract import environment as names
from contract.naming import (
    DEFAULT_SCRIPT,
    S3_ACCESS_KEY_SECRET,
    S3_SECRET_KEY_SECRET,
    SECRETS_MOUNT,
)
from contract.paths import StoragePath
from contract.settings import Settings, read_secret
from supervisor.errors import ConfigError

# Where secrets are when SECRETS_DIR names no other folder: where OpenFaaS mounts them.
DEFAULT_SECRETS_DIR = SECRETS_MOUNT


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

    log_level: str = "INFO"
    oneshot_event: str = field(default="", repr=False)  # "": serve HTTP; else run this once
    result_file: Path = Path("/dev/termination-log")  # where one-shot mode writes its result
    max_body_bytes: int = 0  # a request's body; 413 past it, 0: no limit
    # Inputs read from, outputs written to (the function's S3_ENDPOINT unless INPUT_S3_* or
    # OUTPUT_S3_* name another endpoint: an FDL's storage provider).
    input_storage: StorageConfig | None = None
    output_storage: StorageConfig | None = None
    classic_fprocess: tuple[str, ...] = ()  # a classic-watchdog function's command
    classic_workdir: Path | None = None  # ... and the folder it runs in (None: this one)
    batch_parallel: int = 1  # jobs of one batch run at once

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SupervisorConfig:
        """Build the config, reporting every problem at once instead of the first one."""
        problems: list[str] = []
        settings = Settings(environ, problems)

        function_dir = Path(environ.get(names.FUNCTION_DIR, "function"))
        script_path = Path(environ.get(names.SCRIPT_PATH, str(function_dir / DEFAULT_SCRIPT)))
        secrets_dir = Path(environ.get(names.SECRETS_DIR, SECRETS_MOUNT))
        script = _script_command(_in_secrets_dir(script_path, secrets_dir), problems)
        host, port = settings.listen(names.SUPERVISOR_LISTEN, "127.0.0.1:5000")
        storage = _storage(environ, problems)
        config = cls(
            script=script,
            script_timeout=settings.number(names.SCRIPT_TIMEOUT, 300.0, durations=True),
            workspace_root=Path(environ.get(names.WORKSPACE_ROOT, tempfile.gettempdir())),
            log_tail_bytes=int(settings.number(names.LOG_TAIL_BYTES, 4096, durations=True)),
            listen_host=host,
            listen_port=port,
            threads=int(settings.number(names.SUPERVISOR_THREADS, 8, durations=True)),
            sync_base64=settings.flag(names.SYNC_BASE64, default=False),
            storage=storage,
            input_path=settings.storage_path(names.INPUT_PATH),
            output_path=settings.storage_path(names.OUTPUT_PATH),
            script_env=dict(environ),
            log_level=settings.log_level(),
            oneshot_event=settings.text(names.OSCAR_ONESHOT_EVENT).strip(),
            result_file=Path(settings.text(names.OSCAR_RESULT_FILE, "/dev/termination-log")),
            max_body_bytes=settings.count(names.SUPERVISOR_MAX_BODY_BYTES, 0),
            input_storage=_side_storage(environ, problems, "INPUT_") or storage,
            output_storage=_side_storage(environ, problems, "OUTPUT_") or storage,
            classic_fprocess=tuple(shlex.split(environ.get(names.CLASSIC_FPROCESS, ""))),
            classic_workdir=Path(environ[names.CLASSIC_WORKDIR])
            if environ.get(names.CLASSIC_WORKDIR)
            else None,
            batch_parallel=int(settings.number(names.BATCH_PARALLEL, 1)),
        )
        if not config.workspace_root.is_dir():
            problems.append(
                f"{names.WORKSPACE_ROOT}: {str(config.workspace_root)!r} is not a directory; "
                f"create it or point {names.WORKSPACE_ROOT} at a writable folder"
            )
        if problems:
            raise ConfigError(problems)
        return config


def _in_secrets_dir(path: Path, secrets_dir: Path) -> Path:
    """A script shipped as a secret, found where this replica's secrets really are.

    The gateway's FDL API ships a service's script as the secret `<name>-script.sh` and names
    it by its usual mount (contract.naming.SECRETS_MOUNT); where secrets are a folder named by
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


def _side_storage(
    environ: Mapping[str, str], problems: list[str], side: str
) -> StorageConfig | None:
    """The input's or the output's own endpoint, when `<side>S3_ENDPOINT` names one."""
    if not environ.get(side + names.S3_ENDPOINT, "").strip():
        return None
    for name in (names.S3_ACCESS_KEY_SECRET, names.S3_SECRET_KEY_SECRET):
        if not environ.get(side + name, "").strip():
            problems.append(
                f"{side}{name}: missing; name the secret holding the key of "
                f"{side}{names.S3_ENDPOINT} (the gateway's FDL deploy sets it)"
            )
    return _storage(environ, problems, side=side)


def _storage(
    environ: Mapping[str, str], problems: list[str], *, side: str = ""
) -> StorageConfig | None:
    endpoint = environ.get(side + names.S3_ENDPOINT, "").strip()
    secrets_dir = Path(environ.get(names.SECRETS_DIR, DEFAULT_SECRETS_DIR))
    key_names = {
        "access": environ.get(side + names.S3_ACCESS_KEY_SECRET, S3_ACCESS_KEY_SECRET),
        "secret": environ.get(side + names.S3_SECRET_KEY_SECRET, S3_SECRET_KEY_SECRET),
    }
    values = {kind: _read_secret(secrets_dir / name) for kind, name in key_names.items()}
    if not endpoint and not any(values.values()):
        return None  # a synchronous-only function: storage events will be refused clearly
    if not endpoint:
        problems.append(
            f"{side}S3_ENDPOINT: missing; set it to the MinIO URL, e.g. http://minio:9000"
        )
    for kind, name in key_names.items():
        if not values[kind]:
            problems.append(
                f"secret {name!r}: missing or empty under {str(secrets_dir)!r}; "
                f"create it with `faas-cli secret create {name}` and list it in the function's "
                "secrets"
            )
    parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    if endpoint and (parts.scheme not in {"http", "https"} or not parts.netloc):
        problems.append(f"{side}S3_ENDPOINT: expected http(s)://host:port, found {endpoint!r}")
    return StorageConfig(
        endpoint=parts.netloc,
        secure=parts.scheme == "https",
        access_key=values["access"],
        secret_key=values["secret"],
        region=environ.get(side + names.S3_REGION) or environ.get(names.S3_REGION, "us-east-1"),
    )


def _read_secret(path: Path) -> str:
    """An optional secret: a function without storage has none."""
    try:
        return read_secret(path)
    except OSError:
        return ""
