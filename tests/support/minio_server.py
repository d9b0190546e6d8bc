"""The tests' MinIO: the local stack's real MinIO server with throwaway credentials."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from localstack.minio_server import MinioCredentials, MinioServer
from localstack.minio_server import start_minio as start_server
from tests.support.tools import tool

ACCESS_KEY = "oscar-test-admin"
SECRET_KEY = "oscar-test-secret-key"
MinioInstance = MinioServer


def start_minio(workdir: Path, *, extra_env: Mapping[str, str] | None = None) -> MinioServer:
    return start_server(
        tool("minio"),
        workdir,
        MinioCredentials(ACCESS_KEY, SECRET_KEY),
        path=os.environ.get("PATH", "/usr/bin:/bin"),
        extra_env=extra_env,
    )
