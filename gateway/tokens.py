"""Tokens: the signed callback URL of each attempt, and constant-time comparisons (every
secret the gateway checks goes through `same`, or `gateway.credentials` for the ledger's)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(given: str | None, expected: str) -> bool:
    """Constant time, and length-blind: the digests are compared, not the strings (comparing
    strings of different lengths tells an attacker the length)."""
    if given is None:
        return False
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), fingerprint(expected))


def fingerprint(secret: str) -> bytes:
    """What a secret is kept as where only a match is needed (a session's key in memory)."""
    return hashlib.sha256(secret.encode()).digest()


class CallbackSigner:
    """Callbacks carry `sig=HMAC(job:call)`: only the attempt they were issued for is accepted."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def sign(self, job_id: str, call_id: str) -> str:
        return hmac.new(self._key, f"{job_id}:{call_id}".encode(), hashlib.sha256).hexdigest()

    def valid(self, job_id: str, call_id: str, signature: str | None) -> bool:
        return same(signature, self.sign(job_id, call_id))


def callback_jobs(job_id: str, batch: str | None) -> list[str]:
    """The jobs a callback URL names: its job, and the rest of its batch (`&batch=id,id`).
    The URL is signed for all of them together (`CallbackSigner.sign(",".join(jobs), call)`)."""
    return [job_id, *(part for part in (batch or "").split(",") if part)]
