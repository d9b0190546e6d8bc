"""`oscar up`, `down`, `status` and `build`: thin over `localstack.stack` and `localstack.build`.

Flags override the environment variables of the same settings (see `localstack.config`), so
both are parsed and checked in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.markup import escape

from localstack import stack
from localstack.build import execute_build, plan_build
from localstack.config import SETTINGS, StackSecrets
from localstack.errors import StackNotRunning
from localstack.faascli import FaasCli
from oscar_cli.errors import FAILED
from oscar_cli.render import plan_lines, status_document, status_table, summary
from oscar_cli.session import Session

F = TypeVar("F", bound=Callable[..., Any])
# What a setting without a default text falls back to, in words.
UNSET_DEFAULTS = {
    "ack_wait": "function timeout + 30s",
    "ledger": "SQLite in the state folder",
    "forward_ports": "only MinIO's",
}


def setting_options(command: F) -> F:
    """One option per stack setting, named as in SETTINGS; unset ones fall back to the env."""
    for setting in reversed(SETTINGS):
        default = setting.default or UNSET_DEFAULTS[setting.field]
        command = click.option(
            setting.flag,
            setting.field,
            default=None,
            metavar="VALUE",
            help=f"[env {setting.env}; default {default}]",
        )(command)
    return command


@click.command(short_help="Start the local stack (MinIO, OpenFaaS, the gateway).")
@setting_options
@click.option("--dry-run", is_flag=True, help="Print what would start, and start nothing.")
@click.pass_obj
def up(session: Session, /, dry_run: bool, **flags: str | None) -> None:
    """Start MinIO, NATS Streaming, the provider, the OpenFaaS gateway and its queue-workers."""
    config = session.config(**flags)
    if dry_run:
        for line in plan_lines(stack.planned(config)):
            session.out.print(escape(line))
        return
    state, already = stack.up(config, progress=session.progress)
    if already:
        session.out.print(f"the stack is already up in {escape(str(config.state_dir))}")
        return
    secrets = StackSecrets.load(config.credentials_file)
    if secrets is not None:
        session.out.print(escape(summary(config, state, secrets)))


@click.command(short_help="Stop the local stack.")
@click.option("--purge", is_flag=True, help="Also delete the state folder: data, logs, keys.")
@click.pass_obj
def down(session: Session, purge: bool) -> None:
    """Stop every component (newest first); data is kept unless --purge."""
    config = session.config()
    if stack.down(config, purge=purge, progress=session.progress):
        session.out.print("the stack is stopped")
    else:
        session.out.print(f"the stack is not running in {escape(str(config.state_dir))}")


@click.command(short_help="Show the stack's components, endpoints and logs.")
@click.option("--json", "as_json", is_flag=True, help="Endpoints and credentials, as JSON.")
@click.pass_obj
def status(session: Session, as_json: bool) -> None:
    """Show each component, its endpoint and log; exit 1 if one is dead, 3 if none runs."""
    config = session.config()
    state = stack.load_state(config)
    if state is None:
        raise StackNotRunning(
            f"the stack is not running in {config.state_dir}; start it with `oscar up`"
        )
    if as_json:
        document = status_document(config, state, StackSecrets.load(config.credentials_file))
        click.echo(json.dumps(document, indent=2))
    else:
        session.out.print(status_table(config, state))
    dead = state.dead()
    if dead:
        session.err.print(
            f"dead: {', '.join(dead)}; see their logs, then `oscar down` and `oscar up`"
        )
        raise click.exceptions.Exit(FAILED)


@click.command(short_help="Build stack.yml's functions into local images.")
@click.option(
    "-f",
    "--yaml",
    "stack_file",
    default="stack.yml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The stack file, as for faas-cli.",
)
@click.option("--filter", "filter_", metavar="FN", help="Build only the functions matching FN.")
@click.option("--dry-run", is_flag=True, help="Print the planned steps, and do nothing.")
@click.pass_obj
def build(session: Session, stack_file: Path, filter_: str | None, dry_run: bool) -> None:
    """Shrinkwrap the stack file's functions and make them local images for `faas-cli deploy`."""
    config = session.config()
    faas_cli = FaasCli(config.tool("faas-cli"))
    plan = plan_build(faas_cli, stack_file, filter_=filter_, store=config.images_dir)
    if dry_run:
        for number, step in enumerate(plan.steps(), start=1):
            session.out.print(escape(f"{number}. {step}"))
        return
    execute_build(plan, faas_cli, progress=session.progress)


COMMANDS = (up, down, status, build)
