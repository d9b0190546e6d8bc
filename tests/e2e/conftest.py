"""One stack for the whole e2e tier, and the examples built on it once.

Only one stack runs per machine (the OpenFaaS gateway hard-codes its ports), and the integration
tier starts its own session stack when its first test asks for it. So this one is package-scoped:
pytest stops it (`oscar down --purge`) as soon as the last e2e test is done, before any test of
another folder runs, whatever the order of the run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.project import ExamplesProject
from tests.support.stack import RunningStack, running_stack


@pytest.fixture(scope="package")
def stack() -> Iterator[RunningStack]:
    with running_stack() as running:
        yield running


@pytest.fixture(scope="package")
def examples(stack: RunningStack) -> ExamplesProject:
    """The repository's stack.yml and examples/, built with `oscar build -f stack.yml`."""
    return ExamplesProject.build(stack)
