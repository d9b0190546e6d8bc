"""faas-cli, run by the gateway: the only module that runs it.

A `Step` is one invocation and how to read its outcome; `FaasCli` executes a plan of them (made by
`gateway.services.deploy_plan`) into a faas-cli config folder of the gateway's own
(`OPENFAAS_CONFIG`), with the password on stdin: nothing secret is on a command line.

Facts about the pinned faas-cli (0.15.x, 2023-01) that shape the steps:
- `deploy --image/--name` has no memory or CPU flags, so deploys go through a stack.yml written
  into a private folder (`deploy -f`), with `--envsubst=false` (user values with `${...}` stay
  as they are) and `--read-template=false` (there is no template folder; the image has it all).
- `secret create` and `secret update` exit 0 when the gateway refuses them, so their output is
  checked; `create` of a secret that exists says so, and the step falls back to `update`.
- `--gateway` equal to faas-cli's default (http://127.0.0.1:8080) counts as "not given", so
  OPENFAAS_URL and the stack's `provider.gateway` name the same URL.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from gateway.config import GatewayConfig
from gateway.errors import FaasCliFailed, InvalidService, UpstreamError

log = logging.getLogger(__name__)
STACK_FILE = "stack.yml"
SECRET_MISSING = "unable to find secret"  # noqa: S105 - faas-cli's words, not a password
FUNCTION_MISSING = "No existing function to remove"
# faas-cli's words when the provider refused with a 4xx: a definition to fix, not an outage.
_REFUSED = re.compile(r"Unexpected status: (4\d\d), message: (.+)")


@dataclass(frozen=True)
class Step:
    """One faas-cli invocation, and how to read its outcome."""

    args: tuple[str, ...]
    stdin: str = field(default="", repr=False)
    files: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # written into its cwd
    expect: str = ""  # its output says this on success (for commands that exit 0 regardless)
    tolerate: str = ""  # a failure whose output says this is fine (removing what is gone)
    fallback: Step | None = None  # run instead when the output says `fallback_on`
    fallback_on: str = ""

    def __str__(self) -> str:
        text = "faas-cli " + shlex.join(self.args)
        if self.stdin:
            text += f" < ({len(self.stdin.encode())} bytes on stdin)"
        return text


Plan = list[Step]


class Runner(Protocol):
    def execute(self, plan: Sequence[Step]) -> None: ...


class FaasCli:
    """Runs steps: each in a private temporary folder, with an environment built here."""

    def __init__(
        self, binary: str, *, config_dir: Path, gateway: str, timeout: float = 120.0
    ) -> None:
        self._binary = binary
        self._timeout = timeout
        self._config_dir = config_dir
        self._env = {
            "OPENFAAS_CONFIG": str(config_dir),
            "OPENFAAS_URL": gateway,
            "HOME": str(config_dir),
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        }

    @classmethod
    def from_config(cls, config: GatewayConfig) -> FaasCli:
        return cls(
            config.faas_cli,
            config_dir=config.state_dir / "faas-cli",
            gateway=config.openfaas_url,
        )

    def execute(self, plan: Sequence[Step]) -> None:
        for step in plan:
            self.run(step)

    def run(self, step: Step) -> str:
        """Run one step; its output, or FaasCliFailed with the output's tail."""
        log.info("running %s", step)
        self._config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(prefix="faas-cli-") as folder:
            for name, text in step.files:
                (Path(folder) / name).write_text(text, encoding="utf-8")
            try:
                result = subprocess.run(
                    [self._binary, *step.args],
                    cwd=folder,
                    env=self._env,
                    input=step.stdin,  # always a pipe: faas-cli never waits on a terminal
                    capture_output=True,
                    text=True,
                    timeout=self._timeout,
                    check=False,
                )
            except FileNotFoundError as e:
                raise UpstreamError(
                    f"faas-cli not found at {self._binary!r}; set FAAS_CLI to its path "
                    "(`python3 tools/install.py` builds it into .tools/bin)"
                ) from e
            except subprocess.TimeoutExpired as e:
                raise FaasCliFailed(step.args, None, f"no answer within {self._timeout:g}s") from e
        output = result.stdout + result.stderr
        said = output.lower()  # faas-cli's capitals vary between versions and commands
        if step.fallback is not None and step.fallback_on and step.fallback_on.lower() in said:
            return self.run(step.fallback)
        if step.tolerate and step.tolerate.lower() in said:
            return output
        if result.returncode != 0 and (refusal := _refusal(output)) is not None:
            raise InvalidService(refusal)  # the platform did not fail: it said no, and why
        if result.returncode != 0 or (step.expect and step.expect.lower() not in said):
            raise FaasCliFailed(step.args, result.returncode, output)
        return output


def _refusal(output: str) -> str | None:
    """The provider's reason when it refused a deploy with a 4xx (an image it cannot run, a
    secret that does not exist), as faas-cli prints it: `Unexpected status: 400, message: ...`."""
    found = _REFUSED.search(output)
    if found is None:
        return None
    status, message = found.groups()
    try:
        reason = json.loads(message).get("error") or message
    except (ValueError, AttributeError):
        reason = message
    return f"OpenFaaS refused the deployment (HTTP {status}): {str(reason).strip()[:500]}"
