"""Read what a template's Dockerfile says about its final stage: env, workdir, user, copies.

The local engine runs a build context without Docker, so it takes the watchdog settings from the
same file Docker would use. Only the instructions it needs are understood; `ARG` defaults are
substituted into `ENV` values the way Docker does for `${NAME}` and `$NAME`.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


@dataclass
class Stage:
    base: str = ""
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user: str = "root"
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


def parse_dockerfile(path: Path) -> Stage:
    """The final stage of the Dockerfile at `path`."""
    args: dict[str, str] = {}
    stage = Stage()
    for instruction, rest in _instructions(path.read_text(encoding="utf-8")):
        if instruction == "ARG":
            name, _, default = rest.partition("=")
            args.setdefault(name.strip(), default.strip().strip('"'))
        elif instruction == "FROM":
            stage = Stage(base=next(t for t in rest.split() if not t.startswith("--")))
        elif instruction == "ENV":
            for name, value in _env_pairs(rest):
                stage.env[name] = _expand(value, {**args, **stage.env})
        elif instruction == "WORKDIR":
            stage.workdir = str(Path(stage.workdir) / _expand(rest.strip(), {**args, **stage.env}))
        elif instruction == "USER":
            stage.user = rest.strip()
        elif instruction == "COPY" and "--from=" not in rest:
            paths = _without_flags(rest)
            parts = json.loads(paths) if paths.startswith("[") else shlex.split(paths)
            stage.copies.append(([str(p) for p in parts[:-1]], str(parts[-1])))
        elif instruction == "CMD":
            stage.cmd = json.loads(rest) if rest.lstrip().startswith("[") else ["sh", "-c", rest]
    return stage


def _instructions(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    logical = ""
    for line in text.splitlines():
        stripped = line.strip()
        # Comment lines are dropped, also inside a continuation, as Docker does.
        if stripped.startswith("#") or (not logical and not stripped):
            continue
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        word, _, rest = logical.partition(" ")
        found.append((word.upper(), rest.strip()))
        logical = ""
    return found


def _without_flags(rest: str) -> str:
    """`--chown=a --link src dst` -> `src dst`."""
    remaining = rest.strip()
    while remaining.startswith("--"):
        remaining = remaining.partition(" ")[2].strip()
    return remaining


def _env_pairs(rest: str) -> list[tuple[str, str]]:
    tokens = shlex.split(rest)
    if tokens and "=" not in tokens[0]:  # legacy form: ENV name value
        return [(tokens[0], " ".join(tokens[1:]))]
    return [(name, value) for name, _, value in (t.partition("=") for t in tokens)]


def _expand(value: str, known: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        return known.get(name) or (match.group(2) or "")

    return _VARIABLE.sub(replace, value)
