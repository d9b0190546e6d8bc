"""The supervisor's request signing (supervisor.sigv4) against AWS's published example and
against minio-py's signer for the names and queries our calls send."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from minio.credentials.credentials import Credentials
from minio.signer import sign_v4_s3

from supervisor.sigv4 import Keys, Signer, canonical_query, encoded_path

# AWS's "Example: GET Object" (Signature Version 4, Authorization header, S3 API reference).
AWS_KEYS = Keys("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
WHEN = datetime(2013, 5, 24, tzinfo=UTC)


def test_the_aws_get_object_example_signs_to_its_published_signature() -> None:
    signed = Signer(AWS_KEYS, "us-east-1").headers(
        "GET",
        "examplebucket.s3.amazonaws.com",
        "/test.txt",
        headers={"Range": "bytes=0-9"},
        payload=EMPTY_SHA256,
        now=WHEN,
    )

    assert signed["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    assert signed["x-amz-date"] == "20130524T000000Z"


@pytest.mark.parametrize(
    ("key", "query"),
    [
        ("in/photo.png", {}),
        ("in/a file with spaces+plus=eq&amp.txt", {}),
        ("in/ünïcødé/日本語.txt", {}),
        ("calls/0123abcd.json", {"versionId": "3f1b-9a/x+y"}),
    ],
)
def test_unsigned_requests_sign_as_minio_py_signs_them(key: str, query: dict[str, str]) -> None:
    path, canonical = encoded_path("bucket-1", key), canonical_query(query)
    headers = {"Content-Type": "application/octet-stream", "Content-Length": "1024"}
    ours = Signer(Keys("access", "secret/key+1"), "eu-west-1").headers(
        "PUT", "127.0.0.1:9000", path, query=canonical, headers=headers, now=WHEN
    )
    url = urlsplit(f"http://127.0.0.1:9000{path}" + (f"?{canonical}" if canonical else ""))
    theirs = sign_v4_s3(
        method="PUT",
        url=url,
        region="eu-west-1",
        headers={
            **headers,
            "Host": "127.0.0.1:9000",
            "x-amz-date": "20130524T000000Z",
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        },
        credentials=Credentials("access", "secret/key+1"),
        content_sha256="UNSIGNED-PAYLOAD",
        date=WHEN,
    )

    assert ours["authorization"].replace(", ", ",") == str(theirs["Authorization"]).replace(
        ", ", ","
    )


def test_an_object_path_keeps_its_slashes_and_escapes_everything_else() -> None:
    assert encoded_path("b", "a b/c+d~e_f.g-h") == "/b/a%20b/c%2Bd~e_f.g-h"
    assert encoded_path("b") == "/b"


def test_a_new_day_signs_with_a_new_key() -> None:
    signer = Signer(AWS_KEYS, "us-east-1")
    first = signer.headers("GET", "h", "/b/k", now=WHEN)["authorization"]
    again = signer.headers("GET", "h", "/b/k", now=WHEN)["authorization"]
    later = signer.headers("GET", "h", "/b/k", now=datetime(2013, 5, 25, tzinfo=UTC))

    assert first == again
    assert "/20130525/" in later["authorization"]
    assert later["authorization"].split("Signature=")[1] != first.split("Signature=")[1]
