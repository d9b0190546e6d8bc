"""What can go wrong bringing the one-node cluster up or down; each message names the fix."""

from __future__ import annotations


class ClusterError(Exception):
    """Base class: the entry point maps it to exit code 1 and prints the message."""


class ConfigError(ClusterError):
    """Settings are missing or wrong; all problems are reported at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class ToolMissing(ClusterError):
    def __init__(self, missing: list[str], tools_dir: str) -> None:
        super().__init__(
            f"missing in {tools_dir}: {', '.join(missing)}; build them with "
            "`python tools/install.py --group k8s` (a cold build takes several minutes)"
        )
        self.missing = missing


class StepFailed(ClusterError):
    def __init__(self, command: list[str], returncode: int, output: str) -> None:
        tail = "\n".join(output.strip().splitlines()[-8:])
        super().__init__(f"`{' '.join(command)}` exited {returncode}:\n{tail}")
        self.command = command
        self.returncode = returncode


class NotReady(ClusterError):
    """A component did not become ready before its deadline."""

    def __init__(self, what: str, seconds: float, log: str, last: str = "") -> None:
        super().__init__(
            f"{what} was not ready after {seconds:.0f} s"
            + (f" (last: {last[:300]})" if last else "")
            + f"; see its log {log}"
        )
        self.what = what
        self.log = log
