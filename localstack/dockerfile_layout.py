"""A read `lang: dockerfile` function laid out as a build context for the local image store:
the copied files as they would be under its `WORKDIR`, and a Dockerfile of only `FROM`,
`WORKDIR`, `USER` and `ENV` (which `provider.dockerfile` reads, as for a template's context).
"""

from __future__ import annotations

import posixpath
import shlex
import shutil
from pathlib import Path, PurePosixPath

from localstack.dockerfile_image import DockerfileImage, under


def lay_out(image: DockerfileImage, context: Path) -> Path:
    """Write `context` (replaced whole): the copied files as under WORKDIR, and a Dockerfile."""
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    for source, target in image.copies:
        placed = context / target
        if source.is_dir():
            shutil.copytree(source, placed, dirs_exist_ok=True, symlinks=False)
        else:
            placed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, placed)
    for mode, path in image.modes:
        if under(path, image.workdir):
            _chmod(context / path.relative_to(image.workdir), mode)
    env = {**image.env, "fprocess": _local_command(image.env["fprocess"], image)}
    lines = [
        "# Made by `oscar build` from a `lang: dockerfile` function (localstack.dockerfile_image)",
        f"FROM {image.base}",
        f"WORKDIR {image.workdir}",
        f"USER {image.user}",
        *(f"ENV {name}={shlex.quote(value)}" for name, value in env.items() if name != "PATH"),
    ]
    (context / "Dockerfile").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return context


def _local_command(command: str, image: DockerfileImage) -> str:
    """fprocess's paths to the image's files made relative: replicas run in its WORKDIR's copy.

    Under a WORKDIR other than `/` every path below it is the image's; with `WORKDIR /` only
    the paths a COPY placed are (the others are this host's: `/usr/bin/env`).
    """
    workdir = PurePosixPath(image.workdir)
    placed = {workdir / target for _, target in image.copies}

    def local(word: str) -> str:
        path = PurePosixPath(posixpath.normpath(word))
        if not word.startswith("/") or not under(path, image.workdir):
            return word
        ours = image.workdir != "/" or any(p == path or p in path.parents for p in placed)
        return f"./{path.relative_to(workdir)}" if ours else word

    return shlex.join(local(word) for word in shlex.split(command))


def _chmod(path: Path, mode: str) -> None:
    if not path.exists():
        return
    current = path.stat().st_mode
    if mode.isdigit():
        path.chmod(int(mode, 8))
    elif "+x" in mode:
        path.chmod(current | 0o111)
