"""The ledger's credentials (gateway.credentials): digests and sealed copies, never a token.

One row per credential (`service/<name>`, `webhook`), shared by every replica on the database:
a token issued or rotated by one gateway is the one every other gateway checks."""

from __future__ import annotations

from gateway.credentials import Credential
from gateway.jobs.sql import Database, Row


class SqlCredentials:
    _db: Database

    def credential(self, name: str) -> Credential | None:
        with self._db.read() as db:
            row = db.one("SELECT * FROM credentials WHERE name=?", (name,))
        return _credential(row) if row else None

    def add_credential(self, new: Credential) -> Credential:
        """`new` unless a credential of its name exists (issued by another replica, or before
        a restart): then that one. Either way, the one every replica uses."""
        with self._db.write() as db:
            db.run(
                "INSERT INTO credentials (name, digest, sealed) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (new.name, new.digest, new.sealed),
            )
            row = db.one("SELECT * FROM credentials WHERE name=?", (new.name,))
        assert row is not None
        return _credential(row)

    def rotate_credential(
        self, new: Credential, *, previous_until: float, now: float
    ) -> Credential:
        """`new` replaces the credential of its name, whose digest is still accepted until
        `previous_until` (a token replaced by an earlier rotation ends now)."""
        with self._db.write() as db:
            lock = self._db.lock_row  # two rotations at once: one after the other
            old = db.one("SELECT * FROM credentials WHERE name=?" + lock, (new.name,))  # noqa: S608
            db.run(
                "INSERT INTO credentials (name, digest, sealed, previous_digest, previous_until,"
                " rotated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " digest=excluded.digest, sealed=excluded.sealed,"
                " previous_digest=excluded.previous_digest,"
                " previous_until=excluded.previous_until, rotated_at=excluded.rotated_at",
                (
                    *(new.name, new.digest, new.sealed),
                    old["digest"] if old else "",
                    previous_until if old else None,
                    now,
                ),
            )
            row = db.one("SELECT * FROM credentials WHERE name=?", (new.name,))
        assert row is not None
        return _credential(row)


def _credential(row: Row) -> Credential:
    return Credential(
        name=str(row["name"]),
        digest=str(row["digest"]),
        sealed=str(row["sealed"]),
        previous_digest=str(row["previous_digest"]),
        previous_until=row["previous_until"],
        rotated_at=row["rotated_at"],
    )
