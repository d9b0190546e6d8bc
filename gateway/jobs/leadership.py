"""Who runs the loops that must run once among several gateways (the timeouts pass, the
reconciler, applying the registry's buckets and rules): the one that `leads(role)`.

The ledger answers it with its database's lock (PostgreSQL's session advisory lock; SQLite has
one gateway, which always leads); on Kubernetes a coordination.k8s.io Lease does
(`gateway.clients.kube_lease`). Either way the answer may change between two passes, so each
pass asks again.
"""

from __future__ import annotations

from typing import Protocol


class Leadership(Protocol):
    def leads(self, role: str) -> bool: ...


class Elector(Leadership, Protocol):
    """A Leadership with a life: started before the loops, closed after them."""

    def start(self) -> None: ...
    def close(self) -> None: ...


class LedgerLock:
    """The ledger's own lock as an Elector: nothing to start; the ledger's close frees it."""

    def __init__(self, ledger: Leadership) -> None:
        self._ledger = ledger

    def leads(self, role: str) -> bool:
        return self._ledger.leads(role)

    def start(self) -> None:
        return None

    def close(self) -> None:
        return None
