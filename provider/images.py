"""The local image store: a shrinkwrapped build context made runnable without Docker.

An image is a folder keyed by the image name from stack.yml: the build context's files, a
virtualenv with the template's and the function's requirements, and the final stage's settings
(env, workdir, user) read from the context's Dockerfile, in `image.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from provider.dockerfile import parse_dockerfile
from provider.errors import ImageBuildFailed, ImageNotFound

REQUIREMENT_FILES = ("requirements.txt", "function/requirements.txt")


@dataclass(frozen=True)
class Image:
    name: str
    root: Path
    env: dict[str, str]
    workdir: str
    user: str
    digest: str
    venv: str

    @property
    def context(self) -> Path:
        return self.root / "context"

    @property
    def bin_dir(self) -> Path:
        return Path(self.venv) / "bin"

    def local_path(self, value: str) -> str:
        """Rewrite a path under the image's WORKDIR to where the context lives on this host."""
        if self.workdir not in {"", "/"} and (
            value == self.workdir or value.startswith(self.workdir.rstrip("/") + "/")
        ):
            return str(self.context) + value[len(self.workdir.rstrip("/")) :]
        return value


class ImageStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def path_for(self, name: str) -> Path:
        return self._folder(canonical(name))

    def _folder(self, name: str) -> Path:
        readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80]
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        return self._root / f"{readable}-{digest}"

    def _found(self, name: str) -> Path:
        """Where `name` is stored: under its canonical name, or (a store written before names
        were made canonical) under the name as it was given."""
        folder = self.path_for(name)
        legacy = self._folder(name)
        return legacy if not folder.exists() and legacy.exists() else folder

    def holds(self, name: str) -> bool:
        return (self._found(name) / "image.json").exists()

    def get(self, name: str) -> Image:
        meta = self._found(name) / "image.json"
        if not meta.exists():
            raise ImageNotFound(
                f"image {name!r} is not in the local image store; build it with "
                "`oscar build -f stack.yml` (faas-cli build --shrinkwrap, then materialised)"
            )
        data = json.loads(meta.read_text(encoding="utf-8"))
        return Image(**{**data, "root": Path(data["root"])})

    def materialise(self, name: str, context: Path) -> Image:
        """Copy `context` into the store under `name`, with a virtualenv; replace atomically."""
        dockerfile = context / "Dockerfile"
        if not dockerfile.is_file():
            raise ImageBuildFailed(
                f"{context} has no Dockerfile: expected a build context made by "
                "`faas-cli build --shrinkwrap`"
            )
        stage = parse_dockerfile(dockerfile)
        final = self.path_for(name)
        staging = final.with_name(f"{final.name}.staging-{time.monotonic_ns()}")
        staging.mkdir(parents=True)
        try:
            shutil.copytree(context, staging / "context", symlinks=False)
            _readable_by_all(staging)  # replicas run as an unprivileged user
            venv = self._venv([staging / "context" / f for f in REQUIREMENT_FILES])
            image = Image(
                name=name,
                root=final,
                env=stage.env,
                workdir=stage.workdir,
                user=stage.user,
                digest=context_digest(staging / "context"),
                venv=str(venv),
            )
            record = {**asdict(image), "root": str(final)}
            (staging / "image.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
            old = final.with_name(f"{final.name}.old-{time.monotonic_ns()}")
            if final.exists():
                final.rename(old)
            staging.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return image

    def _venv(self, requirement_files: list[Path]) -> Path:
        """A virtualenv shared by every image with the same requirements (deploys stay fast)."""
        text = "\n".join(f.read_text(encoding="utf-8") for f in requirement_files if f.exists())
        venv = self._root / "_venvs" / hashlib.sha256(text.encode()).hexdigest()[:16]
        if (venv / "bin" / "python3").exists():
            return venv
        staging = venv.with_name(f"{venv.name}.staging-{time.monotonic_ns()}")
        try:
            _make_venv(staging, requirement_files)
            staging.rename(venv)
        except OSError:
            if not venv.exists():  # not a concurrent build of the same venv that won the race
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return venv


def canonical(name: str) -> str:
    """An image name as Docker reads it: no tag means `:latest` (`x` and `x:latest` are one
    image; faas-cli's generate says the second where stack.yml and a deploy may say the first)."""
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last or "@" in last else f"{name}:latest"


def function_interpreter() -> str:
    """A Python that the unprivileged function user can run: ours if others may reach it.

    A Python under a private home (pyenv in /root) cannot be executed by the sandbox's user, so
    the distribution's /usr/bin/python3 is taken instead when ours is not reachable.
    """
    ours = Path(sys.executable).resolve()
    if all(p.stat().st_mode & 0o001 for p in ours.parents) and ours.stat().st_mode & 0o001:
        return sys.executable
    system = Path("/usr/bin/python3")
    return str(system) if system.exists() else sys.executable


def _make_venv(venv: Path, requirement_files: list[Path]) -> None:
    # Created in a staging folder that is then renamed: fine for `python3 -m ...` (the
    # interpreter finds its prefix from pyvenv.cfg), not for console scripts, which replicas
    # never use.
    subprocess.run([function_interpreter(), "-m", "venv", "--without-pip", str(venv)], check=True)
    for requirements in requirement_files:
        if not requirements.exists():
            continue
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(venv / "bin" / "python"),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(requirements),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-6:])
            raise ImageBuildFailed(f"installing {requirements.name} failed:\n{tail}")


def context_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return f"sha256:{digest.hexdigest()}"


def _readable_by_all(root: Path) -> None:
    """a+rX: faas-cli writes build contexts with mode 0700, which the function user can't read."""
    for folder, _, files in os.walk(root):
        Path(folder).chmod(Path(folder).stat().st_mode | 0o555)
        for name in files:
            path = Path(folder) / name
            path.chmod(path.stat().st_mode | 0o444)
