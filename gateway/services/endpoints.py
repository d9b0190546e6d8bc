"""Other S3 endpoints than the platform's MinIO: where an FDL's storage provider keeps a
service's input or output (OSCAR's `storage_providers`), with the keys to reach it."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

INPUT, OUTPUT = "input", "output"  # the sides of a service an endpoint serves


@dataclass(frozen=True)
class Endpoint:
    """One S3 endpoint and its keys: another MinIO (`minio.<id>`) or S3 itself (`s3.<id>`)."""

    url: str  # http(s)://host[:port]
    access_key: str
    secret_key: str = field(repr=False)
    region: str = "us-east-1"

    @property
    def netloc(self) -> str:
        """host:port, how the gateway names the endpoint (in `/events?storage=`)."""
        return urlsplit(self.url).netloc

    @property
    def secure(self) -> bool:
        return urlsplit(self.url).scheme == "https"
