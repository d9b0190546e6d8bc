"""`supervisor.keys`: untrusted object keys become local names that stay where they are put."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract.paths import StoragePath
from supervisor.keys import MAX_NAME_BYTES, local_name, output_key, relative_dir, safe_component


@pytest.mark.parametrize("part", ["", ".", "..", "   ", "\x00", "\x00..\x00", " .. "])
def test_segments_that_name_no_file_are_dropped(part: str) -> None:
    assert safe_component(part) is None


def test_nul_bytes_are_removed_from_a_name() -> None:
    assert safe_component("re\x00port\x00.pdf") == "report.pdf"


@pytest.mark.parametrize(
    "name", ["a.jpg", "my photo (1).jpg", "ünïcødé.txt", ".hidden", "...", "a..b"]
)
def test_ordinary_names_are_kept_as_they_are(name: str) -> None:
    assert safe_component(name) == name


def test_a_name_of_exactly_255_bytes_is_kept() -> None:
    name = "a" * 251 + ".jpg"

    assert safe_component(name) == name


def test_a_name_over_255_bytes_is_shortened_keeping_its_suffix() -> None:
    name = "a" * 300 + ".jpg"

    short = safe_component(name)

    assert short is not None
    assert len(short.encode("utf-8")) <= MAX_NAME_BYTES
    assert short.endswith(".jpg")
    assert short.startswith("a" * 100)


def test_shortening_is_deterministic() -> None:
    name = "b" * 400 + ".png"

    assert safe_component(name) == safe_component(name)


def test_two_long_names_with_the_same_start_map_to_different_names() -> None:
    start = "x" * 300
    first = safe_component(start + "-first.txt")
    second = safe_component(start + "-second.txt")

    assert first is not None and second is not None
    assert first != second
    assert first.endswith(".txt") and second.endswith(".txt")


def test_a_suffix_too_long_to_be_a_real_extension_is_not_kept() -> None:
    long_suffix = "." + "s" * 40
    short = safe_component("n" * 300 + long_suffix)

    assert short is not None
    assert len(short.encode("utf-8")) <= MAX_NAME_BYTES
    assert not short.endswith(long_suffix)


@pytest.mark.parametrize("char", ["é", "€", "😀"])
def test_shortening_never_splits_a_multi_byte_character(char: str) -> None:
    name = char * 200 + ".txt"
    assert len(name.encode("utf-8")) > MAX_NAME_BYTES

    short = safe_component(name)

    assert short is not None
    encoded = short.encode("utf-8")
    assert len(encoded) <= MAX_NAME_BYTES
    assert "\ufffd" not in short
    head = short.split("-")[0]
    assert head and set(head) == {char}
    # It fills the room it has: at most one character short of the byte budget.
    room = MAX_NAME_BYTES - len(".txt") - 16 - 1
    assert room - len(char.encode("utf-8")) < len(head.encode("utf-8")) <= room


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("photos/2024/my photo.jpg", "my photo.jpg"),
        ("top.txt", "top.txt"),
        ("photos/2024/", "2024"),
        ("photos/..", "photos"),
        ("a/b/./", "b"),
        ("../../etc/passwd", "passwd"),
        ("/absolute/path.txt", "path.txt"),
        ("nul\x00name.txt", "nulname.txt"),
    ],
)
def test_local_name_is_the_last_safe_segment(key: str, name: str) -> None:
    assert local_name(key) == name


@pytest.mark.parametrize("key", ["", "/", "..", "../..", "././/."])
def test_local_name_falls_back_to_the_default(key: str) -> None:
    assert local_name(key) == "input"
    assert local_name(key, default="body.bin") == "body.bin"


def test_local_name_of_a_long_key_segment_fits_a_file_name() -> None:
    name = local_name("folder/" + "z" * 1000 + ".csv")

    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert name.endswith(".csv")


@pytest.mark.parametrize(
    ("key", "prefix", "folder"),
    [
        ("photos/2024/a.jpg", None, "photos/2024"),
        ("photos/2024/a.jpg", "", "photos/2024"),
        ("photos/2024/a.jpg", "photos", "2024"),
        ("photos/2024/05/a.jpg", "photos/2024", "05"),
        ("photos/2024/a.jpg", "photos/2024", ""),
        ("a.jpg", "photos", ""),
        ("a.jpg", None, ""),
        # Outside the prefix: the key's own folder.
        ("other/x/a.jpg", "photos", "other/x"),
        # A prefix matches whole segments, not the start of a segment.
        ("photos2024/a.jpg", "photos", "photos2024"),
        # `..`, `.` and empty segments are removed wherever they are.
        ("photos/../../etc/a.jpg", "photos", "etc"),
        ("../../../a.jpg", None, ""),
        ("/abs//./x/../y/a.jpg", None, "abs/x/y"),
    ],
)
def test_relative_dir_is_the_folder_below_the_input_prefix(
    key: str, prefix: str | None, folder: str
) -> None:
    input_path = None if prefix is None else StoragePath(bucket="in", prefix=prefix)

    assert relative_dir(key, input_path) == PurePosixPath(folder)


def test_relative_dir_never_holds_a_parent_segment() -> None:
    folder = relative_dir("../a/../../b/c.txt", StoragePath(bucket="in", prefix="a"))

    assert ".." not in folder.parts
    assert folder == PurePosixPath("a/b")


@pytest.mark.parametrize(
    ("prefix", "relative", "key"),
    [
        ("results", "2024/a.jpg", "results/2024/a.jpg"),
        ("results/deep", "a.jpg", "results/deep/a.jpg"),
        ("", "2024/a.jpg", "2024/a.jpg"),
        ("", "a.jpg", "a.jpg"),
    ],
)
def test_output_key_joins_the_output_prefix_and_the_relative_path(
    prefix: str, relative: str, key: str
) -> None:
    assert output_key(StoragePath(bucket="out", prefix=prefix), PurePosixPath(relative)) == key


_TRICKY_SEGMENTS = st.sampled_from(
    ["", ".", "..", " .. ", "\x00", "\x00..", "a", "é" * 130, "x" * 300 + ".jpg", "😀" * 70, "~"]
)
_KEYS = st.one_of(
    st.text(),
    st.lists(st.one_of(_TRICKY_SEGMENTS, st.text(max_size=20)), max_size=8).map("/".join),
)
_PREFIXES = st.one_of(st.none(), st.sampled_from(["", "a", "..", "a/..", "photos/2024"]))


@settings(database=None, deadline=None, max_examples=300)
@given(key=_KEYS, prefix=_PREFIXES)
def test_paths_built_from_any_key_stay_inside_the_base_folder(
    tmp_path_factory: pytest.TempPathFactory, key: str, prefix: str | None
) -> None:
    base = tmp_path_factory.getbasetemp().resolve() / "base"
    input_path = None if prefix is None else StoragePath(bucket="in", prefix=prefix)

    folder = relative_dir(key, input_path)
    name = local_name(key)
    built = base.joinpath(*folder.parts, name)

    assert built.resolve().is_relative_to(base)
    assert built.resolve() != base
    for component in (*folder.parts, name):
        assert component not in {"", ".", ".."}
        assert "/" not in component and "\x00" not in component
        assert len(component.encode("utf-8")) <= MAX_NAME_BYTES


def test_the_property_test_would_catch_an_escaping_path(tmp_path: Path) -> None:
    # The check used above does reject a path that climbs out of the base folder.
    base = tmp_path.resolve() / "base"

    assert not base.joinpath("..", "elsewhere").resolve().is_relative_to(base)
