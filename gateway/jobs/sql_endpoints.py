"""The keys of other S3 endpoints than the platform's MinIO (an FDL's storage providers), kept
in the ledger: every gateway sharing it sets notifications and lists objects there, also after
a restart (OpenFaaS secrets, where the functions get the same keys, cannot be read back)."""

from __future__ import annotations

from gateway.jobs.sql import Database
from gateway.services.endpoints import Endpoint


class SqlEndpoints:
    _db: Database

    def save_endpoint(self, endpoint: Endpoint) -> None:
        """Remember `endpoint`'s keys under its host:port (the newest keys win)."""
        with self._db.write() as db:
            db.run(
                "INSERT INTO storage_endpoints (netloc, url, region, access_key, secret_key)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (netloc) DO UPDATE SET url=excluded.url,"
                " region=excluded.region, access_key=excluded.access_key,"
                " secret_key=excluded.secret_key",
                (
                    endpoint.netloc,
                    endpoint.url,
                    endpoint.region,
                    endpoint.access_key,
                    endpoint.secret_key,
                ),
            )

    def endpoint(self, netloc: str) -> Endpoint | None:
        with self._db.read() as db:
            row = db.one("SELECT * FROM storage_endpoints WHERE netloc=?", (netloc,))
        if row is None:
            return None
        return Endpoint(row["url"], row["access_key"], row["secret_key"], row["region"])
