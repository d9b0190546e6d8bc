"""A real MinIO server on a free loopback port, with its data in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from minio import Minio

from tests.support.processes import Server
from tests.support.tools import tool
from tests.support.waiting import free_port, http_ok, wait_for

ACCESS_KEY = "oscar-test-admin"
SECRET_KEY = "oscar-test-secret-key"


@dataclass
class MinioInstance:
    server: Server
    port: int
    data_dir: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> Minio:
        return Minio(f"127.0.0.1:{self.port}", ACCESS_KEY, SECRET_KEY, secure=False)

    def stop(self) -> None:
        self.server.stop()


def start_minio(workdir: Path, *, extra_env: Mapping[str, str] | None = None) -> MinioInstance:
    port, console = free_port(), free_port()
    data_dir = workdir / "minio-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "MINIO_ROOT_USER": ACCESS_KEY,
        "MINIO_ROOT_PASSWORD": SECRET_KEY,
        "MINIO_BROWSER": "off",
        "MINIO_UPDATE": "off",
        **(extra_env or {}),
    }
    server = Server(
        [
            str(tool("minio")),
            "server",
            "--quiet",
            "--address",
            f"127.0.0.1:{port}",
            "--console-address",
            f"127.0.0.1:{console}",
            str(data_dir),
        ],
        env=env,
        log=workdir / "minio.log",
    )
    instance = MinioInstance(server=server, port=port, data_dir=data_dir)
    try:
        wait_for(http_ok(f"{instance.endpoint}/minio/health/ready"), timeout=30, what="MinIO ready")
    except AssertionError:
        server.stop()
        raise AssertionError(
            f"MinIO did not start; its log:\n{server.log_text()[-2000:]}"
        ) from None
    return instance
