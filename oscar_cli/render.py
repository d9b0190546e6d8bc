"""What the `oscar` command shows: progress lines, the status table and document, plans."""

from __future__ import annotations

import shlex
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from localstack.config import NATS_CLUSTER, StackConfig, StackSecrets
from localstack.plan import ComponentSpec
from localstack.state import StackState


class ConsoleProgress:
    """Progress of `up`, `down` and `build`, one line per step (readable in logs and CI too)."""

    def __init__(self, out: Console, err: Console) -> None:
        self._out = out
        self._err = err

    def step(self, message: str) -> None:
        self._out.print(f"[dim]-> {escape(message)}[/dim]")

    def done(self, message: str) -> None:
        self._out.print(f"[green]ok[/green] {escape(message)}")

    def warn(self, message: str) -> None:
        self._err.print(f"[yellow]warning:[/yellow] {escape(message)}")


def status_document(
    config: StackConfig, state: StackState, secrets: StackSecrets | None
) -> dict[str, Any]:
    """Every endpoint and credential a client needs (`oscar status --json`)."""

    def secret(name: str) -> str | None:
        return getattr(secrets, name) if secrets else None

    urls = state.endpoints
    return {
        "openfaas": {
            "url": urls["openfaas"],
            "username": secret("openfaas_user"),
            "password": secret("openfaas_password"),
        },
        "minio": {
            "endpoint": urls["minio"],
            "console": urls["minio_console"],
            "access_key": secret("minio_access_key"),
            "secret_key": secret("minio_secret_key"),
            "webhook_token": secret("webhook_token"),
        },
        "gateway": {"url": urls["gateway"], "admin_token": secret("gateway_admin_token")},
        "nats": {"url": urls["nats"], "monitor": urls["nats_monitor"], "cluster_id": NATS_CLUSTER},
        "provider": {"url": urls["provider"]},
        # Every gateway (several share one PostgreSQL ledger): the first is `gateway` above.
        "gateways": [
            {"name": c.name, "url": c.url or None, "pid": c.pid, "alive": c.alive()}
            for c in state.components
            if c.name == "gateway" or c.name.startswith("gateway-")
        ],
        "components": {
            c.name: {"pid": c.pid, "alive": c.alive(), "log": c.log, "url": c.url or None}
            for c in state.components
        },
        "started_at": state.started_at,
        "state_dir": str(config.state_dir),
    }


def status_table(config: StackConfig, state: StackState) -> Table:
    table = Table(title=f"oscar stack in {config.state_dir} (since {state.started_at})")
    for column in ("component", "pid", "state", "endpoint", "log"):
        table.add_column(column, overflow="fold")
    for c in state.components:
        alive = "[green]running[/green]" if c.alive() else "[red]dead[/red]"
        table.add_row(c.name, str(c.pid), alive, c.url, escape(c.log))
    return table


def summary(config: StackConfig, state: StackState, secrets: StackSecrets) -> str:
    urls = state.endpoints
    password_file = config.openfaas_dir / "secrets" / "basic-auth-password"
    return (
        f"OpenFaaS  {urls['openfaas']}  (user {secrets.openfaas_user})\n"
        f"MinIO     {urls['minio']}  (console {urls['minio_console']})\n"
        f"log in:   cat {password_file} | faas-cli login --gateway {urls['openfaas']} "
        "--password-stdin\n"
        "every endpoint and credential: oscar status --json"
    )


def plan_lines(specs: list[ComponentSpec]) -> list[str]:
    lines = []
    for number, spec in enumerate(specs, start=1):
        check = (
            f"GET {spec.ready_url} -> 200" if spec.ready_url else f"log shows {spec.ready_log!r}"
        )
        lines.append(f"{number}. start {spec.name}: {shlex.join(spec.command)}")
        lines.append(f"   ready when: {check}")
    return lines
