"""`oscar token rotate SERVICE` and `oscar webhook-token rotate`: new tokens without downtime.

The gateway answers the new token and keeps accepting the replaced one for the grace
(`--grace SECONDS`, else the gateway's `OSCAR_TOKEN_GRACE_SECONDS`, 3600), so callers move over
without a refused call; after it, only the new token passes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from localstack import stack
from localstack.config import StackSecrets
from oscar_cli.render import ConsoleProgress
from oscar_cli.session import Session

GRACE = click.option(
    "--grace",
    type=click.IntRange(0, 30 * 86400),
    default=None,
    help="Seconds the replaced token still passes [default: the gateway's, 3600]",
)
JSON = click.option("--json", "as_json", is_flag=True, help="The rotation as JSON.")


def _until(rotation: dict[str, Any]) -> str:
    when = dt.datetime.fromtimestamp(float(rotation["previous_valid_until"]), dt.UTC)
    return when.isoformat(timespec="seconds")


@click.group()
def token() -> None:
    """A service's token for `/run/SERVICE` and `/job/SERVICE`."""


@token.command("rotate")
@click.argument("service")
@GRACE
@JSON
@click.pass_obj
def rotate_token(session: Session, service: str, grace: int | None, as_json: bool) -> None:
    """A new token for SERVICE; the old one passes until the grace ends."""
    rotation = _rotate(session, f"/system/services/{service}/token/rotate", grace, service)
    if as_json:
        click.echo(json.dumps(rotation, indent=2))
        return
    session.out.print(f"new token of {escape(service)}: {escape(rotation['token'])}")
    session.out.print(f"the old one passes until {_until(rotation)}")


@click.group("webhook-token")
def webhook_token() -> None:
    """The token MinIO's webhook sends to `/events`."""


@webhook_token.command("rotate")
@GRACE
@JSON
@click.pass_obj
def rotate_webhook(session: Session, grace: int | None, as_json: bool) -> None:
    """A new webhook token; MinIO's old one passes until the grace ends.

    The gateway keeps only its digest, so it is shown once, here: give it to MinIO's webhook
    target before the grace ends (`mc admin config set ALIAS notify_webhook:TARGET
    auth_token=TOKEN`, or MinIO's MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_TARGET, then a restart of
    MinIO: its notify settings are not dynamic). For the local stack it is written to its
    credentials and MinIO is restarted with it at once (a second or two in which uploads are
    refused and retried by their clients).
    """
    rotation = _rotate(session, "/system/webhook-token/rotate", grace, None)
    local = not session.endpoints().cluster and _save_local(session, rotation["token"])
    progress = ConsoleProgress(session.err, session.err) if as_json else session.progress
    restarted = local and stack.restart(session.config(), "minio", progress=progress)
    if as_json:
        click.echo(json.dumps(rotation, indent=2))
        return
    session.out.print(f"new webhook token: {escape(rotation['token'])}")
    session.out.print(
        f"MinIO's old token passes until {_until(rotation)}: give MinIO the new one before then"
        + (
            " (the local stack's MinIO was restarted with it)"
            if restarted
            else " (saved for the local stack's MinIO, which takes it when it starts)"
            if local
            else ""
        )
    )


def _rotate(session: Session, path: str, grace: int | None, name: str | None) -> dict[str, Any]:
    params = {} if grace is None else {"grace_seconds": grace}
    what = f"rotating the token of {name}" if name else "rotating the webhook token"
    answer = session.gateway().admin("POST", path, what=what, name=name, params=params)
    return dict(answer.json())


def _save_local(session: Session, new: str) -> bool:
    """The local stack's credentials (and the gateway's secret file) with the new token; False
    when no local stack runs from the state folder."""
    config = session.config()
    found = StackSecrets.load(config.credentials_file)
    if found is None or stack.load_state(config) is None:
        return False
    document = dataclasses.asdict(dataclasses.replace(found, webhook_token=new))
    _write_private(config.credentials_file, json.dumps(document, indent=2))
    secret = config.state_dir / "gateway" / "secrets" / "webhook-token"
    if secret.exists():
        _write_private(secret, new)
    return True


def _write_private(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    partial.replace(path)


COMMANDS = (token, webhook_token)
