"""Entry point: `python -m supervisor`, the fprocess that of-watchdog starts once per replica."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import waitress
from pythonjsonlogger.json import JsonFormatter

from contract.naming import LOG_FIELD_NAMES, LOG_FORMAT
from supervisor.app import create_app
from supervisor.classic import ClassicApp
from supervisor.config import SupervisorConfig
from supervisor.errors import ConfigError
from supervisor.job import Runner
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
    clients = {
        side: MinioStorage(store, pool_size=config.threads) if store else None
        for side, store in (("in", config.input_storage), ("out", config.output_storage))
    }
    if config.output_storage == config.input_storage:
        clients["out"] = clients["in"]  # one endpoint: one connection pool
    runner = Runner(config=config, storage=clients["in"], output_storage=clients["out"])
    app: Any = create_app(config, runner=runner)
    if config.classic_fprocess:  # an OpenFaaS classic-watchdog function: no script, no storage
        app = ClassicApp(
            config.classic_fprocess, env=config.script_env, timeout=config.script_timeout
        )
    logging.getLogger(__name__).info(
        "supervisor listening on %s:%d, script %s, inputs from %s, outputs to %s",
        config.listen_host,
        config.listen_port,
        " ".join(config.script),
        *(s.endpoint if s else "nowhere" for s in (config.input_storage, config.output_storage)),
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
