"""faas-cli, run as a subprocess: the only module that runs it.

Its environment is the caller's unless one is given, because `stack.yml` may substitute the
user's variables (`${TAG:-latest}`) and faas-cli keeps its login under `OPENFAAS_CONFIG`/HOME.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from localstack.errors import FaasCliFailed, FaasCliMissing


@dataclass(frozen=True)
class FaasCli:
    binary: Path
    env: Mapping[str, str] | None = None

    def run(self, *args: str, cwd: Path | None = None, stdin: str | None = None) -> str:
        """Run `faas-cli ARGS`; its standard output, or FaasCliFailed with its output's tail."""
        if not self.binary.exists():
            raise FaasCliMissing(
                f"faas-cli not found at {self.binary}; build it with `python3 tools/install.py`"
            )
        result = subprocess.run(
            [str(self.binary), *args],
            cwd=cwd,
            env=None if self.env is None else dict(self.env),
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise FaasCliFailed(args, result.returncode, result.stdout + result.stderr)
        return result.stdout

    def functions(self, stack_file: Path, *, filter_: str | None = None) -> dict[str, str]:
        """Function name -> image, as faas-cli reads the stack file (variables substituted)."""
        args = ["generate", "-f", stack_file.name, *(["--filter", filter_] if filter_ else [])]
        found: dict[str, str] = {}
        for document in yaml.safe_load_all(self.run(*args, cwd=stack_file.parent)):
            if isinstance(document, dict) and document.get("kind") == "Function":
                spec = document["spec"]
                found[str(spec["name"])] = str(spec["image"])
        return found

    def login(self, gateway: str, *, username: str, password: str) -> None:
        self.run(
            "login", "--gateway", gateway, "--username", username, "--password-stdin",
            stdin=password,
        )  # fmt: skip

    def list_functions(self, gateway: str) -> list[str]:
        output = self.run("list", "--gateway", gateway, "--quiet")
        return [line.strip() for line in output.splitlines() if line.strip()]


def shrinkwrap_args(stack_file: Path, *, filter_: str | None = None) -> list[str]:
    return [
        "build",
        "--shrinkwrap",
        "-f",
        stack_file.name,
        *(["--filter", filter_] if filter_ else []),
    ]
