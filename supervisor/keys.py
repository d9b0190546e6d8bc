"""Map object keys to local paths and local paths back to output keys, safely.

An object key is untrusted text: it may hold `..`, a leading `/`, characters a file system refuses
or names longer than 255 bytes. Every path built here stays inside the folder it is joined to.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

from contract.paths import StoragePath

MAX_NAME_BYTES = 255


def safe_component(part: str) -> str | None:
    """One key segment as a file name, or None for segments that must be dropped (`.`, `..`)."""
    cleaned = part.replace("\x00", "").strip()
    if cleaned in {"", ".", ".."}:
        return None
    encoded = cleaned.encode("utf-8", "surrogatepass")
    if len(encoded) <= MAX_NAME_BYTES:
        return cleaned
    # Too long for a file name: keep the start and the suffix, and a digest so that two long
    # names that share their first bytes still map to different files.
    suffix = PurePosixPath(cleaned).suffix
    suffix_bytes = len(suffix.encode("utf-8", "surrogatepass"))  # keys may hold lone surrogates
    suffix, suffix_bytes = (suffix, suffix_bytes) if suffix_bytes <= 16 else ("", 0)
    digest = hashlib.sha256(encoded).hexdigest()[:16]
    room = MAX_NAME_BYTES - suffix_bytes - len(digest) - 1
    head = encoded[:room].decode("utf-8", "ignore")
    return f"{head}-{digest}{suffix}"


def local_name(key: str, *, default: str = "input") -> str:
    """The file name an input is stored under: the key's last safe segment."""
    for part in reversed(key.split("/")):
        name = safe_component(part)
        if name is not None:
            return name
    return default


def relative_dir(key: str, input_path: StoragePath | None) -> PurePosixPath:
    """The input key's folder below the service's input prefix, which outputs mirror.

    `in/2024/a.png` under input prefix `in` gives `2024`; a key outside the prefix, or with no
    known prefix, gives the key's own folder.
    """
    parts = key.split("/")[:-1]
    if input_path is not None and input_path.prefix:
        prefix_parts = input_path.prefix.split("/")
        if parts[: len(prefix_parts)] == prefix_parts:
            parts = parts[len(prefix_parts) :]
    safe = [name for name in (safe_component(p) for p in parts) if name is not None]
    return PurePosixPath(*safe)


def output_key(output_path: StoragePath, relative: PurePosixPath) -> str:
    """`<output prefix>/<path relative to the upload root>`, always with `/` separators."""
    return output_path.key_for(relative.as_posix())
