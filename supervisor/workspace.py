"""A private folder per request: `in/` for the input, `out/` for what the script writes."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Workspace:
    root: Path
    input_dir: Path
    output_root: Path

    @classmethod
    def create(cls, parent: Path) -> Workspace:
        root = Path(tempfile.mkdtemp(prefix="job-", dir=parent))  # mode 0700: private
        input_dir = root / "in"
        output_root = root / "out"
        input_dir.mkdir()
        output_root.mkdir()
        return cls(root=root, input_dir=input_dir, output_root=output_root)

    def output_dir(self, relative: PurePosixPath) -> Path:
        """The folder handed to the script as TMP_OUTPUT_DIR, mirroring the input's folder."""
        path = self.output_root.joinpath(*relative.parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def outputs(self) -> Iterator[tuple[PurePosixPath, Path]]:
        """Regular files under the output root, sorted, as (relative posix path, local path).

        Symbolic links are never followed: a script could point one at a host file, and its
        target would then be uploaded.
        """
        found: list[tuple[PurePosixPath, Path]] = []
        for folder, dirs, files in os.walk(self.output_root, followlinks=False):
            dirs.sort()
            for name in files:
                path = Path(folder) / name
                if not stat.S_ISREG(path.lstat().st_mode):
                    log.warning("skipping output %s: not a regular file", path)
                    continue
                relative = PurePosixPath(path.relative_to(self.output_root).as_posix())
                found.append((relative, path))
        yield from sorted(found)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        if not self.root.exists():
            return  # the usual case: one pass, no walk of the tree beforehand
        # A script may leave read-only folders behind; make them writable so removal succeeds.
        for folder, dirs, _ in os.walk(self.root, followlinks=False):
            for name in dirs:
                path = Path(folder) / name
                if not path.is_symlink():
                    path.chmod(0o700)
        shutil.rmtree(self.root, ignore_errors=True)
        if self.root.exists():
            log.error("could not remove workspace %s", self.root)
