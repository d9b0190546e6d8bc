"""The one place engine errors become a message and an exit code (no tracebacks for users)."""

from __future__ import annotations

from typing import Any

import click

from engine.errors import EngineError
from engine.stack import StackNotRunning
from engine.stack_config import StackConfigError

OK, COMPONENT_FAILED, BAD_USAGE, NOT_RUNNING = 0, 1, 2, 3

_EXIT_CODES: tuple[tuple[type[EngineError], int], ...] = (
    (StackConfigError, BAD_USAGE),
    (StackNotRunning, NOT_RUNNING),
)


def exit_code(error: EngineError) -> int:
    return next((code for kind, code in _EXIT_CODES if isinstance(error, kind)), COMPONENT_FAILED)


class OscarGroup(click.Group):
    """Click's group, with every EngineError printed as `error: ...` and mapped to its code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EngineError as e:
            click.echo(f"error: {e}", err=True)
            raise click.exceptions.Exit(exit_code(e)) from None
        except OSError as e:  # a folder that cannot be written, a disk that is full
            click.echo(f"error: {e}", err=True)
            raise click.exceptions.Exit(COMPONENT_FAILED) from None
