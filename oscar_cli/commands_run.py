"""`oscar run SVC FILE`: a synchronous call through the gateway, streamed both ways."""

from __future__ import annotations

import contextlib
import mimetypes
import sys
from email.message import Message
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import click
import requests
from rich.markup import escape

from oscar_cli.errors import AuthRefused, BadInput
from oscar_cli.listings import size_text
from oscar_cli.progress import CHUNK, Reader, chunks, transfer
from oscar_cli.session import Session

TEXT_TYPES = {"application/json", "application/xml", "application/yaml", "application/x-yaml"}


@click.command()
@click.argument("service")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(allow_dash=True, path_type=Path),
    help="Write the answer here: a file, a folder, or - for stdout. [default: a text answer "
    "to stdout, anything else to ./NAME, NAME from the answer]",
)
@click.pass_obj
def run(session: Session, service: str, file: Path, out: Path | None) -> None:
    """Send FILE (- for stdin) to SERVICE and write its answer.

    The answer is the script's single output, a zip of several, or its stdout when it wrote
    none. A failed script exits 1 and prints its log tail.
    """
    _check_destination(out)
    gateway = session.gateway()
    token = gateway.service(service).get("token")
    if not token:
        raise AuthRefused(
            f"the gateway gave no token for service {service}; see `oscar services --show-tokens`"
        )
    name = "stdin" if str(file) == "-" else file.name
    # Raw bytes both ways, also for FDL services, whose default is OSCAR's base64 convention.
    headers = {
        "Content-Type": "application/octet-stream",
        "X-Oscar-Input": "raw",
        "X-Oscar-Base64": "false",
    }
    headers.update(_filename_header(name))
    with contextlib.ExitStack() as stack:
        body: Any
        if str(file) == "-":
            advance = stack.enter_context(transfer(session.err, f"sending {name}", None))
            body = chunks(sys.stdin.buffer, advance)
        else:
            length = file.stat().st_size
            handle = stack.enter_context(file.open("rb"))
            advance = stack.enter_context(transfer(session.err, f"sending {name}", length))
            body = Reader(handle, length, advance) if length else b""
        answer = gateway.run(service, token=token, body=body, headers=headers)
    with answer:
        _write_answer(session, answer, out, fallback=f"{service}-answer")


def _check_destination(out: Path | None) -> None:
    """Refuse a destination that cannot be written before the service does any work."""
    if out is None or str(out) == "-" or out.is_dir():
        return
    if not out.parent.is_dir():
        raise BadInput(f"-o {out}: the folder {out.parent} does not exist; create it first")


def _filename_header(name: str) -> dict[str, str]:
    """The input's name for the script: X-Filename, or RFC 6266's form when not ASCII."""
    if name.isascii():
        return {"X-Filename": name}
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


def _write_answer(
    session: Session, answer: requests.Response, out: Path | None, *, fallback: str
) -> None:
    content_type, filename = _headers(answer)
    name = Path(filename or "").name or _named(fallback, content_type)
    length_header = answer.headers.get("Content-Length")
    length = int(length_header) if length_header and length_header.isdigit() else None
    if out is None and _is_text(content_type):
        out = Path("-")
    if out is not None and str(out) == "-":
        stdout = sys.stdout.buffer
        with transfer(session.err, f"receiving {name}", length) as advance:
            _copy(answer, stdout, advance)
        stdout.flush()
        return
    target = _target(out, name)
    partial = target.with_name(f".{target.name}.part")
    try:
        with partial.open("wb") as handle, transfer(session.err, name, length) as advance:
            written = _copy(answer, handle, advance)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    shown = target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target
    session.err.print(f"wrote {escape(str(shown))} ({size_text(written)})")


def _headers(answer: requests.Response) -> tuple[str, str | None]:
    """(content type, file name of Content-Disposition), decoding RFC 2231's `filename*`."""
    message = Message()
    for header in ("Content-Type", "Content-Disposition"):
        if header in answer.headers:
            message[header] = answer.headers[header]
    content_type = message.get_content_type() if "Content-Type" in message else ""
    return content_type, message.get_filename()


def _copy(answer: requests.Response, target: BinaryIO, advance: Any) -> int:
    written = 0
    for data in answer.iter_content(CHUNK):
        target.write(data)
        advance(len(data))
        written += len(data)
    return written


def _is_text(content_type: str) -> bool:
    kind = content_type.lower()
    return kind.startswith("text/") or kind in TEXT_TYPES or kind.endswith(("+json", "+xml"))


def _named(stem: str, content_type: str) -> str:
    return stem + (mimetypes.guess_extension(content_type or "") or "")


def _target(out: Path | None, name: str) -> Path:
    if out is None:
        return _free(Path.cwd() / name)
    return out / name if out.is_dir() else out


def _free(path: Path) -> Path:
    """`path`, or `name-1.ext`, `name-2.ext`... when it exists: never overwrite the input."""
    candidate, number = path, 0
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


COMMANDS = (run,)
