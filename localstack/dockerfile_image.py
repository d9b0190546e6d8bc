"""A `lang: dockerfile` function made a local image without Docker: its Dockerfile, read.

faas-cli builds such a function with `docker build` on its handler folder and refuses
`build --shrinkwrap` for it, so `oscar build` reads the handler's Dockerfile itself (with
dockerfile-parse) and keeps the part that has a meaning without Docker:

- `FROM` an OpenFaaS watchdog image (the classic watchdog, `functions/*`, of-watchdog) or a
  plain distribution image (alpine, debian, ubuntu, busybox, python): the process then runs with
  this host's tools. A stage that is a watchdog image, and `COPY --from=` it of the watchdog
  binary, is how a Dockerfile installs the watchdog, which the engine brings itself.
- `ENV` (with `fprocess`, `mode`, ... and `ARG` defaults substituted), `WORKDIR`, `USER`, and
  `COPY`/`ADD` of the handler folder's files into the final `WORKDIR`.
- `RUN` only for the image's own set-up that the engine does itself (`mkdir`, `chmod`, `chown`,
  `addgroup`/`adduser`/`groupadd`/`useradd`, as `faas-cli new --lang dockerfile` writes them);
  `chmod` of a copied file is applied to it. `EXPOSE`, `HEALTHCHECK`, `LABEL`, `CMD ["fwatchdog"]`
  and the like are noted and have no effect.

Everything else is refused with what to change: another `RUN` (it would install or build
something: install it on this host instead), `COPY --from=` another stage, an unknown base, an
`ADD` of a URL or an archive, a `COPY` outside the final `WORKDIR`, a `CMD` that is not the
watchdog. `localstack.dockerfile_layout` makes the result a build context for the image store.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dockerfile_parse import DockerfileParser
from dockerfile_parse.util import WordSplitter

from localstack.errors import DockerfileRefused

WATCHDOG_IMAGES = (
    "ghcr.io/openfaas/classic-watchdog",
    "openfaas/classic-watchdog",
    "ghcr.io/openfaas/of-watchdog",
    "openfaas/of-watchdog",
    "functions/",
    "ghcr.io/openfaas/",
)
DISTRIBUTIONS = ("alpine", "debian", "ubuntu", "busybox", "python")
SET_UP = ("mkdir", "chmod", "chown", "addgroup", "adduser", "groupadd", "useradd", "true")
NOTED = {"EXPOSE", "HEALTHCHECK", "LABEL", "MAINTAINER", "STOPSIGNAL", "SHELL", "ARG"}


@dataclass
class DockerfileImage:
    """What the final stage of a handler's Dockerfile amounts to without Docker."""

    handler: Path = Path()
    base: str = ""
    workdir: str = "/"
    user: str = "root"
    env: dict[str, str] = field(default_factory=dict)
    copies: list[tuple[Path, PurePosixPath]] = field(default_factory=list)  # source, under WORKDIR
    modes: list[tuple[str, PurePosixPath]] = field(default_factory=list)  # chmod MODE, absolute
    notes: list[str] = field(default_factory=list)


def read_dockerfile(handler: Path) -> DockerfileImage:
    """The handler's Dockerfile, read; DockerfileRefused listing every line it cannot honour."""
    path = handler / "Dockerfile"
    if not path.is_file():
        raise DockerfileRefused(
            handler, [f"no Dockerfile in {handler}: a `lang: dockerfile` handler folder holds one"]
        )
    parser = DockerfileParser(path=str(path))
    problems: list[str] = []
    stages: set[str] = set()  # names of the watchdog stages
    image = DockerfileImage(handler=handler)
    for step, context in zip(parser.structure, parser.context_structure, strict=True):
        known = {**context.get_values(context_type="ARG"), **image.env}
        line = f"line {step['startline'] + 1}: {step['instruction']} {step['value']}"
        _read_step(step["instruction"], step["value"], known, image, stages, problems, line)
    if not image.base:
        problems.append("no FROM line: start FROM a watchdog or distribution image")
    if not image.env.get("fprocess"):
        problems.append(
            'no ENV fprocess: the watchdog needs the process to run (ENV fprocess="cat")'
        )
    image.copies = [(handler / source, target) for source, target in image.copies]
    if problems:
        raise DockerfileRefused(handler, problems)
    return image


def _read_step(
    instruction: str,
    value: str,
    known: dict[str, str],
    image: DockerfileImage,
    stages: set[str],
    problems: list[str],
    line: str,
) -> None:
    if instruction == "COMMENT":
        return
    words = list(WordSplitter(value, args=known).split())
    if instruction == "FROM":
        _from(words, image, stages, problems, line)
    elif instruction == "ENV":
        image.env.update(_env_pairs(value, known))
    elif instruction == "WORKDIR":
        image.workdir = posixpath.normpath(posixpath.join(image.workdir, " ".join(words)))
    elif instruction == "USER":
        image.user = " ".join(words)
        image.notes.append(f"{line}: replicas run as the engine's unprivileged function user")
    elif instruction in {"COPY", "ADD"}:
        _copy(instruction, words, image, stages, problems, line)
    elif instruction == "RUN":
        _run(value, image, problems, line)
    elif instruction == "CMD":
        command = _exec_form(value) or words
        if not command or PurePosixPath(str(command[0])).name != "fwatchdog":
            problems.append(
                f"{line}: the local engine starts the watchdog itself; CMD must be "
                '["fwatchdog"] and the process its ENV fprocess'
            )
    elif instruction in NOTED:
        image.notes.append(f"{line}: noted, no effect on the local engine")
    else:
        problems.append(
            f"{line}: {instruction} has no meaning without Docker on the local engine; remove it"
        )


