"""`oscar` / `python -m oscar_cli`: the command-line entry point."""

from __future__ import annotations

import logging

from oscar_cli.commands import cli


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Its retry warnings would come before our one-line error, which says what they mean.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    cli(prog_name="oscar")


if __name__ == "__main__":
    main()
