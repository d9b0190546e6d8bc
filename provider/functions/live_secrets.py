"""OpenFaaS secrets whose updates reach the replicas that already run with them.

Each replica reads its own copy of its secrets (`SecretStore.materialise`), made when it
started; an update (`faas-cli secret update`, a PUT of /system/secrets) also rewrites the
copies of every running replica that lists the secret, as OpenFaaS on Kubernetes and faasd
update a mounted secret in place.
"""

from __future__ import annotations

import logging

from provider.functions.manager import FunctionManager
from provider.secrets import SecretStore

log = logging.getLogger(__name__)


class LiveSecrets:
    """The `provider.backend.Secrets` of the local backend."""

    def __init__(self, store: SecretStore, functions: FunctionManager) -> None:
        self._store = store
        self._functions = functions

    def names(self, namespace: str) -> list[str]:
        return self._store.names(namespace)

    def put(
        self, namespace: str, name: str, *, value: str | None, raw_value: str | None, create: bool
    ) -> None:
        self._store.put(namespace, name, value=value, raw_value=raw_value, create=create)
        if create:
            return
        for folder in self._functions.secret_folders(namespace, name):
            try:
                self._store.refresh(namespace, name, folder)
            except OSError:  # a replica stopping meanwhile: its next start reads the new value
                log.warning("could not refresh secret %s in %s", name, folder, exc_info=True)

    def delete(self, namespace: str, name: str) -> None:
        self._store.delete(namespace, name)
