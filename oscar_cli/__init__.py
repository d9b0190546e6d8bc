"""The `oscar` command: start and stop the local stack, show its endpoints, build functions."""

from oscar_cli.commands import cli

__all__ = ["cli"]
