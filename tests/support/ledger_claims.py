"""Claiming jobs one by one in tests: a ledger claims batches (`Ledger.claim_batches`), and a
test that does not care about batches wants a few jobs running. Batches of one with as many
free slots as the jobs asked for (and no more than `concurrency` invocations, when given)."""

from __future__ import annotations

from gateway.jobs.ledger import Ledger
from gateway.jobs.model import Job


def claim(
    ledger: Ledger,
    service: str,
    *,
    limit: int,
    now: float,
    timeout: float,
    concurrency: int | None = None,
) -> list[Job]:
    """Up to `limit` due jobs of `service` claimed, each its own invocation."""
    if limit <= 0:
        return []
    slots = ledger.calls_running(service) + limit
    if concurrency is not None:
        slots = min(slots, concurrency)
    batches = ledger.claim_batches(service, size=1, now=now, timeout=timeout, concurrency=slots)
    return [job for batch in batches for job in batch]
