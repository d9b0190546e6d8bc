"""The provider's one configuration loader."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from provider.errors import ConfigError

ISOLATION_MODES = ("auto", "namespaces", "process")


@dataclass(frozen=True)
class ProviderConfig:
    host: str
    port: int
    state_dir: Path
    tools_bin: Path
    isolation: str
    namespace: str
    ready_timeout: float
    invoke_timeout: float
    forward_ports: list[int]
    replica_pids: int | None = 1024  # processes and threads per replica; None: no limit
    log_level: str = "INFO"

    @property
    def watchdog(self) -> Path:
        return self.tools_bin / "of-watchdog"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ProviderConfig:
        problems: list[str] = []
        listen = environ.get("OSCAR_PROVIDER_LISTEN", "127.0.0.1:8083")
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit():
            problems.append(f"OSCAR_PROVIDER_LISTEN: expected host:port, found {listen!r}")
            port = "0"
        state = environ.get("OSCAR_STATE_DIR", "")
        if not state:
            problems.append("OSCAR_STATE_DIR: missing; set it to the stack's state folder")
        tools = Path(environ.get("OSCAR_TOOLS_BIN", ".tools/bin"))
        if not (tools / "of-watchdog").exists():
            problems.append(
                f"OSCAR_TOOLS_BIN: no of-watchdog in {str(tools)!r}; run `python3 tools/install.py`"
            )
        isolation = environ.get("OSCAR_ISOLATION", "auto")
        if isolation not in ISOLATION_MODES:
            problems.append(
                f"OSCAR_ISOLATION: expected one of {ISOLATION_MODES}, found {isolation!r}"
            )
        timeouts: dict[str, float] = {}
        for name, default in (("OSCAR_READY_TIMEOUT", 30.0), ("OSCAR_INVOKE_TIMEOUT", 300.0)):
            try:
                timeouts[name] = float(environ.get(name, default))
            except ValueError:
                problems.append(f"{name}: expected seconds, found {environ[name]!r}")
                timeouts[name] = default
        forward = environ.get("OSCAR_FORWARD_PORTS", "9000")
        ports = [p.strip() for p in forward.split(",") if p.strip()]
        if not all(p.isdigit() and 0 < int(p) < 65536 for p in ports):
            problems.append(f"OSCAR_FORWARD_PORTS: expected ports like 9000,8090; got {forward!r}")
        pids = environ.get("OSCAR_REPLICA_PIDS", "1024")
        if not pids.isdigit():
            problems.append(f"OSCAR_REPLICA_PIDS: expected a number (0: no limit), got {pids!r}")
            pids = "0"
        level = environ.get("LOG_LEVEL", "INFO").upper()
        if not isinstance(logging.getLevelName(level), int):
            problems.append(f"LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, found {level!r}")
        if problems:
            raise ConfigError(problems)
        return cls(
            host=host,
            port=int(port),
            state_dir=Path(state),
            tools_bin=tools,
            isolation=isolation,
            namespace=environ.get("OSCAR_FUNCTION_NAMESPACE", "openfaas-fn"),
            ready_timeout=timeouts["OSCAR_READY_TIMEOUT"],
            invoke_timeout=timeouts["OSCAR_INVOKE_TIMEOUT"],
            forward_ports=[int(p) for p in ports],
            replica_pids=int(pids) or None,
            log_level=level,
        )
