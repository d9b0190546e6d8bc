"""Tokens: the signed callback URL of each attempt, and constant-time comparisons."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


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
