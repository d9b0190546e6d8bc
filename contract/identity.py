"""What tells one upload of a key from another: the version id where the bucket keeps versions,
else the etag. Both deployables decide it with this one rule."""

from __future__ import annotations


def kept_version(version_id: object) -> str | None:
    """A version id that tells one upload from another, or None: a bucket that keeps no
    versions has none (""), and one whose versioning is suspended names its versions "null"."""
    if not version_id or version_id == "null":
        return None
    return str(version_id)
