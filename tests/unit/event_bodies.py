"""Event bodies recorded from MinIO and AWS S3 (under events/); `tests.support.events` builds
the others."""

from __future__ import annotations

from pathlib import Path

EVENTS = Path(__file__).parent / "events"
RECORDED = sorted(path.name for path in EVENTS.glob("*.json"))


def recorded(name: str) -> bytes:
    """The bytes of a recorded event, exactly as the server sent them."""
    return (EVENTS / name).read_bytes()
