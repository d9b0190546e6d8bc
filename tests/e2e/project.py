"""The repository's stack.yml and examples/, as a user deploys them on the test stack.

The project is copied into the stack's own folder, so `oscar build` writes its `build/` there
and not into the working tree. The one difference from the README's commands: stack.yml says
`S3_ENDPOINT: http://127.0.0.1:9000` (`oscar up`'s default) and the test stack's MinIO runs on a
free port, so deploys override it with faas-cli's own `--env`, as a user whose MinIO is elsewhere
would.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.stack import RunningStack, oscar
from tests.support.tools import ROOT
from tests.support.waiting import wait_for


def cli(stack: RunningStack, *args: str) -> str:
    """`oscar ARGS` against the test stack; its stdout, after checking it succeeded cleanly."""
    result = oscar(stack.env, *args)
    assert result.returncode == 0, f"oscar {' '.join(args)}:\n{result.stdout}{result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stdout


def object_exists(stack: RunningStack, bucket: str, key: str) -> bool:
    return any(o.object_name == key for o in stack.minio.list_objects(bucket, prefix=key))


@dataclass(frozen=True)
class ExamplesProject:
    stack: RunningStack
    folder: Path  # stack.yml, examples/ and (linked by `oscar build`) template/

    @classmethod
    def build(cls, stack: RunningStack) -> ExamplesProject:
        """Copy the project, then `oscar build -f stack.yml`: every example becomes an image."""
        folder = stack.root / "examples-project"
        folder.mkdir()
        shutil.copy2(ROOT / "stack.yml", folder / "stack.yml")
        shutil.copytree(
            ROOT / "examples",
            folder / "examples",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        result = oscar(stack.env, "build", "-f", str(folder / "stack.yml"))
        assert result.returncode == 0, result.stdout + result.stderr
        return cls(stack, folder)

    def example(self, *parts: str) -> Path:
        return self.folder.joinpath("examples", *parts)

    def deploy(self, name: str) -> None:
        """`faas-cli deploy -f stack.yml --filter NAME`; returns once the function is ready and
        the gateway has made it a service (its buckets and bucket notifications are in place)."""
        self.stack.faas_cli.run(
            "deploy",
            "-f",
            "stack.yml",
            "--filter",
            name,
            "--gateway",
            self.stack.openfaas_url,
            "--env",
            f"S3_ENDPOINT={self.stack.minio_url}",
            cwd=self.folder,
        )
        self.stack.wait_available(name, 1, timeout=60)
        wait_for(lambda: self.service(name), timeout=30, what=f"the gateway to list {name}")

    def service(self, name: str) -> dict[str, Any] | None:
        """The gateway's listing of NAME. Listing refreshes the gateway's services first, and
        answers after their buckets and notification rules have been applied."""
        answer = self.stack.gateway.get(f"{self.stack.gateway_url}/system/services", timeout=10)
        answer.raise_for_status()
        services: list[dict[str, Any]] = answer.json()
        return next((s for s in services if s["name"] == name), None)

    def succeeded_jobs(self, name: str) -> list[dict[str, Any]]:
        answer = self.stack.gateway.get(
            f"{self.stack.gateway_url}/system/jobs/{name}",
            params={"status": "succeeded", "limit": "1000"},
            timeout=10,
        )
        answer.raise_for_status()
        jobs: list[dict[str, Any]] = answer.json()["jobs"]
        return jobs
