"""Retention: a succeeded job older than the configured age is stripped to its identity (its row
stays, for dedup: neither MinIO's replay of its event nor the reconciler runs its object again),
its event, log tail, outputs and attempts dropped, a batch at a time."""

from __future__ import annotations

from gateway.jobs.sql import Session

# Spelled as migration 5's partial index is (jobs_prunable), so that both databases use it.
PRUNABLE = (
    "SELECT id FROM jobs WHERE status='succeeded' AND pruned_at IS NULL"
    " AND finished_at<? ORDER BY finished_at LIMIT ?"
)
STRIP = "UPDATE jobs SET event='', log_tail='', outputs='[]', error='', pruned_at=? WHERE id IN "
FORGET_ATTEMPTS = "DELETE FROM attempts WHERE job_id IN "


def strip_batch(db: Session, *, before: float, now: float, batch: int, lock: str) -> int:
    """Strip up to `batch` of the oldest succeeded jobs finished before `before`; returns how
    many. Two statements a batch, not two a job (each a round trip on PostgreSQL); `lock` is
    the database's suffix that locks the rows it picks, skipping those another replica holds."""
    ids = [row["id"] for row in db.rows(PRUNABLE + lock, (before, batch))]
    if ids:
        marks = "(" + ", ".join("?" * len(ids)) + ")"
        db.run(STRIP + marks, (now, *ids))
        db.run(FORGET_ATTEMPTS + marks, ids)
    return len(ids)
