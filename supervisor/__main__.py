"""Entry point: `python -m supervisor`, the fprocess that of-watchdog starts once per replica."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from cheroot import wsgi
from pythonjsonlogger.json import JsonFormatter

from contract.naming import LOG_FIELD_NAMES, LOG_FORMAT
from supervisor.app import create_app
from supervisor.classic import WATCHDOG_FORMAT, ClassicApp
from supervisor.config import SupervisorConfig
from supervisor.errors import ConfigError
from supervisor.job import Runner
from supervisor.oneshot import run_once
from supervisor.results import ResultBook
from supervisor.storage import open_storage

# cheroot hands the body to the app as it arrives (waitress read it whole first, spooling all
# past 1 MiB to temporary files); the only limit is SUPERVISOR_MAX_BODY_BYTES, in the app.
MAX_HEADER_BYTES = 64 * 1024


def main() -> int:
    try:
        config = SupervisorConfig.from_env(os.environ)
    except ConfigError as e:
        print(e.message, file=sys.stderr)
        return 2
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(LOG_FORMAT, style="{", rename_fields=LOG_FIELD_NAMES))
    logging.basicConfig(level=config.log_level, handlers=[handler])
    clients = {
        side: open_storage(store, pool_size=config.threads) if store else None
        for side, store in (("in", config.input_storage), ("out", config.output_storage))
    }
    if config.output_storage == config.input_storage:
        clients["out"] = clients["in"]  # one endpoint: one connection pool
    platform = clients["in"] if config.input_storage == config.storage else None
    if platform is None and config.storage is not None:  # inputs come from another endpoint
        platform = open_storage(config.storage, pool_size=config.threads)
    # Result records go to the platform's MinIO (its results bucket), whatever the inputs are on.
    results = ResultBook(platform) if platform else None
    runner = Runner(
        config=config, storage=clients["in"], output_storage=clients["out"], results=results
    )
    if config.oneshot_event:  # a Kubernetes Job's pod: this one event, then exit
        return run_once(runner, config.oneshot_event, result_file=config.result_file)
    app: Any = create_app(config, runner=runner)
    if config.classic_fprocess:  # an OpenFaaS classic-watchdog function: no script, no storage
        app = ClassicApp(
            config.classic_fprocess,
            env=config.script_env,
            timeout=config.script_timeout,
            cwd=config.classic_workdir,
        )
        plain = logging.StreamHandler(sys.stderr)  # the classic watchdog's lines, as it writes
        plain.setFormatter(logging.Formatter(*WATCHDOG_FORMAT))
        watchdog_log = logging.getLogger(ClassicApp.__module__)
        watchdog_log.addHandler(plain)
        watchdog_log.propagate = False
    logging.getLogger(__name__).info(
        "supervisor listening on %s:%d, script %s, inputs from %s, outputs to %s",
        config.listen_host,
        config.listen_port,
        " ".join(config.script),
        *(s.endpoint if s else "nowhere" for s in (config.input_storage, config.output_storage)),
    )
    server = wsgi.Server(
        (config.listen_host, config.listen_port),
        app,
        numthreads=config.threads,
        server_name="oscar-supervisor",
        request_queue_size=128,
        timeout=max(120, int(config.script_timeout) + 30),
    )
    server.max_request_header_size = MAX_HEADER_BYTES
    server.keep_alive_conn_limit = 1024
    server.safe_start()  # until SIGTERM (the watchdog's) ends the process, or Ctrl-C
    return 0


if __name__ == "__main__":
    sys.exit(main())
