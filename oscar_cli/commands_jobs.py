"""`oscar jobs`, `logs` and `replay`: every file's job, its attempts and its log."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.markup import escape

from oscar_cli.client import Gateway
from oscar_cli.errors import BadInput, NotFound
from oscar_cli.listings import SHORT_ID, job_lines, jobs_table
from oscar_cli.session import Session

STATUSES = ("queued", "running", "succeeded", "dead")
FULL_ID = 32  # the gateway's job ids are uuid4 hex
PAGE = 1000  # the largest page the gateway serves
SCAN_LIMIT = 20_000  # jobs searched for an id prefix before giving up


@click.command()
@click.argument("service")
@click.option("--status", type=click.Choice(STATUSES), help="Only jobs in this state.")
@click.option("--limit", type=click.IntRange(1, PAGE), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many (newest first).")
@click.option("--json", "as_json", is_flag=True, help="The jobs as JSON, every field.")
@click.pass_obj
def jobs(
    session: Session, service: str, status: str | None, limit: int, offset: int, as_json: bool
) -> None:
    """List SERVICE's jobs, newest first: one per input file."""
    gateway = session.gateway()
    # An unknown service is the gateway's 404 ("does not exist"), not an empty list.
    found, total = gateway.jobs(service, status=status, limit=limit, offset=offset)
    if as_json:
        click.echo(json.dumps(found, indent=2))
    elif not found:
        session.err.print(f"no {status or ''} jobs for {escape(service)}".replace("  ", " "))
    else:
        session.out.print(jobs_table(found))
        if offset + len(found) < total:
            session.err.print(
                f"{offset + 1}-{offset + len(found)} of {total}; "
                f"--offset {offset + len(found)} shows the next ones"
            )


@click.command()
@click.argument("service")
@click.argument("job", required=False)
@click.option("--tail", type=click.IntRange(0), help="Without JOB: only the last N lines.")
@click.option("-f", "--follow", is_flag=True, help="Without JOB: keep printing new lines.")
@click.option("--json", "as_json", is_flag=True, help="With JOB: the job as JSON.")
@click.pass_obj
def logs(
    session: Session,
    service: str,
    job: str | None,
    tail: int | None,
    follow: bool,
    as_json: bool,
) -> None:
    """Show a job's log and attempts, or the function's logs.

    With JOB (its id, or the start of it as `oscar jobs` shows it): the job's attempts and
    its script's log tail. Without: the function's logs from OpenFaaS.
    """
    gateway = session.gateway()
    if job is None:
        try:
            for line in gateway.function_logs(service, tail=tail, follow=follow):
                click.echo(line)
        except KeyboardInterrupt:
            if not follow:
                raise
        return
    found = _find_job(gateway, service, job)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for line in job_lines(found):
        session.out.print(escape(line))


def _find_job(gateway: Gateway, service: str, job: str) -> dict[str, Any]:
    """The job with this id, or the only one whose id starts with it (as `oscar jobs` shows)."""
    found = gateway.job(service, job)
    if found is not None:
        return found
    matches: list[str] = []
    if len(job) < FULL_ID:
        for offset in range(0, SCAN_LIMIT, PAGE):
            page, _ = gateway.jobs(service, status=None, limit=PAGE, offset=offset)
            matches += [j["id"] for j in page if str(j["id"]).startswith(job)]
            if len(page) < PAGE:
                break
    if len(matches) > 1:
        shown = ", ".join(m[: SHORT_ID + 4] for m in matches[:5])
        raise BadInput(f"job {job} matches {len(matches)} jobs ({shown}); give more of the id")
    if matches:
        detail = gateway.job(service, matches[0])
        if detail is not None:
            return detail
    gateway.service(service)  # an unknown service says so
    raise NotFound(
        f"job {job} of service {service} does not exist; `oscar jobs {service}` lists them"
    )


@click.command()
@click.argument("service")
@click.option("--dead", is_flag=True, help="Also requeue the dead letters.")
@click.option("--json", "as_json", is_flag=True, help="The counts as JSON.")
@click.pass_obj
def replay(session: Session, service: str, dead: bool, as_json: bool) -> None:
    """Make jobs for input objects that have none.

    Objects under SERVICE's input with no job (events MinIO could not deliver) are queued;
    with --dead, dead letters are queued again too.
    """
    result = session.gateway().replay(service, dead=dead)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    message = f"{service}: queued {result.get('queued', 0)} object(s) that had no job"
    if dead:
        message += f", requeued {result.get('requeued_dead', 0)} dead letter(s)"
    session.out.print(escape(message))


COMMANDS = (jobs, logs, replay)
