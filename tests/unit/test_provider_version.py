"""`provider.version`: the commit `/system/info` reports, read from git's files alone."""

from __future__ import annotations

from pathlib import Path

from provider.version import UNKNOWN, source_sha

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_a_detached_head_is_the_commit(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text(f"{SHA}\n")

    assert source_sha(tmp_path) == SHA


def test_a_branch_is_read_from_its_ref_file_or_from_packed_refs(tmp_path: Path) -> None:
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{SHA} refs/heads/main\n")
    assert source_sha(tmp_path) == SHA

    (git / "refs" / "heads" / "main").write_text("f" * 40 + "\n")
    assert source_sha(tmp_path) == "f" * 40


def test_a_worktree_follows_its_gitdir_to_the_shared_refs(tmp_path: Path) -> None:
    common = tmp_path / "main" / ".git"
    own = common / "worktrees" / "b"
    own.mkdir(parents=True)
    (common / "refs" / "heads").mkdir(parents=True)
    (common / "refs" / "heads" / "b").write_text(f"{SHA}\n")
    (own / "HEAD").write_text("ref: refs/heads/b\n")
    (own / "commondir").write_text("../..\n")
    checkout = tmp_path / "wt"
    checkout.mkdir()
    (checkout / ".git").write_text(f"gitdir: {own}\n")

    assert source_sha(checkout) == SHA


def test_a_copy_outside_git_is_unknown(tmp_path: Path) -> None:
    assert source_sha(tmp_path) == UNKNOWN
