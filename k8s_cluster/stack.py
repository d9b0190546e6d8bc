"""The functions of a stack.yml that the builder can build: handler, image, build arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

LANG = "python-watchdog"


@dataclass(frozen=True)
class Function:
    name: str
    handler: Path
    image: str
    build_args: dict[str, str] = field(default_factory=dict)


def functions(stack_file: Path, *, only: list[str] | None = None) -> list[Function]:
    """The stack's functions (or those named in `only`); every problem reported at once."""
    document: Any = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    entries: dict[str, Any] = document.get("functions") or {}
    problems = [f"{stack_file}: no function named {n!r}" for n in only or [] if n not in entries]
    found = []
    for name, spec in entries.items():
        if only and name not in only:
            continue
        if spec.get("lang") != LANG:
            problems.append(f"{name}: lang {spec.get('lang')!r}; only {LANG!r} is built here")
            continue
        if not spec.get("handler") or not spec.get("image"):
            problems.append(f"{name}: needs both `handler` and `image`")
            continue
        handler = (stack_file.parent / spec["handler"]).resolve()
        if not handler.is_dir():
            problems.append(f"{name}: handler folder {handler} does not exist")
            continue
        args = {str(k): str(v) for k, v in (spec.get("build_args") or {}).items()}
        found.append(Function(name, handler, str(spec["image"]), args))
    if problems:
        raise ConfigError(problems)
    return found


def pushed_name(image: str, registry: str) -> str:
    """`oscar-examples/grayify:latest` as the registry at `registry` holds it."""
    first = image.split("/", 1)[0]
    has_registry = "/" in image and ("." in first or ":" in first or first == "localhost")
    path = image.split("/", 1)[1] if has_registry else image
    return f"{registry}/{path}"
