"""The local stack's errors: a base class and the kinds the CLI maps to exit codes.

The message says what was expected, what was found, and how to fix it; `oscar_cli.errors` turns
them into one line and an exit code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class LocalStackError(Exception):
    """Base class of every error the local stack raises on purpose."""


class StackConfigError(LocalStackError):
    """The stack's settings are wrong; every problem found is listed, not just the first."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the stack is misconfigured:\n  - " + "\n  - ".join(problems))
        self.problems = problems


class StackNotRunning(LocalStackError):
    pass


class StackBusy(LocalStackError):
    """Another command holds the state folder's lock."""


class StateDamaged(LocalStackError):
    """`stack.json` cannot be read back."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"{path} is damaged ({problem}); stop the processes it lists by hand, then remove it"
        )
        self.path = path


class PortInUse(LocalStackError):
    def __init__(self, message: str, *, port: int) -> None:
        super().__init__(message)
        self.port = port


class ToolsMissing(LocalStackError):
    def __init__(self, message: str, *, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


class ComponentFailed(LocalStackError):
    """A component exited or did not become ready in time; its log says why."""

    def __init__(self, component: str, reason: str, log: Path) -> None:
        super().__init__(f"{component} {reason}; see its log: {log}")
        self.component = component
        self.log = log


class BuildFailed(LocalStackError):
    """`oscar build` has nothing to build: no stack file, or no functions in it."""


class DockerfileRefused(LocalStackError):
    """A `lang: dockerfile` function's Dockerfile does what the local engine cannot do without
    Docker; every such line is listed, each with what to change."""

    def __init__(self, handler: Path, problems: list[str]) -> None:
        super().__init__(
            f"{handler}/Dockerfile cannot be built without Docker:\n  - " + "\n  - ".join(problems)
        )
        self.problems = problems


class FaasCliMissing(LocalStackError):
    """The faas-cli binary is not where the settings say."""


class FaasCliFailed(LocalStackError):
    def __init__(self, args: Sequence[str], returncode: int, output: str) -> None:
        tail = "\n".join(output.strip().splitlines()[-12:])
        super().__init__(f"`faas-cli {' '.join(args)}` failed (exit {returncode}):\n{tail}")
        self.returncode = returncode
        self.output = output


class PurgeRefused(LocalStackError):
    """`oscar down --purge` was pointed at a folder that `oscar up` did not create."""
