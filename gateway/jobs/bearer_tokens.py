"""Bearer tokens checked against the ledger's credentials (gateway.credentials), with rotation.

A check reads the credential from memory; a token that does not match it is checked once more
against the ledger, so a rotation made by another replica is seen at its first use, and the
end of a grace is exact (the remembered credential carries its `previous_until`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.credentials import Credential, Sealer
from gateway.jobs.ledger import Ledger
from gateway.tokens import new_token


@dataclass(frozen=True, kw_only=True)
class Rotation:
    """A rotation's outcome: the new token (shown once for a digest-only credential) and when
    the replaced one stops working."""

    name: str
    token: str
    previous_until: float


class BearerTokens:
    def __init__(
        self, *, ledger: Ledger, sealer: Sealer, clock: Callable[[], float] = time.time
    ) -> None:
        self._ledger = ledger
        self._sealer = sealer
        self._clock = clock
        self._known: dict[str, Credential] = {}
        self._lock = threading.Lock()

    def seed(self, name: str, token: str) -> None:
        """Store `token` (as a digest) unless the ledger has a credential of that name: the
        ledger's is the one in force after a rotation, whatever the configuration says."""
        self._remember(
            self._ledger.add_credential(self._sealer.credential(name, token, shown=False))
        )

    def shown(self, name: str) -> str:
        """The token of `name` to show its owner, made on first use; "" when its sealed copy was
        made under another key (it still passes: rotate it for one that can be shown)."""
        credential = self._ledger.credential(name)
        if credential is None or not credential.sealed:
            fresh = self._sealer.credential(name, new_token(), shown=True)
            credential = self._ledger.add_credential(fresh) if credential is None else credential
        self._remember(credential)
        return self._sealer.open(credential.sealed, name=name) or ""

    def accepts(self, name: str, token: str) -> bool:
        now = self._clock()
        known = self._known.get(name)
        if known is not None and known.accepts(token, now):
            return True
        fresh = self._ledger.credential(name)  # rotated by another replica since?
        if fresh is None:
            return False
        self._remember(fresh)
        return fresh.accepts(token, now)

    def rotate(self, name: str, *, grace: float, shown: bool) -> Rotation:
        """A new token for `name`; the replaced one passes for `grace` seconds more."""
        token, now = new_token(), self._clock()
        new = self._sealer.credential(name, token, shown=shown)
        stored = self._ledger.rotate_credential(new, previous_until=now + grace, now=now)
        self._remember(stored)
        return Rotation(name=name, token=token, previous_until=now + grace)

    def _remember(self, credential: Credential) -> None:
        with self._lock:
            self._known[credential.name] = credential
