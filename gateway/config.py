"""The gateway's one configuration loader: the only reader of its environment and secret files."""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from gateway.errors import GatewayError


class ConfigError(GatewayError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("gateway is misconfigured:\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class GatewayConfig:
    host: str
    port: int
    public_url: str
    state_dir: Path
    openfaas_url: str
    openfaas_user: str
    openfaas_password: str = field(repr=False)
    minio_endpoint: str
    minio_secure: bool
    minio_access_key: str = field(repr=False)
    minio_secret_key: str = field(repr=False)
    minio_target_arn: str
    webhook_token: str = field(repr=False)
    admin_token: str = field(repr=False)
    callback_key: str = field(repr=False)
    retry_base: float
    retry_cap: float
    refresh_interval: float
    reconcile_interval: float
    sync_timeout: float
    ledger_synchronous: str
    faas_cli: str = "faas-cli"  # the binary that deploys FDL services
    function_s3_endpoint: str = ""  # S3_ENDPOINT of FDL services: MinIO as functions reach it

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GatewayConfig:
        problems: list[str] = []
        listen = environ.get("GATEWAY_LISTEN", "127.0.0.1:8090")
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit():
            problems.append(f"GATEWAY_LISTEN: expected host:port, found {listen!r}")
            port = "0"

        def secret(name: str) -> str:
            path = environ.get(name, "")
            if not path:
                problems.append(f"{name}: missing; point it at the file that holds the secret")
                return ""
            try:
                value = Path(path).read_text(encoding="utf-8").strip()
            except OSError as e:
                problems.append(f"{name}: cannot read {path!r} ({e.strerror})")
                return ""
            if not value:
                problems.append(f"{name}: {path!r} is empty")
            return value

        def number(name: str, default: float) -> float:
            text = environ.get(name, str(default))
            try:
                value = float(text)
            except ValueError:
                value = -1
            if not math.isfinite(value) or value <= 0:
                problems.append(f"{name}: expected a positive number, found {text!r}")
                return default
            return value

        minio_url = environ.get("MINIO_ENDPOINT", "http://127.0.0.1:9000").rstrip("/")
        minio = urlsplit(minio_url)
        if minio.scheme not in {"http", "https"} or not minio.netloc:
            problems.append("MINIO_ENDPOINT: expected http(s)://host:port")
        function_s3 = environ.get("FUNCTION_S3_ENDPOINT", minio_url).rstrip("/")
        parts = urlsplit(function_s3)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            problems.append(
                f"FUNCTION_S3_ENDPOINT: expected http(s)://host:port, found {function_s3!r}"
            )
        faas_cli = environ.get("FAAS_CLI", "").strip()
        if not faas_cli:
            # Resolved here, the one reader of the environment, so the child needs no PATH.
            faas_cli = shutil.which("faas-cli", path=environ.get("PATH")) or "faas-cli"
        state = Path(environ.get("GATEWAY_STATE_DIR", ""))
        if not environ.get("GATEWAY_STATE_DIR"):
            problems.append("GATEWAY_STATE_DIR: missing; the ledger lives there")
        config = cls(
            host=host,
            port=int(port),
            public_url=environ.get("GATEWAY_PUBLIC_URL", f"http://{listen}").rstrip("/"),
            state_dir=state,
            openfaas_url=environ.get("OPENFAAS_URL", "http://127.0.0.1:8080").rstrip("/"),
            openfaas_user=environ.get("OPENFAAS_USER", "admin"),
            openfaas_password=secret("OPENFAAS_PASSWORD_FILE"),
            minio_endpoint=minio.netloc,
            minio_secure=minio.scheme == "https",
            minio_access_key=secret("MINIO_ACCESS_KEY_FILE"),
            minio_secret_key=secret("MINIO_SECRET_KEY_FILE"),
            minio_target_arn=environ.get("MINIO_TARGET_ARN", "arn:minio:sqs::OSCAR:webhook"),
            webhook_token=secret("WEBHOOK_TOKEN_FILE"),
            admin_token=secret("ADMIN_TOKEN_FILE"),
            callback_key=secret("CALLBACK_KEY_FILE"),
            retry_base=number("RETRY_BASE_SECONDS", 1.0),
            retry_cap=number("RETRY_CAP_SECONDS", 60.0),
            refresh_interval=number("REFRESH_INTERVAL_SECONDS", 2.0),
            reconcile_interval=number("RECONCILE_INTERVAL_SECONDS", 60.0),
            sync_timeout=number("SYNC_TIMEOUT_SECONDS", 300.0),
            ledger_synchronous=environ.get("LEDGER_SYNCHRONOUS", "NORMAL").upper(),
            faas_cli=faas_cli,
            function_s3_endpoint=function_s3,
        )
        if problems:
            raise ConfigError(problems)
        return config
