"""AWS Signature Version 4 for the supervisor's S3 requests, in the Authorization header.

Facts from AWS's "Authenticating Requests: Using the Authorization Header" for S3: the canonical
request (method, URI-encoded path, sorted query, lower-cased signed headers, payload hash), the
string to sign over its SHA-256 and the day's scope, and the signing key derived from the secret
by HMAC through the day, the region, `s3` and `aws4_request` (kept for the day here). Bodies go
unsigned (`UNSIGNED-PAYLOAD`, which S3 and MinIO accept): hashing each object before sending it
cost minio-py a pass over every byte.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

UNSIGNED = "UNSIGNED-PAYLOAD"
ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class Keys:
    access_key: str
    secret_key: str


def encoded_path(bucket: str, key: str = "") -> str:
    """A path-style object path as S3 canonicalises it: every byte but the unreserved
    characters and `/` percent-encoded (UTF-8), never normalised."""
    path = f"/{bucket}/{key}" if key else f"/{bucket}"
    return quote(path, safe="/~")


def canonical_query(query: Mapping[str, str]) -> str:
    pairs = sorted((quote(k, safe="~"), quote(v, safe="~")) for k, v in query.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


class Signer:
    """Signs requests for one access key in one region; thread-safe."""

    def __init__(self, keys: Keys, region: str) -> None:
        self._keys = keys
        self._region = region
        self._lock = threading.Lock()
        self._day_key: tuple[str, bytes] = ("", b"")  # the signing key of that day

    def headers(
        self,
        method: str,
        host: str,
        path: str,
        *,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        payload: str = UNSIGNED,
        now: datetime | None = None,
    ) -> dict[str, str]:
        """`headers` with Host, X-Amz-Date, X-Amz-Content-Sha256 and Authorization added, all
        of them signed. `path` is already encoded (`encoded_path`), `query` canonical."""
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        signed = {k.lower(): " ".join(str(v).split()) for k, v in (headers or {}).items()}
        signed.update({"host": host, "x-amz-date": stamp, "x-amz-content-sha256": payload})
        names = sorted(signed)
        listed = ";".join(names)
        canonical = "\n".join(
            (method, path, query, "".join(f"{n}:{signed[n]}\n" for n in names), listed, payload)
        )
        day = stamp[:8]
        scope = f"{day}/{self._region}/s3/aws4_request"
        to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{_sha256(canonical.encode())}"
        signature = hmac.new(self._key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        signed["authorization"] = (
            f"{ALGORITHM} Credential={self._keys.access_key}/{scope}, "
            f"SignedHeaders={listed}, Signature={signature}"
        )
        return signed

    def _key(self, day: str) -> bytes:
        with self._lock:
            known, key = self._day_key
        if known == day:
            return key
        key = f"AWS4{self._keys.secret_key}".encode()
        for part in (day, self._region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        with self._lock:
            self._day_key = (day, key)
        return key


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
