"""A synchronous call: the body is the input, the answer is the output (through the watchdog)."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator

import requests

from provider.sandbox.replica import Replica

Start = Callable[..., Replica]


def test_one_output_comes_back_as_its_bytes_with_a_content_type(run_function: Start) -> None:
    function = run_function("ok")

    response = requests.post(
        function.url, data=b"abc\x00def", headers={"X-Filename": "report.txt"}, timeout=30
    )

    assert response.status_code == 200, response.text
    assert response.content == b"ABC\x00DEF"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "report.txt" in response.headers["Content-Disposition"]
    assert float(response.headers["X-Duration-Seconds"]) > 0


def test_several_outputs_come_back_as_a_zip(run_function: Start) -> None:
    function = run_function("tree")

    response = requests.post(function.url, data=b"anything", timeout=30)

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["a/x.txt", "b/c/y.txt"]
    assert archive.read("a/x.txt") == b"first\n"


def test_no_output_answers_with_the_scripts_stdout_only(run_function: Start) -> None:
    function = run_function("stdout")

    response = requests.post(function.url, data=b"12345", timeout=30)

    assert response.status_code == 200, response.text
    assert response.content == b"bytes=5\n"
    assert response.headers["Content-Type"].startswith("text/plain")


def test_base64_convention_decodes_the_body_and_encodes_the_answer(run_function: Start) -> None:
    function = run_function("ok")
    payload = bytes(range(256)) * 10

    response = requests.post(
        function.url,
        data=base64.b64encode(payload),
        headers={"X-Oscar-Base64": "true", "X-Filename": "blob.bin"},
        timeout=30,
    )

    assert response.status_code == 200, response.text
    expected = payload.translate(
        bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    )
    assert base64.b64decode(response.content) == expected


def test_invalid_base64_is_a_400_with_a_reason(run_function: Start) -> None:
    function = run_function("ok")

    response = requests.post(
        function.url, data=b"not*base64!", headers={"X-Oscar-Base64": "true"}, timeout=30
    )

    assert response.status_code == 400
    assert "base64" in response.json()["error"]


def test_a_large_body_streams_through_without_loss(run_function: Start) -> None:
    function = run_function("ok")
    size = 64 * 1024 * 1024
    block = b"0123456789abcdef" * 4096
    digest = hashlib.sha256()

    def body() -> Iterator[bytes]:
        for _ in range(size // len(block)):
            digest.update(block)
            yield block

    response = requests.post(
        function.url, data=body(), headers={"X-Filename": "big.txt"}, timeout=120, stream=True
    )
    received = hashlib.sha256()
    length = 0
    for chunk in response.iter_content(1 << 20):
        received.update(chunk.lower())
        length += len(chunk)

    assert response.status_code == 200
    assert length == size
    assert received.hexdigest() == digest.hexdigest()


def test_a_json_file_sent_synchronously_is_processed_not_taken_for_an_event(
    run_function: Start,
) -> None:
    function = run_function("ok")

    response = requests.post(function.url, json={"hello": "world"}, timeout=30)

    assert response.status_code == 200, response.text
    assert response.content == b'{"HELLO": "WORLD"}'
