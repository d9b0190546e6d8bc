"""What the provider knows of each function: its deployment, counts, and running instances."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from provider.deployments import Deployment
from provider.launcher import ReplicaHandle

# A replica that dies sooner than this after starting counts as a crash loop: restarts back off.
STABLE_AFTER = 10.0
MAX_BACKOFF = 30.0


@dataclass
class Instance:
    name: str
    handle: ReplicaHandle
    generation: int
    inflight: int = 0
    started_at: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return self.handle.url


@dataclass
class Function:
    deployment: Deployment
    desired: int
    created_at: str
    generation: int = 0
    instances: list[Instance] = field(default_factory=list)
    invocations: int = 0
    restarts: int = 0
    starting: int = 0
    failures: int = 0
    next_start: float = 0.0

    def failed(self) -> None:
        """Back off exponentially after each failure in a row, like a crash loop should."""
        self.failures += 1
        self.next_start = time.monotonic() + min(MAX_BACKOFF, 0.5 * 2 ** (self.failures - 1))
