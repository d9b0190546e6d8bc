"""The provider's release and the commit of the source it runs, for `/system/info`.

OpenFaaS's certifier holds a provider to a non-empty `version.sha`. The commit is read from the
checkout's git files (HEAD, a ref file or packed-refs, a worktree's `gitdir:` link), not by
running git; a copy of the source outside git says `unknown`.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent
UNKNOWN = "unknown"


def release() -> str:
    try:
        return metadata.version("oscar-faas")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def source_sha(root: Path = SOURCE) -> str:
    """The commit checked out at `root`, or `unknown`."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: <its folder in the main repository>"
            git = Path(git.read_text(encoding="utf-8").split(":", 1)[1].strip())
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head
        ref = head.split(":", 1)[1].strip()
        common = _common_dir(git)
        for folder in (git, common):
            if (folder / ref).is_file():
                return (folder / ref).read_text(encoding="utf-8").strip()
        packed = (common / "packed-refs").read_text(encoding="utf-8")
    except (OSError, IndexError):
        return UNKNOWN
    for line in packed.splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return UNKNOWN


def _common_dir(git: Path) -> Path:
    """Where a worktree's shared refs are (its `commondir`), or `git` itself."""
    link = git / "commondir"
    if not link.is_file():
        return git
    return (git / link.read_text(encoding="utf-8").strip()).resolve()
