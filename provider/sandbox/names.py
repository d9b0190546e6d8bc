"""The names of what a sandbox is made of: netns and cgroups, and the host side of its veth.

Everything we create carries PREFIX, so `leftovers()` finds what a crash left behind.
"""

from __future__ import annotations

import hashlib
import re

PREFIX = "oscar-"
_MAX_NAME = 48  # netns and cgroup names are file names; keep them readable in `ip netns list`


def sandbox_name(requested: str) -> str:
    """`requested` as a netns/cgroup name: prefixed, [a-z0-9-], short.

    "oscar-resize-0" and "resize-0" give "oscar-resize-0"; a name that had to be changed
    otherwise gets a hash of itself appended, so that two names never give the same one.
    """
    slug = re.sub(r"[^a-z0-9-]+", "-", requested.lower()).strip("-")
    if not slug.startswith(PREFIX):
        slug = PREFIX + slug
    if slug in {requested, PREFIX + requested} and len(slug) <= _MAX_NAME:
        return slug
    digest = hashlib.sha256(requested.encode()).hexdigest()[:8]
    return f"{slug[: _MAX_NAME - 9].rstrip('-')}-{digest}"


def veth_name(name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return f"{PREFIX}{digest[: 15 - len(PREFIX)]}"  # IFNAMSIZ: 15 characters at most
