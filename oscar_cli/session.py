"""What the group's options hand to every command: settings, consoles, the running stack."""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console

from localstack import stack
from localstack.config import SETTINGS, StackConfig, StackSecrets
from oscar_cli.client import Gateway
from oscar_cli.endpoints import Endpoints
from oscar_cli.errors import StackDown
from oscar_cli.render import ConsoleProgress, status_document
from oscar_cli.storage import Storage


class Session:
    def __init__(self, overlay: dict[str, str]) -> None:
        self.overlay = overlay
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.progress = ConsoleProgress(self.out, self.err)

    def config(self, **flags: str | None) -> StackConfig:
        by_field = {s.field: s.env for s in SETTINGS}
        overlay = {by_field[f]: v for f, v in flags.items() if v is not None}
        return StackConfig.from_env({**os.environ, **self.overlay, **overlay})

    def status(self) -> dict[str, Any]:
        """The running stack's status document (`oscar status --json`), or StackDown."""
        config = self.config()
        state = stack.load_state(config)
        if state is None:
            raise StackDown(
                f"the stack is not running (nothing recorded in {config.state_dir}); start it "
                "with `oscar up`, or pass the --state-dir it was started with"
            )
        return status_document(config, state, StackSecrets.load(config.credentials_file))

    def endpoints(self) -> Endpoints:
        return Endpoints.from_status(self.status())

    def gateway(self) -> Gateway:
        return Gateway(self.endpoints())

    def storage(self) -> Storage:
        return Storage(self.endpoints())
