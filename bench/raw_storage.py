"""The baselines' own storage work: minio-py with nothing of the platform around it."""

from __future__ import annotations

from pathlib import Path

from minio import Minio

CHUNK = 1 << 20  # what the supervisor streams downloads with; the baselines do the same


def download(s3: Minio, bucket: str, key: str, dest: Path, *, mode: str = "xb") -> int:
    """get_object streamed to `dest` in CHUNK pieces, as the supervisor's storage module does."""
    written = 0
    response = s3.get_object(bucket, key)
    try:
        with dest.open(mode) as out:
            for chunk in response.stream(CHUNK):
                out.write(chunk)
                written += len(chunk)
    finally:
        response.close()
        response.release_conn()
    return written
