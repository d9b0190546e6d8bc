"""Hostile input for the fuzz tier: hypothesis strategies, and the settings every property uses.

Notifications are built from parts that are each either well formed or junk, so one strategy
covers MinIO's real shape, near misses (a key that is a number, an `s3` that is a list) and
nonsense. Keys mix MinIO's escaping with names no file system likes.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.support.events import escape_key

# Reproducible in CI (derandomize), no example database written into the work tree.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CREATED_NAMES = (
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectCreated:Copy",
    "ObjectCreated:Put",
)
OTHER_NAMES = ("s3:ObjectRemoved:Delete", "s3:ObjectAccessed:Get", "s3:TestEvent", "", "Put")
ODD_KEYS = (
    "..",
    ".",
    "../../../etc/passwd",
    "in/../../../../etc/shadow",
    "in/./a/../b.png",
    "%2e%2e%2f%2e%2e%2fetc",
    "in/a+b%2Bc%2Fd.png",
    "in/100%.png",
    "in/%zz%",
    "in/\x00.png",
    "in/a\x00b.jpg",
    "/in/leading-slash.png",
    "in/trailing/",
    "in//double//slash.jpg",
    "in/ünïcødé/文件.png",
    "in/emoji-\U0001f600.jpg",
    "in/\u202egnp.exe",
    "in/ spaced name .png",
    "in/\ud800lone-surrogate.png",
    "in/" + "k" * 1000,
    "in/" + ("d" * 250 + "/") * 4 + "n" * 300 + ".png",
)
BUCKETS = ("photos", "docs", "thumbs", "other")

# Any JSON value, nested: what a field holds when it holds the wrong thing.
junk: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def _joined(parts: tuple[str, str, str]) -> str:
    return "".join(parts)


plain_keys = st.tuples(
    st.sampled_from(["in/", "in/sub/", "", "out/"]),
    st.text(min_size=1, max_size=30),
    st.sampled_from(["", ".png", ".jpg", ".txt"]),
).map(_joined)


# Keys as MinIO would send them: query-escaped, sometimes; raw text otherwise.
object_keys = st.one_of(st.sampled_from(ODD_KEYS), plain_keys).flatmap(
    lambda key: st.sampled_from([key, escape_key(key)])
)


def _field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a valid value, sometimes junk."""
    return st.one_of(valid, valid, valid, junk)


def _object() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"key": _field(object_keys)},
        optional={
            "eTag": _field(st.text(alphabet="0123456789abcdef", min_size=1, max_size=4)),
            "versionId": _field(st.sampled_from(["", "v1", "v2"])),
            "size": _field(st.integers(min_value=0)),
        },
    )


def _s3() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {
            "bucket": _field(st.fixed_dictionaries({"name": _field(st.sampled_from(BUCKETS))})),
            "object": _field(_object()),
        }
    )


records: st.SearchStrategy[Any] = _field(
    st.fixed_dictionaries(
        {"eventName": _field(st.sampled_from(CREATED_NAMES + OTHER_NAMES)), "s3": _field(_s3())},
        optional={"eventTime": st.text(max_size=30), "awsRegion": junk},
    )
)
notifications: st.SearchStrategy[Any] = st.one_of(
    st.fixed_dictionaries(
        {"Records": st.lists(records, max_size=6)},
        optional={"EventName": st.text(max_size=20), "Key": st.text(max_size=20)},
    ),
    st.fixed_dictionaries({"Records": junk}),
    junk,
)


def as_body(document: Any) -> bytes:
    """JSON as a sender would write it: escapes for what UTF-8 cannot carry (lone surrogates)."""
    return json.dumps(document).encode()


# Header values the WSGI layer can carry: latin-1 text without line breaks.
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
)
header_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
    min_size=1,
    max_size=20,
)
