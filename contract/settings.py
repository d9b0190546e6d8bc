"""Small readers of settings that both config loaders share: each collects its problems, so a
loader reports every missing or wrong setting at once instead of the first one."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path

from contract import environment as names
from contract.errors import BadPath
from contract.paths import StoragePath

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Settings:
    """The environment of one deployable, read setting by setting; `problems` collects what is
    wrong, each as `NAME: expected ..., found ...`."""

    def __init__(self, environ: Mapping[str, str], problems: list[str]) -> None:
        self.environ = environ
        self.problems = problems

    def text(self, name: str, default: str = "") -> str:
        return self.environ.get(name, default)

    def listen(self, name: str, default: str) -> tuple[str, int]:
        """`host:port`, the port between 1 and 65535; ("", 0) after a problem."""
        text = self.environ.get(name, default)
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            self.problems.append(f"{name}: expected 'host:port', found {text!r}")
            return host, 0
        return host, int(port)

    def number(self, name: str, default: float, *, durations: bool = False) -> float:
        """A positive finite number; unset or empty gives the default. With `durations`,
        watchdog-style `30s` is read too, since users copy those from stack.yml."""
        text = self.environ.get(name, "").strip()
        if not text:
            return default
        try:
            value = float(text.removesuffix("s") if durations else text)
        except ValueError:
            value = -1.0
        if not math.isfinite(value) or value <= 0:
            self.problems.append(f"{name}: expected a positive number, found {text!r}")
            return default
        return value

    def count(self, name: str, default: int) -> int:
        """A whole number of at least zero; unset or empty gives the default."""
        text = self.environ.get(name, "").strip()
        if not text:
            return default
        if not text.isdigit():
            self.problems.append(f"{name}: expected a whole number (0 or more), found {text!r}")
            return default
        return int(text)

    def ports(self, name: str, default: str) -> list[int]:
        """A comma-separated list of ports, each between 1 and 65535."""
        text = self.environ.get(name, default)
        ports = [part.strip() for part in text.split(",") if part.strip()]
        if not all(p.isdigit() and 0 < int(p) < 65536 for p in ports):
            self.problems.append(f"{name}: expected ports like 9000,8090, found {text!r}")
            return []
        return [int(p) for p in ports]

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        text = self.environ.get(name, default)
        if text not in choices:
            self.problems.append(f"{name}: expected one of {', '.join(choices)}, found {text!r}")
            return default
        return text

    def flag(self, name: str, *, default: bool) -> bool:
        text = self.environ.get(name)
        if text is None:
            return default
        if text.strip().lower() in _TRUE:
            return True
        if text.strip().lower() in _FALSE:
            return False
        self.problems.append(f"{name}: expected true or false, found {text!r}")
        return default

    def storage_path(self, name: str) -> StoragePath | None:
        text = self.environ.get(name, "").strip()
        if not text:
            return None
        try:
            return StoragePath.parse(text)
        except BadPath as e:
            self.problems.append(f"{name}: {e.reason}")
            return None

    def secret_file(self, name: str) -> str:
        """The secret in the file that setting `name` points at (required, non-empty)."""
        path = self.environ.get(name, "")
        if not path:
            self.problems.append(f"{name}: missing; point it at the file that holds the secret")
            return ""
        try:
            value = read_secret(Path(path))
        except OSError as e:
            self.problems.append(f"{name}: cannot read {path!r} ({e.strerror})")
            return ""
        if not value:
            self.problems.append(f"{name}: {path!r} is empty")
        return value

    def log_level(self, default: str = "INFO") -> str:
        """LOG_LEVEL as `logging` names it (any case in the environment)."""
        text = self.environ.get(names.LOG_LEVEL, "").strip()
        level = text.upper() or default
        if level == "WARN":
            level = "WARNING"
        if level not in LOG_LEVELS or not isinstance(logging.getLevelName(level), int):
            self.problems.append(
                f"{names.LOG_LEVEL}: expected one of {', '.join(LOG_LEVELS)}, found {text!r}"
            )
            return default
        return level


def read_secret(path: Path) -> str:
    """A secret file's value without the newline editors and `echo` add."""
    return path.read_text(encoding="utf-8").strip()
