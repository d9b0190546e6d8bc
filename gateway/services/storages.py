"""Which MinIO (or S3) client serves a service's input or output: the platform's, or one of
another endpoint that an FDL's storage provider names, built from the keys the ledger keeps."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Protocol

from gateway.clients.storage import Storage
from gateway.credentials import Sealer
from gateway.errors import NotFound
from gateway.services.endpoints import Endpoint


class EndpointKeys(Protocol):
    """Where the keys live (the ledger: `gateway.jobs.sql_endpoints`)."""

    def save_endpoint(self, endpoint: Endpoint) -> None: ...
    def endpoint(self, netloc: str) -> Endpoint | None: ...


class SealedKeys:
    """`keys` with each secret key sealed at rest (as service tokens are: `gateway.credentials`),
    opened again when read. A key sealed under another callback key cannot be opened: the
    endpoint then reads as unknown, and updating its service stores its keys again."""

    def __init__(self, keys: EndpointKeys, sealer: Sealer) -> None:
        self._keys = keys
        self._sealer = sealer

    def save_endpoint(self, endpoint: Endpoint) -> None:
        sealed = self._sealer.seal(endpoint.secret_key, name=_seal_name(endpoint.netloc))
        self._keys.save_endpoint(replace(endpoint, secret_key=sealed))

    def endpoint(self, netloc: str) -> Endpoint | None:
        stored = self._keys.endpoint(netloc)
        if stored is None:
            return None
        secret = self._sealer.open(stored.secret_key, name=_seal_name(netloc))
        return None if secret is None else replace(stored, secret_key=secret)


def _seal_name(netloc: str) -> str:
    return f"storage/{netloc}"


class Storages:
    def __init__(self, platform: Storage, *, keys: EndpointKeys | None = None) -> None:
        self._platform = platform
        self._keys = keys
        self._clients: dict[str, Storage] = {}
        self._lock = threading.Lock()

    def remember(self, endpoint: Endpoint) -> None:
        """Keep `endpoint`'s keys (a service about to use it); its client is made anew."""
        if self._keys is None:
            raise NotFound("this gateway keeps no keys of other storage endpoints")
        self._keys.save_endpoint(endpoint)
        with self._lock:
            self._clients.pop(endpoint.netloc, None)

    def of(self, netloc: str) -> Storage:
        """The client of `netloc` (host:port; "" is the platform's MinIO)."""
        if not netloc:
            return self._platform
        with self._lock:
            client = self._clients.get(netloc)
        if client is not None:
            return client
        endpoint = self._keys.endpoint(netloc) if self._keys is not None else None
        if endpoint is None:
            raise NotFound(
                f"no keys for the storage endpoint {netloc}: create or update the service with "
                "its storage_providers entry, which carries them"
            )
        client = Storage(
            netloc,
            access_key=endpoint.access_key,
            secret_key=endpoint.secret_key,
            secure=endpoint.secure,
            target_arn=self._platform.target_arn,
        )
        with self._lock:
            self._clients[netloc] = client
        return client
