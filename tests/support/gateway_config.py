"""A gateway's configuration as its deployable reads it, from an environment whose secret
files are written under a test's folder."""

from __future__ import annotations

from pathlib import Path

from gateway.config import GatewayConfig

SECRET_FILES = (
    "OPENFAAS_PASSWORD_FILE",
    "MINIO_ACCESS_KEY_FILE",
    "MINIO_SECRET_KEY_FILE",
    "WEBHOOK_TOKEN_FILE",
    "ADMIN_TOKEN_FILE",
    "CALLBACK_KEY_FILE",
)


def gateway_config(tmp_path: Path, **env: str) -> GatewayConfig:
    """`GatewayConfig.from_env` with each secret file holding `value`, the state in
    `tmp_path/state`, and `env` on top."""
    environ = {"GATEWAY_STATE_DIR": str(tmp_path / "state")}
    for name in SECRET_FILES:
        (tmp_path / name).write_text("value")
        environ[name] = str(tmp_path / name)
    return GatewayConfig.from_env({**environ, **env})
