"""Credentials at rest: what the ledger keeps of a bearer token, and how a token is checked.

The ledger never holds a token as it is sent. It keeps its SHA-256 `digest` (what a request's
token is checked against; a token is 256 random bits, so a fast hash is as good as a slow one)
and, for a token the gateway must show again (a service's, which OSCAR's clients read from
`GET /system/services`), a copy `sealed` with AES-256-GCM under a key derived from the
gateway's callback key, which lives in a secret file, never in the ledger: a copy of the ledger
(a backup, a shared PostgreSQL) reveals no token. The sealed copy is bound to its credential's
name, so it cannot be moved to another row.

A rotation keeps the replaced token's digest as `previous_digest` until `previous_until`, so
clients move to the new token without a refused call; past it, only the new one passes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED_PREFIX = "aesgcm1:"
DIGEST_PREFIX = "sha256:"


@dataclass(frozen=True, kw_only=True)
class Credential:
    """One named credential as the ledger keeps it (`service/<name>`, `webhook`)."""

    name: str
    digest: str
    sealed: str = ""  # "": the token cannot be shown again (only checked)
    previous_digest: str = ""
    previous_until: float | None = None
    rotated_at: float | None = None

    def accepts(self, token: str, now: float) -> bool:
        """Whether `token` is this credential's, or the replaced one's within its grace. Both
        digests are always compared, in constant time, so the answer's timing tells nothing."""
        given = digest(token)
        current = hmac.compare_digest(given, self.digest)
        in_grace = self.previous_until is not None and now < self.previous_until
        previous = hmac.compare_digest(given, self.previous_digest or DIGEST_PREFIX)
        return current or (previous and in_grace)


def digest(token: str) -> str:
    return DIGEST_PREFIX + hashlib.sha256(token.encode()).hexdigest()


class Sealer:
    """Seals and opens the tokens the gateway shows again; the key comes from a secret."""

    def __init__(self, secret: str) -> None:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"oscar credential seal")
        self._aead = AESGCM(hkdf.derive(secret.encode()))

    def seal(self, token: str, *, name: str) -> str:
        nonce = os.urandom(12)
        box = self._aead.encrypt(nonce, token.encode(), name.encode())
        return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + box).decode()

    def open(self, sealed: str, *, name: str) -> str | None:
        """The token, or None when it was sealed under another key (the callback key changed:
        the token still passes, but cannot be shown; rotate it for one that can)."""
        if not sealed.startswith(SEALED_PREFIX):
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed[len(SEALED_PREFIX) :])
            return self._aead.decrypt(raw[:12], raw[12:], name.encode()).decode()
        except (InvalidTag, ValueError):
            return None

    def credential(self, name: str, token: str, *, shown: bool) -> Credential:
        """A new credential for `token`; `shown`: keep a sealed copy to show it again."""
        sealed = self.seal(token, name=name) if shown else ""
        return Credential(name=name, digest=digest(token), sealed=sealed)
