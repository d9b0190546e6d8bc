"""`python -m engine.provider`: the faas-provider process of the local stack."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from waitress.server import create_server

from engine.errors import EngineError
from engine.images import ImageStore
from engine.provider.app import create_app
from engine.provider.config import ProviderConfig
from engine.provider.functions import FunctionManager
from engine.provider.launcher import Launcher, ProcessLauncher
from engine.provider.secrets import SecretStore

log = logging.getLogger("engine.provider")


def build_launcher(config: ProviderConfig) -> Launcher:
    if config.isolation in {"auto", "namespaces"}:
        try:
            from engine.provider.sandboxed import SandboxLauncher, isolation_problem
        except ImportError:  # sandboxes not available in this build
            problem: str | None = "the sandbox module is not available"
        else:
            problem = isolation_problem()
            if problem is None:
                return SandboxLauncher(config=config)
        if config.isolation == "namespaces":
            raise EngineError(
                f"OSCAR_ISOLATION=namespaces, but sandboxes cannot be made: {problem}"
            )
        log.warning(
            "replicas run as plain processes (degraded mode: no memory/CPU limits, no network "
            "isolation): %s",
            problem,
        )
    return ProcessLauncher(watchdog=config.watchdog, ready_timeout=config.ready_timeout)


def main() -> int:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = ProviderConfig.from_env(os.environ)
        launcher = build_launcher(config)
    except EngineError as e:
        print(e, file=sys.stderr)  # noqa: T201 - the one place a person reads it
        return 2
    secrets = SecretStore(config.state_dir / "secrets")
    functions = FunctionManager(
        state_dir=config.state_dir,
        images=ImageStore(config.state_dir / "images"),
        secrets=secrets,
        launcher=launcher,
        ready_timeout=config.ready_timeout,
    )
    stopping = threading.Event()
    app = create_app(
        config, functions=functions, secrets=secrets, isolation=launcher.mode, stopping=stopping
    )
    server = create_server(
        app,
        host=config.host,
        port=config.port,
        threads=64,
        channel_timeout=int(config.invoke_timeout) + 30,
        max_request_body_size=1 << 40,
        ident="oscar-provider",
    )

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        server.close()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    functions.start()
    log.info("provider on %s:%d, replicas as %s", config.host, config.port, launcher.mode)
    try:
        server.run()
    except OSError:
        if not stopping.is_set():
            raise
    finally:
        functions.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
