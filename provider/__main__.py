"""`python -m provider`: the faas-provider process of the local stack."""

from __future__ import annotations

import logging
import os
import sys
import threading

from provider.backend import Functions, LogSource, Secrets
from provider.config import ProviderConfig
from provider.errors import ProviderError
from provider.functions import FunctionManager, LiveSecrets
from provider.http.app import create_app
from provider.http.logs import file_logs
from provider.images import ImageStore
from provider.launcher import Launcher
from provider.runtimes import Runtimes
from provider.sandbox.process_launcher import ProcessLauncher
from provider.secrets import SecretStore
from wsgi_relay.server import Limits, StreamingServer
from wsgi_relay.serving import serve_until_signalled

log = logging.getLogger("provider")


def build_launcher(config: ProviderConfig) -> Launcher:
    if config.isolation in {"auto", "namespaces"}:
        try:
            from provider.sandbox.hosttools import isolation_support
            from provider.sandbox.sandbox_launcher import SandboxLauncher
        except ImportError:  # sandboxes not available in this build
            problem: str | None = "the sandbox module is not available"
        else:
            problem = isolation_support()
            if problem is None:
                return SandboxLauncher(config=config)
        if config.isolation == "namespaces":
            raise ProviderError(
                f"OSCAR_ISOLATION=namespaces, but sandboxes cannot be made: {problem}"
            )
        log.warning(
            "replicas run as plain processes (degraded mode: no memory/CPU limits, no network "
            "isolation): %s",
            problem,
        )
    return ProcessLauncher(watchdog=config.watchdog, ready_timeout=config.ready_timeout)


def build_local(config: ProviderConfig) -> tuple[Functions, Secrets, LogSource, str]:
    launcher = build_launcher(config)
    secrets = SecretStore(config.state_dir / "secrets")
    functions = FunctionManager(
        state_dir=config.state_dir,
        images=Runtimes(
            ImageStore(config.state_dir / "images"), allow_base=config.unbuilt_images == "base"
        ),
        secrets=secrets,
        launcher=launcher,
        ready_timeout=config.ready_timeout,
    )
    live = LiveSecrets(secrets, functions)
    return functions, live, file_logs(functions.log_files), launcher.mode


def build_kubernetes(config: ProviderConfig) -> tuple[Functions, Secrets, LogSource, str]:
    from provider.kubernetes import KubeApi, KubeFunctions, KubeSecrets, PodLogs

    api = KubeApi.connect(kubeconfig=config.kubeconfig, namespace=config.namespace)
    secrets = KubeSecrets(api)
    functions = KubeFunctions(api=api, secrets=secrets, ready_timeout=config.ready_timeout)
    return functions, secrets, PodLogs(functions), "kubernetes"


def main() -> int:
    try:
        config = ProviderConfig.from_env(os.environ)
        logging.basicConfig(
            level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        build = build_kubernetes if config.backend == "kubernetes" else build_local
        functions, secrets, logs, mode = build(config)
    except ProviderError as e:
        print(e, file=sys.stderr)  # noqa: T201 - the one place a person reads it
        return 2
    stopping = threading.Event()
    app = create_app(
        config, functions=functions, secrets=secrets, logs=logs, isolation=mode, stopping=stopping
    )
    server = StreamingServer(
        app,
        host=config.host,
        port=config.port,
        ident="oscar-provider",
        limits=Limits(threads=64, io_seconds=config.invoke_timeout + 30),
    )
    try:
        functions.start()
    except ProviderError as e:
        server.close()
        print(e, file=sys.stderr)  # noqa: T201 - the one place a person reads it
        return 2
    log.info("provider on %s:%d, replicas as %s", config.host, config.port, mode)
    try:
        serve_until_signalled(server, stopping=stopping)
    finally:
        functions.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
