"""Hostile input for the fuzz tier: hypothesis strategies, and the settings every property uses.

Notifications are built from parts that are each either well formed or junk, so one strategy
covers MinIO's real shape, near misses (a key that is a number, an `s3` that is a list) and
nonsense. Keys mix MinIO's escaping with names no file system likes.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
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


# ---- Hostile HTTP on the wire (issue 10): raw bytes to a real server, its raw answer back ----

MALFORMED_REQUESTS: dict[str, bytes] = {
    "garbage line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    "no version": b"GET /health\r\n\r\n",
    "unknown version": b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
    "header without colon": b"GET /health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
    "control byte in a header": b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    "bare LF line ends": b"GET /health HTTP/1.1\nHost: x\n\n",
    "oversized header": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "
    + b"a" * 100_000
    + b"\r\n\r\n",
    "oversized request line": b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "ten thousand headers": b"GET /health HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-%d: v\r\n" % i for i in range(10_000))
    + b"\r\n",
    "letters for a length": b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
    "negative length": b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "length and chunked": b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "unknown transfer coding": b"POST /events HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: gzip\r\n\r\nxx",
    "bad chunk size": b"POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"zz\r\nab\r\n0\r\n\r\n",
    "chunk longer than it says": b"POST /events HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n",
    "huge chunk size": b"POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"ffffffffffffffffffff\r\nab\r\n0\r\n\r\n",
}


MALFORMED_REQUESTS |= {
    "space before colon": b"GET /health HTTP/1.1\r\nHost : x\r\n\r\n",
    "two lengths": b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
    b"Content-Length: 3\r\n\r\n{}x",
    "a fold before any header": b"GET /health HTTP/1.1\r\n folded\r\nHost: x\r\n\r\n",
}
# Answered like the well-formed request it resembles, never a 5xx: RFC 9112 lets a server
# unfold obsolete line folding into the header it continues.
TOLERATED_REQUESTS: dict[str, bytes] = {
    "obsolete line folding": b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
}


def exchange(port: int, data: bytes, *, timeout: float = 15.0, host: str = "127.0.0.1") -> bytes:
    """Send `data` on a fresh connection, half-close it, and read until the server closes."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # a server may close before taking it all
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def statuses(answer: bytes) -> list[int]:
    """The status codes of every response in `answer`, in order (pipelined answers too: each
    starts right after the body before it, so a body that holds a status line would count)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", answer)]
