"""The one place errors become a one-line message and an exit code (no tracebacks for users).

Exit codes, as `oscar --help` and docs/CLI.md document them:

| code | meaning |
|---|---|
| 0 | ok |
| 1 | failure (a component, a script, the network) |
| 2 | bad usage or input (options, a missing file, a malformed FDL) |
| 3 | the stack is not running |
| 4 | not found (a service, a job, a bucket, a key) |
| 5 | credentials refused |
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from localstack.errors import LocalStackError, StackConfigError, StackNotRunning
from provider.errors import ProviderError

log = logging.getLogger(__name__)

OK, FAILED, BAD_USAGE, NOT_RUNNING, NOT_FOUND, AUTH_REFUSED = 0, 1, 2, 3, 4, 5


class CliError(Exception):
    """Base class: `message` says what went wrong and how to fix it; `details` follow it."""

    exit_code = FAILED

    def __init__(self, message: str, *, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = tuple(details)


class BadInput(CliError):
    exit_code = BAD_USAGE


class StackDown(CliError):
    exit_code = NOT_RUNNING


class NotFound(CliError):
    exit_code = NOT_FOUND


class AuthRefused(CliError):
    exit_code = AUTH_REFUSED


class ScriptFailed(CliError):
    """A synchronous call whose script failed: the message, then the script's log tail."""


def from_status(status: int, reason: str, *, what: str, not_found: str, refused: str) -> CliError:
    """The error for an HTTP answer that is not a success, by what the status means to a user."""
    if status in {401, 403}:
        return AuthRefused(f"{refused} (HTTP {status}: {reason})")
    if status == 404:
        return NotFound(not_found)
    if status in {400, 409, 413, 415, 422}:
        return BadInput(f"{what}: {reason}")
    return CliError(f"{what}: HTTP {status}: {reason}")


# MinIO's error codes for keys it does not accept, and for things that are not there.
_S3_REFUSED = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"}
_S3_MISSING = {"NoSuchBucket", "NoSuchKey", "NoSuchObject"}


def from_s3(code: str, reason: str, *, what: str, not_found: str, refused: str) -> CliError:
    """The error for a MinIO (S3) error code, as `from_status` does for HTTP statuses."""
    if code in _S3_REFUSED:
        return AuthRefused(f"{refused} ({code}: {reason})")
    if code in _S3_MISSING:
        return NotFound(not_found)
    if code in {"InvalidBucketName", "InvalidObjectName", "KeyTooLongError"}:
        return BadInput(f"{what}: {reason}")
    return CliError(f"{what}: {code}: {reason}")


# What the local stack and the provider's image store raise under `oscar up`/`down`/`build`.
StackError = LocalStackError | ProviderError
_STACK_CODES: tuple[tuple[type[LocalStackError], int], ...] = (
    (StackConfigError, BAD_USAGE),
    (StackNotRunning, NOT_RUNNING),
)


def exit_code(error: StackError) -> int:
    return next((code for kind, code in _STACK_CODES if isinstance(error, kind)), FAILED)


def _stack_message(error: StackError) -> str:
    """The first line says what is wrong; a tool's output tail may follow on its own lines."""
    if isinstance(error, StackConfigError):
        return "the stack is misconfigured: " + "; ".join(error.problems)
    return str(error)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class OscarGroup(click.Group):
    """Click's group, with every error printed as `error: ...` and mapped to its exit code."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as e:
            _usage_error(e)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as e:
            _usage_error(e)
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except CliError as e:
            click.echo(f"error: {e.message}", err=True)
            for line in e.details:
                click.echo(line, err=True)
            raise click.exceptions.Exit(e.exit_code) from None
        except (LocalStackError, ProviderError) as e:
            click.echo(f"error: {_stack_message(e)}", err=True)
            raise click.exceptions.Exit(exit_code(e)) from None
        except BrokenPipeError:  # `oscar logs grayify | head`: the reader has what it wanted
            _drop_stdout()
            raise click.exceptions.Exit(OK) from None
        except FileNotFoundError as e:
            click.echo(f"error: {e.filename} does not exist; check the path", err=True)
            raise click.exceptions.Exit(BAD_USAGE) from None
        except OSError as e:  # a folder that cannot be written, a disk that is full
            click.echo(f"error: {e}", err=True)
            raise click.exceptions.Exit(FAILED) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except Exception as e:  # a bug: still one line for the user (traceback at DEBUG level)
            log.debug("unexpected error", exc_info=True)
            click.echo(
                f"error: unexpected {type(e).__name__}: {_one_line(str(e))[:300]} (a bug in "
                "oscar: please report it with the command you ran)",
                err=True,
            )
            raise click.exceptions.Exit(FAILED) from None


def _usage_error(error: click.UsageError) -> NoReturn:
    """Bad usage as one line: the problem, then where the command's help is."""
    if type(error).__name__ == "NoArgsIsHelpError":  # click >= 8.2: `oscar` alone shows help
        raise error
    command = error.ctx.command_path if error.ctx is not None else "oscar"
    click.echo(
        f"error: {_one_line(error.format_message()).rstrip('.')}; see `{command} --help`",
        err=True,
    )
    raise click.exceptions.Exit(BAD_USAGE)


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so flushing it at exit does not fail on the closed pipe."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
