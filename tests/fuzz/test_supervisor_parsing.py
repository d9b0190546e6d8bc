"""The supervisor's event parser and key mapping with hostile input: a storage event or a 400,
and local paths that never leave the folder they are joined to."""

from __future__ import annotations

import json
import posixpath
from pathlib import PurePosixPath
from urllib.parse import unquote_plus

from hypothesis import example, given
from hypothesis import strategies as st

from contract.paths import StoragePath
from supervisor.errors import BadRequest
from supervisor.event import parse, sniff
from supervisor.keys import MAX_NAME_BYTES, local_name, output_key, relative_dir
from tests.fuzz.hostile import CREATED_NAMES, FUZZ, ODD_KEYS, as_body, notifications

BASE = PurePosixPath("/workspace/job-1")
bodies = st.one_of(
    st.binary(max_size=300),
    notifications.map(as_body),
    notifications.map(as_body).flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n])),
)
# Any code point, lone surrogates included: keys arrive as JSON, which can spell them.
any_text = st.text(st.characters(exclude_categories=()), max_size=40)
segments = st.one_of(
    st.sampled_from(["..", ".", "", " ", "\x00", "..\x00", " .. ", "k" * 300, "é" * 200]),
    any_text,
)
keys = st.one_of(
    st.lists(segments, max_size=6).map("/".join),
    st.sampled_from(ODD_KEYS).map(unquote_plus),
)
prefixes = st.sampled_from(["", "in", "in/sub", "..", "a/../b", "in/" + "p" * 300])


def _nameable(text: str) -> bool:
    return "\x00" not in text and len(text.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES


def _inside(base: PurePosixPath, relative: PurePosixPath) -> bool:
    joined = posixpath.normpath(str(base / relative))
    return joined == str(base) or joined.startswith(f"{base}/")


@FUZZ
@given(body=bodies)
@example(body=b"[" * 100_000)
@example(body=b'{"Records": [' + b"{" * 50_000)
@example(body=b'{"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": "\\ud800"}}}]}')
@example(body=b'{"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": "a%00b"}}}]}')
@example(
    body=b'{"Records": [{"eventName": "s3:ObjectCreated:Put", "eventTime": "\\u0000",'
    b' "s3": {"bucket": {"name": "b"}, "object": {"key": "k"}}}]}'
)
def test_any_body_parses_into_a_storage_event_or_a_bad_request(body: bytes) -> None:
    try:
        event = parse(body)
    except BadRequest as e:
        assert e.status == 400
        assert e.message
        return

    records = json.loads(body).get("Records", [])
    assert len(event.objects) + len(event.skipped) == len(records)
    for ref in event.objects:
        assert ref.event_name.startswith(CREATED_NAMES)
        # Bucket, key and time become file names and script environment values.
        for text in (ref.bucket, ref.key, ref.event_time):
            assert "\x00" not in text
            text.encode("utf-8")
        assert ref.bucket and ref.key
        assert ref.size is None or isinstance(ref.size, int)


@FUZZ
@given(body=bodies)
@example(body=b"[" * 100_000)
@example(body=b'{"Records": [' + b"[" * 100_000)
def test_sniffing_any_body_never_fails_and_only_takes_notification_shapes(body: bytes) -> None:
    found = sniff(body)

    if found is not None:
        records = found.get("Records")
        if found.get("Event") != "s3:TestEvent":
            assert isinstance(records, list)
            assert all(isinstance(r, dict) and "s3" in r for r in records)


@FUZZ
@given(key=keys)
@example(key="n" * 300 + ".\ud800png")
@example(key="d/" + "é" * 130 + ".é")
def test_an_object_key_becomes_one_file_name_inside_its_folder(key: str) -> None:
    name = local_name(key)

    assert name not in {"", ".", ".."}
    assert "/" not in name
    assert _nameable(name)
    assert _inside(BASE / "in", PurePosixPath(name))


@FUZZ
@given(key=keys, prefix=prefixes, with_input=st.booleans())
@example(key="n" * 300 + ".\ud800png/x", prefix="", with_input=False)
def test_an_input_folder_maps_to_a_folder_inside_the_output_root(
    key: str, prefix: str, with_input: bool
) -> None:
    relative = relative_dir(key, StoragePath("photos", prefix) if with_input else None)

    assert not relative.is_absolute()
    assert all(part not in {"", ".", ".."} and _nameable(part) for part in relative.parts)
    assert _inside(BASE / "out", relative)


@FUZZ
@given(key=keys, prefix=prefixes)
def test_output_keys_stay_under_the_output_prefix(key: str, prefix: str) -> None:
    target = StoragePath.parse(f"results/{prefix}")
    relative = relative_dir(key, StoragePath("photos", "in")) / local_name(key)

    written = output_key(target, relative)

    below = written.removeprefix(f"{target.prefix}/") if target.prefix else written
    assert below == relative.as_posix()
    assert not set(below.split("/")) & {"", ".", ".."}
