"""Services come from function annotations or environment; routing and rule merging."""

from __future__ import annotations

import pytest

from contract.paths import StoragePath
from gateway.clients.storage import merge_prefixes
from gateway.errors import BadRequest, InvalidService
from gateway.jobs.events import parse_notification
from gateway.services.model import Service, route
from tests.support.events import minio_event, minio_record


def status(
    name: str, *, env: dict[str, str] | None = None, annotations: dict[str, str] | None = None
) -> dict[str, object]:
    return {"name": name, "envVars": env or {}, "annotations": annotations or {}}


def test_a_function_with_input_path_in_its_environment_is_a_service() -> None:
    service = Service.from_function(
        status("grey", env={"INPUT_PATH": "img/in", "OUTPUT_PATH": "img/out"})
    )

    assert service is not None
    assert service.input == StoragePath("img", "in")
    assert service.output == StoragePath("img", "out")
    assert service.max_attempts == 3


def test_annotations_win_over_the_environment_and_set_suffixes_and_limits() -> None:
    service = Service.from_function(
        status(
            "grey",
            env={"INPUT_PATH": "img/in"},
            annotations={
                "oscar.input": "photos/new",
                "oscar.suffix": ".jpg, .png",
                "oscar.max_attempts": "5",
                "oscar.concurrency": "2",
            },
        )
    )

    assert service is not None
    assert service.input == StoragePath("photos", "new")
    assert service.suffixes == (".jpg", ".png")
    assert (service.max_attempts, service.concurrency) == (5, 2)


def test_a_function_without_input_is_not_a_service() -> None:
    assert Service.from_function(status("plain", env={"OUTPUT_PATH": "b/out"})) is None


@pytest.mark.parametrize(("source", "target"), [("b/in", "b/in/out"), ("b/in", "b"), ("b", "b/x")])
def test_an_output_inside_its_own_input_is_refused(source: str, target: str) -> None:
    with pytest.raises(InvalidService, match="overlaps"):
        Service.from_function(status("loop", env={"INPUT_PATH": source, "OUTPUT_PATH": target}))


def test_a_bad_annotation_names_itself() -> None:
    with pytest.raises(InvalidService, match=r"oscar\.max_attempts"):
        Service.from_function(
            status("x", annotations={"oscar.input": "b/in", "oscar.max_attempts": "many"})
        )


def test_routing_matches_bucket_prefix_folder_and_suffix() -> None:
    jpg = Service("jpg", StoragePath("b", "in"), None, suffixes=(".jpg",))
    everything = Service("all", StoragePath("b", ""), None)
    other = Service("other", StoragePath("c", "in"), None)
    services = [jpg, everything, other]

    assert [s.name for s in route(services, "b", "in/a.jpg")] == ["jpg", "all"]
    assert [s.name for s in route(services, "b", "in/a.png")] == ["all"]
    assert [s.name for s in route(services, "b", "inbox/a.jpg")] == ["all"]
    assert route(services, "d", "in/a.jpg") == []


def test_prefixes_merge_to_the_smallest_covering_set() -> None:
    assert merge_prefixes(["in", "in/sub", "inbox"]) == ["in/", "inbox/"]
    assert merge_prefixes(["a", ""]) == [""]
    assert merge_prefixes([]) == []


def test_notifications_decode_keys_and_ignore_deletes() -> None:
    body = minio_event(
        minio_record("b", "in/my photo(1).jpg", etag="e1"),
        minio_record("b", "in/gone.jpg", event_name="s3:ObjectRemoved:Delete"),
    )

    announced, ignored = parse_notification(body)

    assert [(a.bucket, a.key, a.identity) for a in announced] == [("b", "in/my photo(1).jpg", "e1")]
    assert ignored == 1


def test_a_version_id_is_the_identity_unless_it_is_the_null_version() -> None:
    def record(key: str, version: str) -> dict[str, object]:
        return minio_record("b", key, etag=f"etag-of-{key}", versionId=version)

    body = minio_event(record("kept", "3b1d2f6e"), record("suspended", "null"), record("plain", ""))

    announced, _ = parse_notification(body)

    assert [a.identity for a in announced] == ["3b1d2f6e", "etag-of-suspended", "etag-of-plain"]


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"Records": [1]}', b'{"Records": [{"s3": {"bucket": {}}}]}']
)
def test_a_malformed_notification_is_a_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_notification(body)
