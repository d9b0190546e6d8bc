"""How a benchmark on the whole stack runs, for `bench.platform` and `bench.throughput` alike.

`stack_bench` waits for the OpenFaaS gateway's fixed ports, starts the tests' stack with the
given settings and a scratch folder under /var/tmp, and stops both whatever happens; `main_of`
is the entry point around a benchmark: its command line, its failures as exit code 1 with the
reason, its section printed and written into docs/BENCHMARKS.md.
"""

from __future__ import annotations

import logging
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from bench.platform_stack import Bench, wait_for_free_ports
from bench.report_file import BenchError, write_section
from localstack.errors import LocalStackError
from provider.errors import ProviderError
from tests.support.stack import running_stack

log = logging.getLogger(__name__)
R = TypeVar("R")
# The test helpers report a server that would not start as an AssertionError, a missing tool
# or a busy port as pytest's fail/skip outcomes.
FAILURES = (
    BenchError,
    LocalStackError,
    ProviderError,
    AssertionError,
    pytest.fail.Exception,
    pytest.skip.Exception,
)


@contextmanager
def stack_bench(settings: Mapping[str, str], *, wait_ports: float) -> Iterator[tuple[Bench, Path]]:
    """A running stack (`oscar up` with `settings` in its environment) and a scratch folder."""
    wait_for_free_ports(wait_ports)
    with (
        running_stack(dict(settings)) as stack,
        tempfile.TemporaryDirectory(prefix="oscar-bench-", dir="/var/tmp") as scratch,
    ):
        yield Bench(stack), Path(scratch)


def main_of(
    module: str,
    argv: Sequence[str] | None,
    *,
    run: Callable[[str], R],
    render: Callable[[R], str],
    report: Path,
    section: str,
    after: Callable[[R], None] | None = None,
) -> int:
    """Run the benchmark (`run` gets the command line as a user would type it), then print its
    section and write it into `report`; `after` gets the results first (plots)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    given = sys.argv[1:] if argv is None else list(argv)
    command = shlex.join(["python", "-m", module, *given])
    try:
        results = run(command)
    except FAILURES as e:
        log.error("benchmark failed: %s", e)
        return 1
    if after is not None:
        after(results)
    text = render(results)
    print(text)
    write_section(report, text, name=section)
    log.info("updated %s", report)
    return 0
