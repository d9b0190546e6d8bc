"""Each service's bearer token for `/run/<svc>` and `/job/<svc>`, and the MinIO webhook's token
for `/events`: kept in the ledger as digests (a service's also sealed, to be shown again)."""

from __future__ import annotations

from gateway.jobs.bearer_tokens import BearerTokens, Rotation
from gateway.services.registry import ServiceRegistry

WEBHOOK = "webhook"


def _name(service: str) -> str:
    return f"service/{service}"


class ServiceTokens:
    def __init__(self, tokens: BearerTokens, registry: ServiceRegistry) -> None:
        self._tokens = tokens
        self._registry = registry

    def issue(self, name: str) -> str:
        """The service's token, made on first use."""
        return self._tokens.shown(_name(name))

    def accepts(self, name: str, token: str) -> bool:
        """Whether `token` is the token of `name`, a service that exists."""
        # Only a service that exists gets a token: a caller guessing names must not add rows.
        return self._registry.find(name) is not None and self._tokens.accepts(_name(name), token)

    def rotate(self, name: str, *, grace: float) -> Rotation:
        return self._tokens.rotate(_name(name), grace=grace, shown=True)


class WebhookToken:
    """MinIO's token: checked, never shown (MinIO's configuration holds it)."""

    def __init__(self, tokens: BearerTokens, configured: str) -> None:
        self._tokens = tokens
        tokens.seed(WEBHOOK, configured)

    def accepts(self, token: str) -> bool:
        return self._tokens.accepts(WEBHOOK, token)

    def rotate(self, *, grace: float) -> Rotation:
        return self._tokens.rotate(WEBHOOK, grace=grace, shown=False)
