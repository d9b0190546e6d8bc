"""The supervisor's lean S3 client (supervisor.storage.S3Storage over supervisor.s3) against a
real MinIO: what it reads and writes is what minio-py sees, its failures are the supervisor's
errors, and its calls share kept-alive connections."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
from minio import Minio
from minio.commonconfig import ENABLED
from minio.versioningconfig import VersioningConfig

from contract.records import Created
from supervisor.config import StorageConfig
from supervisor.errors import InputNotFound, OutputRejected, StorageUnavailable
from supervisor.minio_storage import MinioStorage
from supervisor.storage import S3Storage, open_storage
from tests.support.minio_server import ACCESS_KEY, SECRET_KEY, MinioInstance


def _address(minio_server: MinioInstance) -> str:
    return urlsplit(minio_server.endpoint).netloc  # host:port, as the supervisor's config has it


@pytest.fixture
def config(minio_server: MinioInstance) -> StorageConfig:
    return StorageConfig(_address(minio_server), False, ACCESS_KEY, SECRET_KEY, "us-east-1")


@pytest.fixture
def storage(config: StorageConfig) -> Iterator[S3Storage]:
    opened = S3Storage(config, pool_size=4)
    yield opened
    opened.close()


def _ref(bucket: str, key: str, version_id: str | None = None) -> Created:
    record = {"s3": {"bucket": {"name": bucket}, "object": {"key": key}}}
    return Created(
        bucket=bucket,
        key=key,
        etag=None,
        version_id=version_id,
        size=None,
        event_name="s3:ObjectCreated:Put",
        event_time="",
        record=record,
    )


def test_a_download_writes_the_objects_bytes_across_pieces_and_counts_them(
    storage: S3Storage, s3: Minio, buckets: tuple[str, str], tmp_path: Path
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # four 1 MiB pieces, the last one short
    s3.put_object(buckets[0], "in/big.bin", io.BytesIO(data), len(data))

    written = storage.download(_ref(buckets[0], "in/big.bin"), tmp_path / "big.bin")

    assert written == len(data)
    assert (tmp_path / "big.bin").read_bytes() == data


@pytest.mark.parametrize(
    "key", ["out/a file with spaces+plus=eq&amp;.txt", "out/ünïcødé/日本語.txt", "out/~tilde_-.x"]
)
def test_an_upload_under_an_unusual_name_is_the_object_minio_py_reads(
    storage: S3Storage, s3: Minio, buckets: tuple[str, str], tmp_path: Path, key: str
) -> None:
    source = tmp_path / "result.txt"
    source.write_bytes(b"result of " + key.encode())

    storage.upload(buckets[1], key, source)

    answer = s3.get_object(buckets[1], key)
    assert answer.read() == source.read_bytes()
    assert answer.headers["Content-Type"] == "text/plain"
    again = tmp_path / "again.txt"
    assert storage.download(_ref(buckets[1], key), again) == source.stat().st_size


def test_a_version_of_an_object_is_read_as_that_version(
    storage: S3Storage, s3: Minio, tmp_path: Path
) -> None:
    bucket = f"versioned-{uuid.uuid4().hex[:8]}"
    s3.make_bucket(bucket)
    s3.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    first = s3.put_object(bucket, "in/doc.txt", io.BytesIO(b"first"), 5)
    s3.put_object(bucket, "in/doc.txt", io.BytesIO(b"second!"), 7)

    storage.download(_ref(bucket, "in/doc.txt", first.version_id), tmp_path / "doc.txt")

    assert (tmp_path / "doc.txt").read_bytes() == b"first"


def test_a_missing_input_or_bucket_is_input_not_found(
    storage: S3Storage, buckets: tuple[str, str], tmp_path: Path
) -> None:
    with pytest.raises(InputNotFound, match="NoSuchKey"):
        storage.download(_ref(buckets[0], "in/none.bin"), tmp_path / "none.bin")
    with pytest.raises(InputNotFound, match="NoSuchBucket"):
        storage.download(_ref("no-such-bucket-x1", "k"), tmp_path / "other.bin")


def test_an_output_to_a_missing_bucket_is_rejected_naming_the_fix(
    storage: S3Storage, tmp_path: Path
) -> None:
    source = tmp_path / "out.txt"
    source.write_text("x")

    with pytest.raises(OutputRejected, match=r"NoSuchBucket.*output bucket exists"):
        storage.upload("no-such-bucket-x2", "out/x.txt", source)


def test_a_record_is_none_until_written_and_its_bucket_is_made_on_the_first_write(
    storage: S3Storage, s3: Minio
) -> None:
    bucket = f"records-{uuid.uuid4().hex[:8]}"
    assert storage.read_bytes(bucket, "calls/a.json") is None

    storage.write_bytes(bucket, "calls/a.json", b'{"ok": true}')

    assert s3.bucket_exists(bucket)
    assert storage.read_bytes(bucket, "calls/a.json") == b'{"ok": true}'
    assert storage.read_bytes(bucket, "calls/b.json") is None


def test_a_wrong_secret_is_storage_unavailable_with_s3s_code_and_no_secret(
    minio_server: MinioInstance, buckets: tuple[str, str], tmp_path: Path
) -> None:
    wrong = StorageConfig(_address(minio_server), False, ACCESS_KEY, "not-the-secret", "us-east-1")

    refused = S3Storage(wrong)
    with pytest.raises(StorageUnavailable, match="SignatureDoesNotMatch") as failure:
        refused.download(_ref(buckets[0], "in/x"), tmp_path / "x")
    refused.close()
    assert "not-the-secret" not in failure.value.message


def test_calls_one_after_another_share_one_kept_alive_connection(
    storage: S3Storage, s3: Minio, buckets: tuple[str, str], tmp_path: Path, config: StorageConfig
) -> None:
    s3.put_object(buckets[0], "in/a.txt", io.BytesIO(b"a"), 1)
    port = int(config.endpoint.rsplit(":", 1)[1])
    before = _connections_to(port)  # minio-py's, of the test's own client

    for n in range(6):
        storage.download(_ref(buckets[0], "in/a.txt"), tmp_path / f"a{n}")
        storage.write_bytes(buckets[1], f"calls/{n}.json", b"{}")
        assert storage.read_bytes(buckets[1], f"calls/{n}.json") == b"{}"

    assert len(_connections_to(port) - before) == 1


def _connections_to(port: int) -> set[int]:
    """The local ports of this process's established connections to `port`."""
    return {
        c.laddr.port
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    }


def test_aws_endpoints_keep_minio_py_and_every_other_endpoint_gets_the_lean_client() -> None:
    def chosen(endpoint: str) -> type:
        return type(open_storage(StorageConfig(endpoint, True, "a", "b", "eu-west-1")))

    assert chosen("s3.amazonaws.com") is MinioStorage
    assert chosen("s3.eu-west-1.amazonaws.com:443") is MinioStorage
    assert chosen("s3.cn-north-1.amazonaws.com.cn") is MinioStorage
    assert chosen("minio.oscar.svc:9000") is S3Storage
    assert chosen("127.0.0.1:9000") is S3Storage
    assert chosen("notamazonaws.com") is S3Storage
