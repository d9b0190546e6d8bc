"""`oscar cluster add|list|default|remove`: named gateways, as oscar-cli's `cluster` commands.

A cluster is a gateway's URL and its admin login (the OpenFaaS login, sent as basic auth);
every command that talks to a gateway (apply, services, run, put, get, ls, jobs, logs,
replay, delete, token, webhook-token) then works against it with `--cluster NAME`, or by
default once `oscar cluster default NAME` named it. MinIO's endpoint and keys come from the
gateway (`/system/config`). `up`, `down`, `status` and `build` always act on this machine.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from oscar_cli.profiles import LOCAL, Profile, check_name, check_url
from oscar_cli.session import Session


@click.group()
def cluster() -> None:
    """Named gateways to work against (`--cluster NAME`)."""


@cluster.command("add")
@click.argument("name")
@click.option("--url", required=True, help="The gateway's URL, e.g. https://oscar.example.org")
@click.option("--user", required=True, help="Its admin user (the OpenFaaS login).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    help="Its admin password [asked for when not given]",
)
@click.option("--insecure", is_flag=True, help="Do not check the gateway's TLS certificate.")
@click.option("--openfaas-url", default="", help="The OpenFaaS gateway, for `oscar logs SERVICE`.")
@click.option("--default", "make_default", is_flag=True, help="Make it the default cluster.")
@click.pass_obj
def add(
    session: Session,
    name: str,
    url: str,
    user: str,
    password: str,
    insecure: bool,
    openfaas_url: str,
    make_default: bool,
) -> None:
    """Add (or replace) the cluster NAME."""
    profiles = session.profiles()
    profiles.clusters[check_name(name)] = Profile(
        name=name,
        url=check_url(url),
        user=user,
        password=password,
        verify=not insecure,
        openfaas_url=check_url(openfaas_url, option="--openfaas-url") if openfaas_url else "",
    )
    if make_default or profiles.default is None:
        profiles.default = name
    profiles.save()
    suffix = " (the default)" if profiles.default == name else ""
    session.out.print(f"added cluster {escape(name)}{suffix} to {escape(str(profiles.path))}")


@cluster.command("list")
@click.option("--json", "as_json", is_flag=True, help="The clusters as JSON (no passwords).")
@click.pass_obj
def list_(session: Session, as_json: bool) -> None:
    """List the clusters; the default is marked."""
    profiles = session.profiles()
    rows: list[dict[str, Any]] = [
        {"name": p.name, "url": p.url, "user": p.user, "default": p.name == profiles.default}
        for p in profiles.clusters.values()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        session.err.print("no clusters: `oscar cluster add NAME --url URL --user USER` adds one")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("", "NAME", "URL", "USER"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            "*" if row["default"] else "",
            escape(row["name"]),
            escape(row["url"]),
            escape(row["user"]),
        )
    session.out.print(table)


@cluster.command("default")
@click.argument("name")
@click.pass_obj
def default(session: Session, name: str) -> None:
    """Make NAME the cluster every command uses (`local`: the stack on this machine)."""
    profiles = session.profiles()
    profiles.default = None if name == LOCAL else profiles.get(name).name
    profiles.save()
    session.out.print(f"default cluster: {escape(name)}")


@cluster.command("remove")
@click.argument("name")
@click.pass_obj
def remove(session: Session, name: str) -> None:
    """Forget the cluster NAME (and its password)."""
    profiles = session.profiles()
    profiles.get(name)
    del profiles.clusters[name]
    if profiles.default == name:
        profiles.default = None
    profiles.save()
    session.out.print(f"removed cluster {escape(name)}")


COMMANDS = (cluster,)
