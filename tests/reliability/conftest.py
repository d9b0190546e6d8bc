"""One stack for the reliability tier, with a function timeout short enough for faults to heal.

The queue-workers' ack_wait is the function timeout + 30 s, and a message whose worker died is
redelivered only after NATS Streaming notices (heartbeats, ~15 s) or after ack_wait; with the
default 5 minute timeout, healing would outlast the tier's budget. 20 s is what a user with
short jobs would set (`oscar up --function-timeout 20s`).

Package-scoped, as the e2e tier's: pytest stops it (`oscar down --purge`) as soon as the last
reliability test is done, before any other tier starts its own stack (the OpenFaaS gateway
hard-codes its ports: one stack per machine).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stack import RunningStack, running_stack

FUNCTION_TIMEOUT = "20s"


@pytest.fixture(scope="package")
def stack() -> Iterator[RunningStack]:
    with running_stack({"OSCAR_FUNCTION_TIMEOUT": FUNCTION_TIMEOUT}) as running:
        yield running
