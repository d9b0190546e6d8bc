"""`oscar apply`, `delete` and `services`: services from OSCAR FDL files, over the gateway API."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from oscar_cli import fdl
from oscar_cli.errors import BadInput, CliError
from oscar_cli.listings import services_table
from oscar_cli.session import Session

EXISTING_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


@click.command()
@click.argument("fdl_file", metavar="FDL_FILE", type=EXISTING_FILE)
@click.option("--dry-run", is_flag=True, help="Check the file and show what would be sent.")
@click.pass_obj
def apply(session: Session, fdl_file: Path, dry_run: bool) -> None:
    """Create or update the services of an OSCAR FDL file.

    FDL_FILE (YAML or JSON) holds OSCAR's `functions: {oscar: [{CLUSTER: SERVICE}]}`, one
    service mapping, or a list of them. A `script:` file is read relative to FDL_FILE and sent
    as its content. Each service is created, or updated when it exists.
    """
    entries = fdl.load(fdl_file)
    if dry_run:
        for entry in entries:
            inputs = entry.body.get("input") or "no input"
            session.out.print(
                escape(f"would apply {entry.name} ({entry.where}): input {json.dumps(inputs)}")
            )
        return
    gateway = session.gateway()
    for entry in entries:
        try:
            done, notice = gateway.apply(entry.body)
        except BadInput as e:  # the gateway refused the definition: name the file
            raise BadInput(f"{fdl_file}: {entry.where}: {e.message}") from e
        session.out.print(f"{done} {escape(entry.name)}")
        if notice:
            session.out.print(f"  note: {escape(notice)}")


@click.command()
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
@click.pass_obj
def delete(session: Session, names: tuple[str, ...]) -> None:
    """Delete services by name."""
    gateway = session.gateway()
    failed: CliError | None = None
    for name in names:
        try:
            gateway.delete(name)
        except CliError as e:
            if len(names) == 1:
                raise
            session.err.print(f"error: {escape(e.message)}")
            failed = failed or e
            continue
        session.out.print(f"deleted {escape(name)}")
    if failed is not None:
        raise click.exceptions.Exit(failed.exit_code)


@click.command(short_help="List the services and their inputs and outputs.")
@click.option("--json", "as_json", is_flag=True, help="The services as JSON.")
@click.option("--show-tokens", is_flag=True, help="Include each service's token for /run.")
@click.pass_obj
def services(session: Session, as_json: bool, show_tokens: bool) -> None:
    """List the services: inputs, outputs, suffixes, attempts, concurrency.

    Services are the functions with an input; --show-tokens adds the token `POST /run/NAME`
    takes.
    """
    found = session.gateway().services()
    if not show_tokens:
        found = [{k: v for k, v in s.items() if k != "token"} for s in found]
    if as_json:
        click.echo(json.dumps(found, indent=2))
    elif not found:
        session.err.print("no services: `oscar apply FDL_FILE` or `faas-cli deploy` adds one")
    else:
        session.out.print(services_table(found, tokens=show_tokens))


COMMANDS = (apply, delete, services)
