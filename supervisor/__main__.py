"""Entry point: `python -m supervisor`, the fprocess that of-watchdog starts once per replica."""

from __future__ import annotations

import logging
import os
import sys

from cheroot import wsgi
from pythonjsonlogger.json import JsonFormatter

from contract.naming import LOG_FIELD_NAMES, LOG_FORMAT
from supervisor.app import create_app
from supervisor.config import SupervisorConfig
from supervisor.errors import ConfigError
from supervisor.job import Runner
from supervisor.oneshot import run_once
from supervisor.results import ResultBook
from supervisor.storage import MinioStorage

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
    storage = MinioStorage(config.storage, pool_size=config.threads) if config.storage else None
    results = ResultBook(storage) if storage else None  # recorded where each job says
    runner = Runner(config=config, storage=storage, results=results)
    if config.oneshot_event:  # a Kubernetes Job's pod: this one event, then exit
        return run_once(runner, config.oneshot_event, result_file=config.result_file)
    app = create_app(config, runner=runner)
    logging.getLogger(__name__).info(
        "supervisor listening on %s:%d, script %s, storage %s",
        config.listen_host,
        config.listen_port,
        " ".join(config.script),
        config.storage.endpoint if config.storage else "not configured (sync only)",
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
