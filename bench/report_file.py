"""docs/BENCHMARKS.md: each benchmark rewrites only its own section, between its markers."""

from __future__ import annotations

from pathlib import Path


class BenchError(Exception):
    """The benchmark could not measure something; the message says what and where to look."""


def write_section(path: Path, section: str, *, name: str) -> None:
    """Put `section` between `<!-- name:begin -->` and `<!-- name:end -->` in `path` (appended
    when the markers are not there yet), leaving the rest of the file alone."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{section.rstrip()}\n{end}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# Benchmarks\n\nEach benchmark in `bench/` rewrites only its own section, between its "
            f"markers.\n\n{block}\n",
            encoding="utf-8",
        )
        return
    text = path.read_text(encoding="utf-8")
    start, stop = text.find(begin), text.find(end)
    if start == -1 and stop == -1:
        path.write_text(f"{text.rstrip()}\n\n{block}\n", encoding="utf-8")
    elif start == -1 or stop < start:
        raise BenchError(
            f"{path}: expected {begin} before {end}, found only one of them or both out of order; "
            "fix the markers by hand, then run the benchmark again"
        )
    else:
        path.write_text(text[:start] + block + text[stop + len(end) :], encoding="utf-8")