def _from(
    words: list[str], image: DockerfileImage, stages: set[str], problems: list[str], line: str
) -> None:
    names = [w for w in words if not w.startswith("--")]
    base = names[0] if names else ""
    alias = names[2] if len(names) >= 3 and names[1].lower() == "as" else ""
    if _is_watchdog(base):
        if alias:
            stages.add(alias)
    elif not _is_distribution(base):
        problems.append(
            f"{line}: the local engine has no Docker to run {base!r}'s files; start FROM "
            "a watchdog image (ghcr.io/openfaas/classic-watchdog) or a plain distribution "
            f"({', '.join(DISTRIBUTIONS)}): the function then runs with this host's tools"
        )
    image.base, image.env, image.workdir = base, {}, "/"
    image.copies, image.modes = [], []


def _copy(
    instruction: str,
    words: list[str],
    image: DockerfileImage,
    stages: set[str],
    problems: list[str],
    line: str,
) -> None:
    flags = [w for w in words if w.startswith("--")]
    paths = [w for w in words if not w.startswith("--")]
    stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
    if stage is not None:
        if stage in stages or _is_watchdog(stage):
            image.notes.append(f"{line}: the engine brings its own watchdog")
        else:
            problems.append(
                f"{line}: COPY --from={stage} copies what another stage built, which needs "
                "Docker; build it on this host and COPY the result from the handler folder"
            )
        return
    if len(paths) < 2:
        problems.append(f"{line}: expected {instruction} SOURCE... DESTINATION")
        return
    *sources, destination = paths
    target = PurePosixPath(posixpath.normpath(posixpath.join(image.workdir, destination)))
    if instruction == "ADD" and any(
        s.startswith(("http://", "https://")) or s.endswith((".tar", ".gz", ".tgz", ".xz"))
        for s in sources
    ):
        problems.append(
            f"{line}: ADD of a URL or an archive needs Docker; put the files in the handler "
            "folder and COPY them"
        )
        return
    for source in sources:
        if source.startswith("/") or ".." in PurePosixPath(source).parts:
            problems.append(f"{line}: {source!r} is outside the handler folder")
            continue
        # As Docker copies: a folder's contents into the destination; files into it when it
        # ends with `/` or there are several, else to it.
        into_folder = destination.endswith("/") or len(sources) > 1
        is_folder = (image.handler / source).is_dir()
        placed = target / PurePosixPath(source).name if into_folder and not is_folder else target
        if not under(placed, image.workdir):
            problems.append(
                f"{line}: {str(placed)!r} is outside WORKDIR {image.workdir!r}, and the local "
                "engine keeps only the WORKDIR's files; copy it into the WORKDIR and name it "
                "from there in fprocess"
            )
            continue
        image.copies.append((Path(source), placed.relative_to(image.workdir)))


def _run(value: str, image: DockerfileImage, problems: list[str], line: str) -> None:
    parts = [shlex.split(p) for p in value.replace("||", "&&").replace(";", "&&").split("&&")]
    if all(p and p[0] in SET_UP for p in parts):
        for part in parts:
            if part[0] == "chmod" and len(part) >= 3:
                paths = [a for a in part[2:] if not a.startswith("-")]
                image.modes += [(part[1], _absolute(image.workdir, a)) for a in paths]
        image.notes.append(f"{line}: set-up the engine does itself")
        return
    problems.append(
        f"{line}: RUN needs Docker; install what it installs on this host (apt-get install "
        "...) or ship it in the handler folder, and remove the line"
    )


def _exec_form(value: str) -> list[str]:
    """`["fwatchdog"]` as a list; [] for the shell form (or a JSON Docker would run as one)."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return []
    return [str(p) for p in parsed] if isinstance(parsed, list) else []


def _env_pairs(value: str, known: dict[str, str]) -> dict[str, str]:
    words = list(WordSplitter(value, args=known, envs=known).split())
    if words and "=" not in words[0]:  # the legacy form: ENV name value with spaces
        return {words[0]: " ".join(words[1:])}
    return dict(w.split("=", 1) for w in words if "=" in w)


def _absolute(workdir: str, path: str) -> PurePosixPath:
    return PurePosixPath(posixpath.normpath(posixpath.join(workdir, path)))


def under(path: PurePosixPath, workdir: str) -> bool:
    return path == PurePosixPath(workdir) or PurePosixPath(workdir) in path.parents


def _is_watchdog(image: str) -> bool:
    return image.startswith(WATCHDOG_IMAGES)


def _is_distribution(image: str) -> bool:
    name = image.removeprefix("docker.io/").removeprefix("library/").split(":", 1)[0]
    return name in DISTRIBUTIONS
