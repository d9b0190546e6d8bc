"""The `oscar` command: the local stack, services, bucket files, synchronous calls, jobs."""

from oscar_cli.commands import cli

__all__ = ["cli"]
