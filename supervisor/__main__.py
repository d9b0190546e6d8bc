"""Entry point: `python -m supervisor`, the fprocess that of-watchdog starts once per replica."""

from __future__ import annotations

import logging
import os
import sys

import waitress
from pythonjsonlogger.json import JsonFormatter

from contract.naming import LOG_FIELD_NAMES, LOG_FORMAT
from supervisor.app import create_app
from supervisor.config import SupervisorConfig
from supervisor.errors import ConfigError
from supervisor.job import Runner
from supervisor.oneshot import run_once
from supervisor.results import ResultBook
from supervisor.storage import MinioStorage

# waitress refuses bodies over 1 GiB by default; inputs are files and may be far larger.
MAX_BODY_BYTES = 1 << 40


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
    waitress.serve(
        app,
        host=config.listen_host,
        port=config.listen_port,
        threads=config.threads,
        max_request_body_size=MAX_BODY_BYTES,
        channel_timeout=max(120, int(config.script_timeout) + 30),
        ident="oscar-supervisor",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
