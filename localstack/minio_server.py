"""A real MinIO server for the local stack (and the tests), on loopback, with webhook targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from minio import Minio

from provider.ports import free_port
from provider.processes import ServerProcess, http_ok


@dataclass(frozen=True)
class MinioCredentials:
    access_key: str
    secret_key: str


@dataclass
class MinioServer:
    process: ServerProcess
    port: int
    credentials: MinioCredentials

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> Minio:
        return Minio(
            f"127.0.0.1:{self.port}",
            self.credentials.access_key,
            self.credentials.secret_key,
            secure=False,
        )

    def stop(self) -> None:
        self.process.stop()


def webhook_env(
    target: str, endpoint: str, *, queue_dir: Path | None, token: str = ""
) -> dict[str, str]:
    """MinIO settings for one webhook target (`arn:minio:sqs::<TARGET>:webhook`).

    With a queue folder, MinIO keeps events on disk while the endpoint is down and replays them,
    but sends them from a 3 s ticker; without one, it sends each event as it happens.
    """
    env = {
        f"MINIO_NOTIFY_WEBHOOK_ENABLE_{target}": "on",
        f"MINIO_NOTIFY_WEBHOOK_ENDPOINT_{target}": endpoint,
    }
    if queue_dir is not None:
        env[f"MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_{target}"] = str(queue_dir)
    if token:
        env[f"MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_{target}"] = token
    return env


def start_minio(
    binary: Path,
    state_dir: Path,
    credentials: MinioCredentials,
    *,
    path: str,
    port: int | None = None,
    extra_env: Mapping[str, str] | None = None,
    ready_timeout: float = 30.0,
) -> MinioServer:
    """A MinIO on loopback serving `state_dir/data`, ready; `path` is the PATH it runs with."""
    port = port or free_port()
    data_dir = state_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": path,
        "HOME": str(state_dir),
        "MINIO_ROOT_USER": credentials.access_key,
        "MINIO_ROOT_PASSWORD": credentials.secret_key,
        "MINIO_BROWSER": "off",
        "MINIO_UPDATE": "off",
        **(extra_env or {}),
    }
    process = ServerProcess(
        "minio",
        [
            str(binary),
            "server",
            "--quiet",
            "--address",
            f"127.0.0.1:{port}",
            "--console-address",
            f"127.0.0.1:{free_port()}",
            str(data_dir),
        ],
        env=env,
        log=state_dir / "minio.log",
    )
    server = MinioServer(process=process, port=port, credentials=credentials)
    process.wait_until(
        http_ok(f"{server.endpoint}/minio/health/ready"), timeout=ready_timeout, what="ready"
    )
    return server
