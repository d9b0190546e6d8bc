"""What the HTTP API needs of a backend: the functions it runs and the secrets they read.

Two backends provide it: `provider.functions.FunctionManager` (replicas on this machine, over a
`Launcher`) and `provider.kubernetes.KubeFunctions` (Deployments and Services in a cluster).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from provider.deployments import Deployment


class Target(Protocol):
    """One replica chosen for one call."""

    @property
    def url(self) -> str: ...


class Functions(Protocol):
    def start(self) -> None: ...

    def shutdown(self) -> None: ...

    def deploy(self, deployment: Deployment, *, update: bool) -> None: ...

    def delete(self, name: str) -> None: ...

    def scale(self, name: str, replicas: int) -> None: ...

    def status(self, name: str) -> dict[str, Any]: ...

    def statuses(self, namespace: str) -> list[dict[str, Any]]: ...

    def replica(self, name: str) -> AbstractContextManager[Target]: ...


class Secrets(Protocol):
    def names(self, namespace: str) -> list[str]: ...

    def put(
        self, namespace: str, name: str, *, value: str | None, raw_value: str | None, create: bool
    ) -> None: ...

    def delete(self, namespace: str, name: str) -> None: ...


class LogSource(Protocol):
    """NDJSON lines `{name, namespace, instance, timestamp, text}`, as `/system/logs` sends."""

    def __call__(
        self,
        name: str,
        namespace: str,
        *,
        tail: int,
        follow: bool,
        since: datetime | None,
        should_stop: Callable[[], bool],
    ) -> Iterator[str]: ...
