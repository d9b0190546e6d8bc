"""The provider's one configuration loader: the only reader of its environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from contract import environment as names
from contract.settings import Settings
from provider.errors import ConfigError

ISOLATION_MODES = ("auto", "namespaces", "process")
BACKENDS = ("local", "kubernetes")
UNBUILT_IMAGES = ("base", "refuse")  # run them on the base runtime (provider/runtimes.py), or not


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
    unbuilt_images: str = "base"
    log_level: str = "INFO"
    backend: str = "local"
    kubeconfig: Path | None = None  # the kubernetes backend's; None: in-cluster credentials
    max_body_bytes: int = 0  # a function call's body; 413 past it, 0: no limit

    @property
    def watchdog(self) -> Path:
        return self.tools_bin / "of-watchdog"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ProviderConfig:
        problems: list[str] = []
        read = Settings(environ, problems)
        host, port = read.listen(names.OSCAR_PROVIDER_LISTEN, "127.0.0.1:8083")
        backend = read.choice(names.OSCAR_PROVIDER_BACKEND, "local", BACKENDS)
        local = backend == "local"
        state = read.text(names.OSCAR_STATE_DIR)
        if not state and local:
            problems.append(f"{names.OSCAR_STATE_DIR}: missing; set it to the stack's state folder")
        tools = Path(read.text(names.OSCAR_TOOLS_BIN, ".tools/bin"))
        kubeconfig = read.text(names.OSCAR_KUBECONFIG)
        if kubeconfig and not Path(kubeconfig).is_file():
            problems.append(
                f"{names.OSCAR_KUBECONFIG}: no file {kubeconfig!r}; name a kubeconfig, or leave "
                "it empty to use the pod's service account"
            )
        if local and not (tools / "of-watchdog").exists():
            problems.append(
                f"{names.OSCAR_TOOLS_BIN}: no of-watchdog in {str(tools)!r}; "
                "run `python3 tools/install.py`"
            )
        config = cls(
            host=host,
            port=port,
            state_dir=Path(state),
            tools_bin=tools,
            isolation=read.choice(names.OSCAR_ISOLATION, "auto", ISOLATION_MODES),
            namespace=read.text(names.OSCAR_FUNCTION_NAMESPACE, "openfaas-fn"),
            ready_timeout=read.number(names.OSCAR_READY_TIMEOUT, 30.0),
            invoke_timeout=read.number(names.OSCAR_INVOKE_TIMEOUT, 300.0),
            forward_ports=read.ports(names.OSCAR_FORWARD_PORTS, "9000"),
            replica_pids=read.count(names.OSCAR_REPLICA_PIDS, 1024) or None,
            unbuilt_images=read.choice(names.OSCAR_UNBUILT_IMAGES, "base", UNBUILT_IMAGES),
            log_level=read.log_level(),
            backend=backend,
            kubeconfig=Path(kubeconfig) if kubeconfig else None,
            max_body_bytes=read.count(names.OSCAR_PROVIDER_MAX_BODY_BYTES, 0),
        )
        if problems:
            raise ConfigError(problems)
        return config
