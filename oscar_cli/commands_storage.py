"""`oscar put`, `get` and `ls`: files in the stack's MinIO, with its keys from the status."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from rich.markup import escape

from oscar_cli.errors import BadInput
from oscar_cli.listings import entries_table, entry_json, size_text
from oscar_cli.progress import transfer
from oscar_cli.session import Session
from oscar_cli.storage import Location


@click.command()
@click.argument(
    "files",
    metavar="FILE...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, path_type=Path),
)
@click.argument("destination", metavar="BUCKET/PREFIX")
@click.pass_obj
def put(session: Session, files: tuple[Path, ...], destination: str) -> None:
    """Upload files (folders with what they hold) under BUCKET/PREFIX.

    Each file becomes BUCKET/PREFIX/NAME; a folder's files keep their path below it. Uploads
    into a service's input become jobs.
    """
    where = Location.parse(destination, what="BUCKET/PREFIX")
    uploads = list(_uploads(files, where))
    if not uploads:
        raise BadInput(f"nothing to upload: {', '.join(map(str, files))} hold no files")
    storage = session.storage()
    for path, target in uploads:
        size = path.stat().st_size
        with transfer(session.err, path.name, size) as advance:
            storage.put(path, target, advance=advance)
        session.out.print(f"{escape(str(path))} -> {escape(str(target))} ({size_text(size)})")


def _uploads(files: tuple[Path, ...], where: Location) -> Iterator[tuple[Path, Location]]:
    prefix = where.key.strip("/")
    for path in files:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file())
            pairs = [(p, f"{path.resolve().name}/{p.relative_to(path).as_posix()}") for p in found]
        else:
            pairs = [(path, path.name)]
        for file, relative in pairs:
            yield file, Location(where.bucket, f"{prefix}/{relative}" if prefix else relative)


@click.command()
@click.argument("source", metavar="BUCKET/KEY")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(allow_dash=True, path_type=Path),
    help="A file, a folder, or - for stdout. [default: ./NAME, NAME the key's last part]",
)
@click.pass_obj
def get(session: Session, source: str, out: Path | None) -> None:
    """Download one object."""
    where = Location.parse(source, what="BUCKET/KEY")
    name = Path(where.key).name
    if not name or where.key.endswith("/"):
        raise BadInput(
            f"{source}: name a key, not a bucket or folder; `oscar ls {source}` lists it"
        )
    target = Path(name) if out is None else (out / name if out.is_dir() else out)
    if str(target) != "-" and not target.parent.is_dir():
        raise BadInput(f"-o {out}: the folder {target.parent} does not exist; create it first")
    storage = session.storage()
    size = storage.size(where)
    if str(target) == "-":
        stdout = sys.stdout.buffer
        with transfer(session.err, name, size) as advance:
            storage.get(where, stdout, advance=advance)
        stdout.flush()
        return
    partial = target.with_name(f".{target.name}.part")
    try:
        with partial.open("wb") as handle, transfer(session.err, name, size) as advance:
            storage.get(where, handle, advance=advance)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    session.err.print(f"wrote {escape(str(target))} ({size_text(size)})")


@click.command()
@click.argument("location", metavar="[BUCKET[/PREFIX]]", required=False)
@click.option("-r", "--recursive", is_flag=True, help="Every key below, not just one level.")
@click.option("--json", "as_json", is_flag=True, help="The listing as JSON.")
@click.pass_obj
def ls(session: Session, location: str | None, recursive: bool, as_json: bool) -> None:
    """List the buckets, or the keys under BUCKET/PREFIX.

    PREFIX is a folder: `oscar ls grayify/in` lists the keys under `in/`, one level deep
    unless --recursive.
    """
    storage = session.storage()
    if location is None:
        entries = storage.buckets()
    else:
        where = Location.parse(location, what="BUCKET[/PREFIX]")
        prefix = where.key.strip("/")
        entries = storage.listing(
            Location(where.bucket, f"{prefix}/" if prefix else ""), recursive=recursive
        )
    if as_json:
        click.echo(json.dumps([entry_json(e) for e in entries], indent=2))
    elif entries:
        session.out.print(entries_table(entries, buckets=location is None))
    else:
        session.err.print(f"nothing in {escape(location or 'MinIO')}")


COMMANDS = (put, get, ls)
