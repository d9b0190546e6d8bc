"""OpenFaaS secrets as Kubernetes Secrets in the functions namespace (labelled as ours)."""

from __future__ import annotations

import base64
import binascii

from provider.errors import SecretError
from provider.kubernetes.client import KubeApi
from provider.kubernetes.objects import MANAGED_BY, MANAGED_BY_LABEL, secret_object
from provider.secrets import NAME

OURS_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"


class KubeSecrets:
    def __init__(self, api: KubeApi) -> None:
        self._api = api

    def names(self, namespace: str) -> list[str]:
        return self._api.secret_names(OURS_SELECTOR)

    def put(
        self, namespace: str, name: str, *, value: str | None, raw_value: str | None, create: bool
    ) -> None:
        if not NAME.match(name):
            raise SecretError(f"secret name {name!r} must be letters, digits, '-', '.', '_'")
        if raw_value:
            try:
                data = base64.b64decode(raw_value, validate=True)
            except (ValueError, binascii.Error) as e:
                raise SecretError(f"rawValue of {name!r} is not base64: {e}") from e
        else:
            data = (value or "").encode()
        body = secret_object(self._api.namespace, name, data)
        if create:
            self._api.create(body)
        else:
            self._api.replace_secret(body)

    def delete(self, namespace: str, name: str) -> None:
        self._api.delete("Secret", name)

    def missing(self, names: tuple[str, ...]) -> list[str]:
        present = set(self._api.secret_names(OURS_SELECTOR)) if names else set()
        return [n for n in names if n not in present]
