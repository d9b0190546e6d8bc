"""What the group's options hand to every command: settings, consoles, the gateway to talk to.

The gateway is a named cluster's (`--cluster NAME`, `OSCAR_CLUSTER`, else the default set by
`oscar cluster default`), or the local stack's (`--cluster local`, or no cluster at all).
"""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console

from localstack import stack
from localstack.config import SETTINGS, StackConfig, StackSecrets
from oscar_cli.client import Gateway
from oscar_cli.endpoints import Endpoints
from oscar_cli.errors import StackDown
from oscar_cli.profiles import LOCAL, Profiles, config_path
from oscar_cli.render import ConsoleProgress, status_document
from oscar_cli.storage import Storage


class Session:
    def __init__(self, overlay: dict[str, str], *, cluster: str | None = None) -> None:
        self.overlay = overlay
        self.cluster = cluster  # None: OSCAR_CLUSTER, else the default cluster, else local
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
                "with `oscar up`, pass the --state-dir it was started with, or name a remote "
                "gateway with --cluster (`oscar cluster list`)"
            )
        return status_document(config, state, StackSecrets.load(config.credentials_file))

    def profiles(self) -> Profiles:
        return Profiles(config_path(os.environ))

    def endpoints(self) -> Endpoints:
        profiles = self.profiles() if self.cluster != LOCAL else None
        chosen = self.cluster or os.environ.get("OSCAR_CLUSTER") or None
        if profiles is not None and chosen != LOCAL and (chosen or profiles.default):
            profile = profiles.get(chosen or str(profiles.default))
            return Endpoints.from_profile(profile, where=str(profiles.path))
        return Endpoints.from_status(self.status())

    def gateway(self) -> Gateway:
        return Gateway(self.endpoints())

    def storage(self) -> Storage:
        endpoints = self.endpoints()
        if endpoints.cluster:  # a cluster's MinIO, as its gateway tells OSCAR's clients
            endpoints = endpoints.with_storage(Gateway(endpoints).cluster_config())
        return Storage(endpoints)
