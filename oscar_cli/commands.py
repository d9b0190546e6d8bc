"""The `oscar` group: its options, its help (with the exit codes), and every command's module."""

from __future__ import annotations

from pathlib import Path

import click

from oscar_cli import (
    commands_cluster,
    commands_credentials,
    commands_jobs,
    commands_run,
    commands_services,
    commands_stack,
    commands_storage,
)
from oscar_cli.errors import OscarGroup
from oscar_cli.session import Session


@click.group(cls=OscarGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding the stack's data, logs and credentials "
    "[env OSCAR_STATE_DIR; /var/lib/oscar as root, else ~/.oscar]",
)
@click.option(
    "--cluster",
    "cluster",
    metavar="NAME",
    help="Work against this cluster's gateway (`oscar cluster list`; `local`: this machine's "
    "stack) [env OSCAR_CLUSTER; default: `oscar cluster default`, else local]",
)
@click.pass_context
def cli(ctx: click.Context, state_dir: Path | None, cluster: str | None) -> None:
    """Serverless file processing on OpenFaaS: the local stack, services, files and jobs.

    \b
    Exit codes:
      0  ok
      1  failure (a component, a script, the network)
      2  bad usage or input (an option, a missing file, a malformed FDL)
      3  the stack (or the cluster's gateway) is not running or unreachable
      4  not found (a service, a job, a bucket or key)
      5  credentials refused (the stack's credentials.json, or the cluster's login)
    """
    overlay = {"OSCAR_STATE_DIR": str(state_dir)} if state_dir else {}
    ctx.obj = Session(overlay, cluster=cluster)


for _module in (
    commands_stack,
    commands_services,
    commands_run,
    commands_storage,
    commands_jobs,
    commands_credentials,
    commands_cluster,
):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
