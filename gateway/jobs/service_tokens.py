"""Each service's bearer token for `/run/<svc>` and `/job/<svc>`: made once, kept in the ledger."""

from __future__ import annotations

from gateway.jobs.ledger import Ledger
from gateway.services.registry import ServiceRegistry
from gateway.tokens import new_token


class ServiceTokens:
    def __init__(self, ledger: Ledger, registry: ServiceRegistry) -> None:
        self._ledger = ledger
        self._registry = registry

    def issue(self, name: str) -> str:
        """The service's token, made on first use."""
        return self._ledger.service_token(name, new_token())

    def of_existing(self, name: str) -> str | None:
        """The token of a service that exists; None for any other name."""
        # Only a service that exists gets a token: a caller guessing names must not add rows.
        return self.issue(name) if self._registry.find(name) is not None else None
