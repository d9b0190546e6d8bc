"""`oscar run SVC FILE` against the fake gateway: upload, answer, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oscar_cli import progress
from tests.unit.cli.conftest import Oscar, fails
from tests.unit.cli.fake_gateway import Answer, FakeGateway, service

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture
def grayify(fake: FakeGateway, stack: Path) -> FakeGateway:
    fake.services["grayify"] = service("grayify")
    return fake


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    path.write_bytes(PNG)
    return path


def png_answer(name: str = "photo.png") -> Answer:
    return Answer(
        200,
        b"grey " + PNG,
        {"Content-Type": "image/png", "Content-Disposition": f"attachment; filename={name}"},
    )


def test_run_sends_the_file_with_the_service_token_and_prints_a_text_answer(
    oscar: Oscar, grayify: FakeGateway, tmp_path: Path
) -> None:
    (tmp_path / "in.txt").write_text("hello\n", encoding="utf-8")
    result = oscar("run", "grayify", "in.txt")
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello\n"
    sent = grayify.last("POST", "/run/grayify")
    assert sent.body == b"hello\n"
    assert sent.headers["authorization"] == "Bearer token-of-grayify"
    assert sent.headers["x-filename"] == "in.txt"
    assert sent.headers["x-oscar-input"] == "raw"
    assert sent.headers["content-length"] == "6"


def test_run_writes_a_binary_answer_to_the_file_its_content_disposition_names(
    oscar: Oscar, grayify: FakeGateway, photo: Path, tmp_path: Path
) -> None:
    grayify.run_answers["grayify"] = png_answer("grey.png")
    result = oscar("run", "grayify", "photo.png")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "grey.png").read_bytes() == b"grey " + PNG
    assert "wrote grey.png" in result.stderr
    assert result.stdout == ""


def test_run_never_overwrites_a_file_in_the_way_such_as_the_input(
    oscar: Oscar, grayify: FakeGateway, photo: Path, tmp_path: Path
) -> None:
    grayify.run_answers["grayify"] = png_answer("photo.png")
    result = oscar("run", "grayify", "photo.png")
    assert result.exit_code == 0, result.output
    assert photo.read_bytes() == PNG
    assert (tmp_path / "photo-1.png").read_bytes() == b"grey " + PNG
    assert "wrote photo-1.png" in result.stderr


def test_run_decodes_a_utf8_file_name_in_content_disposition(
    oscar: Oscar, grayify: FakeGateway, photo: Path, tmp_path: Path
) -> None:
    grayify.run_answers["grayify"] = Answer(
        200,
        b"zip",
        {
            "Content-Type": "application/zip",
            "Content-Disposition": "attachment; filename*=UTF-8''gr%C3%BCn.zip",
        },
    )
    assert oscar("run", "grayify", "photo.png").exit_code == 0
    assert (tmp_path / "grün.zip").read_bytes() == b"zip"


@pytest.mark.parametrize("where", ["out.png", "folder", "-"])
def test_run_output_option_takes_a_file_a_folder_or_stdout(
    oscar: Oscar, grayify: FakeGateway, photo: Path, tmp_path: Path, where: str
) -> None:
    (tmp_path / "folder").mkdir()
    grayify.run_answers["grayify"] = png_answer("grey.png")
    result = oscar("run", "grayify", "photo.png", "-o", where)
    assert result.exit_code == 0, result.output
    if where == "-":
        assert result.stdout_bytes == b"grey " + PNG
    else:
        target = tmp_path / ("out.png" if where == "out.png" else "folder/grey.png")
        assert target.read_bytes() == b"grey " + PNG


def test_run_reads_standard_input_for_a_dash(oscar: Oscar, grayify: FakeGateway) -> None:
    result = oscar("run", "grayify", "-", input=b"from stdin")
    assert result.exit_code == 0, result.output
    assert result.stdout == "from stdin"
    sent = grayify.last("POST", "/run/grayify")
    assert sent.headers.get("transfer-encoding") == "chunked"
    assert sent.headers["x-filename"] == "stdin"


def test_run_names_a_non_ascii_input_in_content_disposition(
    oscar: Oscar, grayify: FakeGateway, tmp_path: Path
) -> None:
    (tmp_path / "grün.txt").write_text("x", encoding="utf-8")
    assert oscar("run", "grayify", "grün.txt").exit_code == 0
    sent = grayify.last("POST", "/run/grayify")
    assert sent.headers["content-disposition"] == "attachment; filename*=UTF-8''gr%C3%BCn.txt"


def test_run_shows_progress_for_big_files(
    oscar: Oscar, grayify: FakeGateway, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "BIG", 100)
    grayify.run_answers["grayify"] = png_answer("grey.png")
    result = oscar("run", "grayify", "photo.png")
    assert result.exit_code == 0, result.output
    assert "sending photo.png" in result.stderr
    assert "grey.png" in result.stderr


def test_run_failed_script_exits_1_with_the_error_and_its_log_tail(
    oscar: Oscar, grayify: FakeGateway, photo: Path
) -> None:
    failure = {"error": "the script exited with 3", "exit_code": 3, "log_tail": "step 1\nboom\n"}
    grayify.run_answers["grayify"] = Answer(
        500, json.dumps(failure).encode(), {"Content-Type": "application/json"}
    )
    result = oscar("run", "grayify", "photo.png")
    fails(result, 1, "grayify failed", "the script exited with 3", "HTTP 500")
    assert result.stderr.splitlines()[1:] == ["--- log tail ---", "step 1", "boom"]


def test_run_input_the_service_refuses_exits_2(
    oscar: Oscar, grayify: FakeGateway, photo: Path
) -> None:
    grayify.run_answers["grayify"] = Answer(
        400, b'{"error": "malformed event"}', {"Content-Type": "application/json"}
    )
    fails(oscar("run", "grayify", "photo.png"), 2, "grayify refused the input", "malformed event")


def test_run_of_an_unknown_service_exits_4(oscar: Oscar, stack: Path, photo: Path) -> None:
    fails(oscar("run", "ghost", "photo.png"), 4, "service ghost does not exist", "oscar services")


def test_run_of_a_missing_file_exits_2_before_calling_anything(
    oscar: Oscar, grayify: FakeGateway
) -> None:
    fails(oscar("run", "grayify", "nothing.png"), 2, "nothing.png", "does not exist")
    assert grayify.requests == []


def test_run_into_a_folder_that_does_not_exist_exits_2_before_calling_anything(
    oscar: Oscar, grayify: FakeGateway, photo: Path
) -> None:
    fails(oscar("run", "grayify", "photo.png", "-o", "no/such/out.png"), 2, "no/such")
    assert grayify.requests == []


def test_run_with_a_token_the_gateway_refuses_exits_5_naming_the_service_token(
    oscar: Oscar, grayify: FakeGateway, photo: Path
) -> None:
    grayify.run_answers["grayify"] = Answer(
        403, b'{"error": "the token is not valid"}', {"Content-Type": "application/json"}
    )
    fails(oscar("run", "grayify", "photo.png"), 5, "refused the token of service grayify")
