"""MinIO as the gateway uses it: buckets, bucket notifications, listings for the reconciler,
and for the dashboard's files page, folders, uploads, downloads, deletes and presigned links.

Notifications: every service's input becomes rules on one static webhook target (MinIO sends
one event per target, so rules for the same target must not overlap: prefixes are merged to the
smallest covering set and suffixes are left to the gateway's own routing). Rules of other targets
on the same bucket are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.commonconfig import ENABLED, Filter
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error
from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule
from minio.notificationconfig import NotificationConfig, PrefixFilterRule, QueueConfig

from contract.identity import kept_version
from gateway.errors import BadRequest, GatewayError, NotFound, UpstreamError

RULE_PREFIX = "oscar-"
EXPIRY_RULE = "oscar-expiry"  # the lifecycle rule that prunes the results bucket's records
REFUSED_NAMES = {
    "InvalidBucketName",
    "XMinioInvalidObjectName",
    "InvalidObjectName",
    "KeyTooLongError",
    "XMinioInvalidResourceName",
}


@dataclass(frozen=True)
class Listed:
    """The current version of an object, as a listing finds it."""

    key: str
    etag: str
    version_id: str | None  # None unless the bucket keeps versions

    @property
    def identity(self) -> str:
        """What tells this upload from another of the same key (contract.identity)."""
        return self.version_id or self.etag


@dataclass(frozen=True)
class Entry:
    """One level of a folder listing: a sub-folder (`folder`, key ends in /) or an object."""

    key: str
    folder: bool
    size: int
    modified: float | None


class Storage:
    def __init__(
        self, endpoint: str, *, access_key: str, secret_key: str, secure: bool, target_arn: str
    ) -> None:
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5.0, read=60.0),
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
        )
        self._client = Minio(endpoint, access_key, secret_key, secure=secure, http_client=http)
        self._endpoint = endpoint
        self.target_arn = target_arn

    def ensure_bucket(self, bucket: str) -> None:
        try:
            if not self._client.bucket_exists(bucket):
                self._client.make_bucket(bucket)
        except S3Error as e:
            if e.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise self._error(f"create bucket {bucket}", e) from e
        except (MinioException, urllib3.exceptions.HTTPError) as e:
            raise self._error(f"create bucket {bucket}", e) from e

    def expire_objects(self, bucket: str, *, days: int | None) -> None:
        """A lifecycle rule of ours (`oscar-expiry`) on `bucket`: MinIO deletes each object
        `days` after it was written; None removes the rule. Other rules are kept as they are."""
        try:
            found = self._client.get_bucket_lifecycle(bucket)
            rules = [r for r in (found.rules if found else []) if r.rule_id != EXPIRY_RULE]
            if days is not None:
                rules.append(
                    Rule(
                        ENABLED,
                        rule_filter=Filter(prefix=""),
                        rule_id=EXPIRY_RULE,
                        expiration=Expiration(days=days),
                    )
                )
            if rules:
                self._client.set_bucket_lifecycle(bucket, LifecycleConfig(rules))
            elif found is not None:
                self._client.delete_bucket_lifecycle(bucket)
        except (MinioException, urllib3.exceptions.HTTPError) as e:
            raise self._error(f"set the lifecycle of bucket {bucket}", e) from e

    def set_input_prefixes(self, bucket: str, prefixes: Iterable[str]) -> bool:
        """Make our target's rules on `bucket` cover exactly `prefixes` (merged); keep others'.
        Returns whether it had to write them (another writer may have dropped ours: a gateway
        of another target rewrites the same bucket's configuration)."""
        wanted = merge_prefixes(prefixes)
        try:
            current = self._client.get_bucket_notification(bucket)
            kept, present = [], []
            for q in current.queue_config_list:
                if q.queue == self.target_arn and (q.config_id or "").startswith(RULE_PREFIX):
                    present.append(q.prefix_filter_rule.value if q.prefix_filter_rule else "")
                else:
                    kept.append(q)
            if sorted(present) == sorted(wanted):
                return False
            ours = [
                QueueConfig(
                    ["s3:ObjectCreated:*"],
                    queue=self.target_arn,
                    config_id=f"{RULE_PREFIX}{index}",
                    prefix_filter_rule=PrefixFilterRule(prefix) if prefix else None,
                )
                for index, prefix in enumerate(wanted)
            ]
            self._client.set_bucket_notification(
                bucket,
                NotificationConfig(
                    cloud_func_config_list=current.cloud_func_config_list,
                    queue_config_list=kept + ours,
                    topic_config_list=current.topic_config_list,
                ),
            )
        except (MinioException, urllib3.exceptions.HTTPError) as e:
            raise self._error(f"set notifications on {bucket}", e) from e
        return True

    def objects(self, bucket: str, prefix: str) -> Iterator[Listed]:
        """The current version of every object under `prefix` (delete markers skipped).

        Versions are listed so that, in a versioned bucket, the identity is the version id, as
        in MinIO's events; elsewhere MinIO lists the version "null" and the etag is the identity.
        """
        try:
            for item in self._client.list_objects(
                bucket, prefix=prefix, recursive=True, include_version=True
            ):
                if not item.object_name or item.is_dir or item.is_delete_marker:
                    continue
                if item.is_latest is not None and str(item.is_latest).lower() != "true":
                    continue
                etag = (item.etag or "").strip('"')
                yield Listed(item.object_name, etag, kept_version(item.version_id))
        except (MinioException, urllib3.exceptions.HTTPError) as e:
            raise self._error(f"list {bucket}/{prefix}", e) from e

    def bucket_names(self) -> list[str]:
        try:
            return sorted(b.name for b in self._client.list_buckets())
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as e:
            raise self._failed("list buckets", e) from e

    def browse(self, bucket: str, prefix: str) -> list[Entry]:
        """The folders and objects directly under `prefix` (a folder: ends in / or is "")."""
        try:
            return [
                Entry(
                    key=item.object_name or "",
                    folder=bool(item.is_dir),
                    size=item.size or 0,
                    modified=item.last_modified.timestamp() if item.last_modified else None,
                )
                for item in self._client.list_objects(bucket, prefix=prefix, recursive=False)
            ]
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as e:
            raise self._failed(f"list {bucket}/{prefix}", e) from e

    def put(self, bucket: str, key: str, data: BinaryIO, *, length: int, content_type: str) -> str:
        """Stores the object; its etag."""
        try:
            written = self._client.put_object(
                bucket, key, data, length, content_type=content_type or "application/octet-stream"
            )
            return (written.etag or "").strip('"')
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as e:
            raise self._failed(f"upload {bucket}/{key}", e) from e

    def get(self, bucket: str, key: str) -> tuple[Iterator[bytes], str, int]:
        """The object's bytes as chunks, its content type and its length."""
        try:
            answer = self._client.get_object(bucket, key)
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as e:
            raise self._failed(f"download {bucket}/{key}", e) from e

        def chunks() -> Iterator[bytes]:
            try:
                yield from answer.stream(64 * 1024)
            finally:
                answer.close()
                answer.release_conn()

        kind = answer.headers.get("Content-Type", "application/octet-stream")
        return chunks(), kind, int(answer.headers.get("Content-Length", "0"))

    def read(self, bucket: str, key: str) -> bytes | None:
        """A small object's bytes (a result record); None when it or its bucket is missing."""
        try:
            answer = self._client.get_object(bucket, key)
            try:
                return answer.read()
            finally:
                answer.close()
                answer.release_conn()
        except S3Error as e:
            if e.code in {"NoSuchKey", "NoSuchBucket"}:
                return None
            raise self._error(f"read {bucket}/{key}", e) from e
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as e:
            raise self._error(f"read {bucket}/{key}", e) from e

    def remove(self, bucket: str, key: str) -> None:
        try:
            self._client.remove_object(bucket, key)
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as e:
            raise self._failed(f"delete {bucket}/{key}", e) from e

    def presign(self, bucket: str, key: str, *, seconds: int) -> str:
        """A URL anyone may GET the object with, for `seconds`."""
        try:
            return self._client.presigned_get_object(
                bucket, key, expires=timedelta(seconds=seconds)
            )
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as e:
            raise self._failed(f"presign {bucket}/{key}", e) from e

    def _failed(self, action: str, error: Exception) -> GatewayError:
        """For the files routes: a missing bucket or object is the caller's 404, a name MinIO
        (or its client, with a ValueError) refuses the caller's 400."""
        if isinstance(error, ValueError) or (
            isinstance(error, S3Error) and error.code in REFUSED_NAMES
        ):
            return BadRequest(f"MinIO refused to {action}: {str(error)[:300]}; check the name")
        if isinstance(error, S3Error) and error.code in {"NoSuchKey", "NoSuchBucket"}:
            return NotFound(f"MinIO could not {action}: {error.code}; check the bucket and key")
        return self._error(action, error)

    def remove_bucket(self, bucket: str) -> None:
        """The bucket and every object in it (as OSCAR's DELETE /system/buckets/<b> does)."""
        try:
            doomed = (
                DeleteObject(o.object_name, o.version_id)
                for o in self._client.list_objects(bucket, recursive=True, include_version=True)
                if o.object_name
            )
            for failure in self._client.remove_objects(bucket, doomed):
                raise self._error(f"empty bucket {bucket}", Exception(str(failure)))
            self._client.remove_bucket(bucket)
        except S3Error as e:
            if e.code == "NoSuchBucket":
                raise NotFound(f"bucket {bucket!r} does not exist") from e
            raise self._error(f"remove bucket {bucket}", e) from e
        except (MinioException, urllib3.exceptions.HTTPError) as e:
            raise self._error(f"remove bucket {bucket}", e) from e

    def presigned(self, bucket: str, key: str, *, method: str, expires: int) -> str:
        try:
            return self._client.get_presigned_url(
                method, bucket, key, expires=timedelta(seconds=expires)
            )
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as e:
            raise self._error(f"presign {method} {bucket}/{key}", e) from e

    def _error(self, action: str, error: Exception) -> UpstreamError:
        return UpstreamError(f"MinIO at {self._endpoint} failed to {action}: {str(error)[:300]}")


def merge_prefixes(prefixes: Iterable[str]) -> list[str]:
    """The smallest set of non-overlapping key prefixes covering all of `prefixes`.

    `""` covers everything; `in/` covers `in/sub/`. Prefixes name folders, so `in` and `inbox`
    do not overlap: each is compared with a trailing slash.
    """
    folders = sorted({p.strip("/") + "/" if p.strip("/") else "" for p in prefixes})
    if "" in folders:
        return [""]
    merged: list[str] = []
    for folder in folders:
        if not any(folder.startswith(kept) for kept in merged):
            merged.append(folder)
    return merged
