"""`supervisor.app`: the HTTP face, through Flask's test client over the in-memory storage."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest
from flask.testing import FlaskClient

from supervisor.app import create_app
from supervisor.job import Runner
from supervisor.storage import Storage
from tests.support.responses import json_object
from tests.unit.event_bodies import recorded
from tests.unit.fake_storage import ExplodingStorage, FakeStorage

if TYPE_CHECKING:
    from tests.unit.conftest import MakeConfig

COPY = 'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/$(basename "$INPUT_FILE_PATH")"'
PHOTO = ("images", "photos/2024/my photo.jpg")


class MakeClient(Protocol):
    def __call__(
        self, script: str = ..., *, with_storage: Storage | None = ..., **env: str
    ) -> FlaskClient: ...


@pytest.fixture
def make_client(make_config: MakeConfig, storage: FakeStorage) -> MakeClient:
    """A test client for an app running `script`, with the fake storage unless told otherwise."""

    def make(
        script: str = COPY, *, with_storage: Storage | None = storage, **env: str
    ) -> FlaskClient:
        config = make_config(script, **env)
        app = create_app(config, runner=Runner(config=config, storage=with_storage))
        return app.test_client()

    return make


def test_an_event_body_is_answered_with_json_results(
    make_client: MakeClient, storage: FakeStorage, workspace_root: Path
) -> None:
    storage.objects[PHOTO] = b"jpeg"
    client = make_client(COPY, INPUT_PATH="images/photos", OUTPUT_PATH="results/processed")

    response = client.post("/", data=recorded("minio_put.json"), content_type="application/json")

    assert response.status_code == 200
    document = json_object(response)
    assert document["status"] == "succeeded"
    assert document["skipped"] == []
    assert isinstance(document["duration_seconds"], float)
    [result] = document["results"]
    assert result["bucket"] == "images"
    assert result["key"] == "photos/2024/my photo.jpg"
    assert result["outputs"] == ["processed/2024/my photo.jpg"]
    assert result["exit_code"] == 0
    assert storage.uploads == {("results", "processed/2024/my photo.jpg"): b"jpeg"}
    assert not any(workspace_root.iterdir())


def test_an_event_with_only_a_delete_is_answered_with_what_was_skipped(
    make_client: MakeClient, storage: FakeStorage
) -> None:
    client = make_client()

    response = client.post(
        "/", data=recorded("minio_delete.json"), content_type="application/json; charset=utf-8"
    )

    assert response.status_code == 200
    document = json_object(response)
    assert document["results"] == []
    [skipped] = document["skipped"]
    assert skipped["key"] == "photos/old picture.jpg"
    assert skipped["event"] == "s3:ObjectRemoved:Delete"
    assert "not an object creation" in skipped["reason"]
    assert storage.downloads == []


def test_a_plain_text_body_is_answered_with_the_output_bytes(
    make_client: MakeClient, workspace_root: Path
) -> None:
    client = make_client()

    with client.post(
        "/", data=b"hello world", content_type="text/plain", headers={"X-Filename": "note.txt"}
    ) as response:
        assert response.status_code == 200
        assert response.data == b"hello world"
        assert response.mimetype == "text/plain"
        assert response.headers["X-Output-Name"] == "note.txt"
        assert "note.txt" in response.headers["Content-Disposition"]
        assert response.headers["Content-Length"] == "11"
    # The workspace lives until the response is closed, then it is gone.
    assert not any(workspace_root.iterdir())


def test_json_that_is_not_an_event_is_processed_as_a_file(make_client: MakeClient) -> None:
    client = make_client()
    body = json.dumps({"name": "a JSON document to process"}).encode()

    with client.post("/", data=body, content_type="application/json") as response:
        assert response.status_code == 200
        assert response.data == body


def test_raw_input_header_forces_an_event_shaped_body_to_be_a_file(
    make_client: MakeClient, storage: FakeStorage
) -> None:
    client = make_client()
    body = recorded("minio_put.json")

    with client.post(
        "/", data=body, content_type="application/json", headers={"X-Oscar-Input": "raw"}
    ) as response:
        assert response.status_code == 200
        assert response.data == body
    assert storage.downloads == []


def test_event_input_header_forces_an_event_whatever_the_content_type(
    make_client: MakeClient, storage: FakeStorage
) -> None:
    storage.objects[PHOTO] = b"jpeg"
    client = make_client(OUTPUT_PATH="out")

    response = client.post(
        "/",
        data=recorded("minio_put.json"),
        content_type="application/octet-stream",
        headers={"X-Oscar-Input": " Event "},
    )

    assert response.status_code == 200
    assert json_object(response)["results"][0]["outputs"] == ["photos/2024/my photo.jpg"]


def test_event_input_header_with_a_body_that_is_no_event_is_a_400(
    make_client: MakeClient,
) -> None:
    response = make_client().post(
        "/", data=b"just text", content_type="text/plain", headers={"X-Oscar-Input": "event"}
    )

    assert response.status_code == 400
    assert "not JSON" in json_object(response)["error"]


def test_a_bad_input_header_value_is_a_json_400(make_client: MakeClient) -> None:
    response = make_client().post(
        "/", data=b"x", content_type="text/plain", headers={"X-Oscar-Input": "file"}
    )

    assert response.status_code == 400
    error = json_object(response)["error"]
    assert "X-Oscar-Input" in error
    assert "'file'" in error


@pytest.mark.parametrize("path", ["/", "/anything/below"])
def test_get_is_a_json_405(make_client: MakeClient, path: str) -> None:
    response = make_client().get(path)

    assert response.status_code == 405
    assert "POST a file" in json_object(response)["error"]


def test_another_method_is_a_json_405(make_client: MakeClient) -> None:
    response = make_client().delete("/")

    assert response.status_code == 405
    assert "error" in json_object(response)


def test_ready_answers_ready(make_client: MakeClient) -> None:
    response = make_client().get("/ready")

    assert response.status_code == 200
    assert json_object(response) == {"status": "ready"}


def test_a_missing_input_is_a_json_404(make_client: MakeClient, workspace_root: Path) -> None:
    response = make_client(OUTPUT_PATH="out").post(
        "/", data=recorded("minio_put.json"), content_type="application/json"
    )

    assert response.status_code == 404
    assert "photos/2024/my photo.jpg" in json_object(response)["error"]
    assert not any(workspace_root.iterdir())


def test_a_script_failure_is_a_json_500_with_exit_code_and_log(
    make_client: MakeClient, storage: FakeStorage
) -> None:
    storage.objects[PHOTO] = b"jpeg"
    client = make_client('echo "no space for thumbnails" >&2\nexit 4', OUTPUT_PATH="out")

    response = client.post("/", data=recorded("minio_put.json"), content_type="application/json")

    assert response.status_code == 500
    document = json_object(response)
    assert document["exit_code"] == 4
    assert document["log_tail"] == "no space for thumbnails\n"
    assert "code 4" in document["error"]
    assert storage.uploads == {}


def test_a_sync_script_failure_is_a_json_500(make_client: MakeClient) -> None:
    response = make_client("echo oops >&2\nexit 2").post("/", data=b"x", content_type="text/plain")

    assert response.status_code == 500
    assert json_object(response)["exit_code"] == 2


def test_a_timeout_is_a_json_504(make_client: MakeClient) -> None:
    response = make_client("sleep 120", SCRIPT_TIMEOUT="0.3").post(
        "/", data=b"x", content_type="text/plain"
    )

    assert response.status_code == 504
    assert json_object(response)["timed_out"] is True


def test_a_storage_event_without_storage_is_a_json_503(make_client: MakeClient) -> None:
    response = make_client(with_storage=None).post(
        "/", data=recorded("minio_put.json"), content_type="application/json"
    )

    assert response.status_code == 503
    assert "S3_ENDPOINT" in json_object(response)["error"]


def test_an_unexpected_exception_in_the_runner_is_a_json_500_not_html(
    make_client: MakeClient, workspace_root: Path
) -> None:
    client = make_client(OUTPUT_PATH="out", with_storage=ExplodingStorage())

    response = client.post("/", data=recorded("minio_put.json"), content_type="application/json")

    assert response.status_code == 500
    assert json_object(response) == {"error": "internal error in the supervisor: RuntimeError"}
    assert b"<html" not in response.data.lower()
    assert not any(workspace_root.iterdir())


def test_several_outputs_are_answered_as_a_zip(make_client: MakeClient) -> None:
    script = f'{COPY}\nmkdir "$TMP_OUTPUT_DIR/sub"\necho two > "$TMP_OUTPUT_DIR/sub/two.txt"'

    with make_client(script).post(
        "/", data=b"one", content_type="text/plain", headers={"X-Filename": "one.txt"}
    ) as response:
        assert response.status_code == 200
        assert response.mimetype == "application/zip"
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            contents = {name: archive.read(name) for name in archive.namelist()}
    assert contents == {"one.txt": b"one", "sub/two.txt": b"two\n"}


def test_no_outputs_are_answered_with_the_scripts_stdout(make_client: MakeClient) -> None:
    with make_client('echo "size: $(wc -c < "$INPUT_FILE_PATH")"').post(
        "/", data=b"12345", content_type="text/plain"
    ) as response:
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        assert response.data == b"size: 5\n"


def test_base64_header_decodes_the_body_and_encodes_the_answer(make_client: MakeClient) -> None:
    data = bytes(range(256))

    with make_client().post(
        "/",
        data=base64.encodebytes(data),
        content_type="text/plain",
        headers={"X-Oscar-Base64": "true", "X-Filename": "blob.bin"},
    ) as response:
        assert response.status_code == 200
        assert response.headers["X-Content-Encoding-Base64"] == "true"
        assert base64.b64decode(response.data) == data


def test_invalid_base64_is_a_json_400(make_client: MakeClient, workspace_root: Path) -> None:
    response = make_client().post(
        "/", data=b"%%%not base64", content_type="text/plain", headers={"X-Oscar-Base64": "1"}
    )

    assert response.status_code == 400
    assert "base64" in json_object(response)["error"]
    assert not any(workspace_root.iterdir())


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"headers": {"X-Filename": "from-header.csv"}}, "from-header.csv"),
        ({"query_string": {"filename": "from-query.csv"}}, "from-query.csv"),
        ({"headers": {"Content-Disposition": 'attachment; filename="cd.csv"'}}, "cd.csv"),
        ({"content_type": "image/png"}, "input.png"),
        ({"content_type": "application/octet-stream"}, "input.bin"),
    ],
)
def test_the_input_file_is_named_from_the_request(
    make_client: MakeClient, kwargs: dict[str, Any], name: str
) -> None:
    client = make_client('basename "$INPUT_FILE_PATH"')

    with client.post("/", data=b"x", **kwargs) as response:
        assert response.data.decode().strip() == name


def test_content_disposition_parameters_after_the_filename_are_not_part_of_it(
    make_client: MakeClient,
) -> None:
    client = make_client('basename "$INPUT_FILE_PATH"')
    disposition = 'attachment; filename="report.csv"; size=1'

    with client.post("/", data=b"x", headers={"Content-Disposition": disposition}) as response:
        assert response.data.decode().strip() == "report.csv"


def test_a_body_over_the_functions_limit_is_a_413_naming_the_setting(
    make_client: MakeClient, workspace_root: Path
) -> None:
    client = make_client(COPY, SUPERVISOR_MAX_BODY_BYTES="10")

    declared = client.post("/", data=b"x" * 11, content_type="text/plain")
    chunked = client.post(
        "/",
        input_stream=io.BytesIO(b"x" * 12),
        content_type="text/plain",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as cheroot sets it for chunks
    )
    left_behind = list(workspace_root.glob("job-*"))
    within = client.post("/", data=b"x" * 10, content_type="text/plain")

    assert declared.status_code == 413
    assert "SUPERVISOR_MAX_BODY_BYTES" in json_object(declared)["error"]
    assert chunked.status_code == 413, chunked.data
    assert within.status_code == 200
    assert not left_behind, "a refused body left its workspace"
