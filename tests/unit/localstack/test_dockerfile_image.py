"""`localstack.dockerfile_image`: a `lang: dockerfile` handler's Dockerfile read into a local
image's build context, and what it cannot honour without Docker refused line by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from localstack.build import BuildPlan
from localstack.dockerfile_image import read_dockerfile
from localstack.dockerfile_layout import lay_out
from localstack.errors import DockerfileRefused
from provider.dockerfile import parse_dockerfile

# What `faas-cli new --lang dockerfile` writes (the classic watchdog's template), with a script.
CLASSIC = """\
# A comment, as in every template.
FROM ghcr.io/openfaas/classic-watchdog:0.2.1 as watchdog
FROM alpine:3.16.0
RUN mkdir -p /home/app
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
RUN chmod +x /usr/bin/fwatchdog
RUN addgroup -S app && adduser app -S -G app
RUN chown app /home/app
WORKDIR /home/app
USER app
ARG GREETING=hello
COPY handler.sh .
COPY data/ data/
RUN chmod +x handler.sh
ENV fprocess="/home/app/handler.sh --twice" GREETING_TEXT="${GREETING} world"
ENV write_debug="false"
EXPOSE 8080
HEALTHCHECK --interval=3s CMD [ -e /tmp/.lock ] || exit 1
CMD [ "fwatchdog" ]
"""


def handler(tmp_path: Path, dockerfile: str) -> Path:
    folder = tmp_path / "fn"
    (folder / "data").mkdir(parents=True)
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / "handler.sh").write_text("#!/bin/sh\ncat\n")
    (folder / "data" / "words.txt").write_text("one two\n")
    return folder


def test_the_classic_dockerfile_template_is_read_with_its_env_workdir_and_copies(
    tmp_path: Path,
) -> None:
    image = read_dockerfile(handler(tmp_path, CLASSIC))

    assert image.base == "alpine:3.16.0"
    assert (image.workdir, image.user) == ("/home/app", "app")
    assert image.env["fprocess"] == "/home/app/handler.sh --twice"
    assert image.env["GREETING_TEXT"] == "hello world"
    assert any("HEALTHCHECK" in note for note in image.notes)


def test_the_laid_out_context_holds_the_copies_and_a_dockerfile_the_store_reads(
    tmp_path: Path,
) -> None:
    image = read_dockerfile(handler(tmp_path, CLASSIC))

    context = lay_out(image, tmp_path / "build" / "fn")

    assert (context / "handler.sh").stat().st_mode & 0o111  # its RUN chmod +x, applied
    assert (context / "data" / "words.txt").read_text() == "one two\n"
    stage = parse_dockerfile(context / "Dockerfile")
    assert stage.env["fprocess"] == "./handler.sh --twice"  # in the image's folder
    assert (stage.workdir, stage.user, stage.base) == ("/home/app", "app", "alpine:3.16.0")
    assert "mode" not in stage.env  # a classic watchdog function


@pytest.mark.parametrize(
    ("line", "fix"),
    [
        ("RUN apk add --no-cache curl", "install what it installs on this host"),
        ("FROM node:20-alpine", "start FROM a watchdog image"),
        ("COPY --from=builder /out/app /home/app/app", "build it on this host"),
        ("COPY handler.sh /usr/local/bin/handler.sh", "copy it into the WORKDIR"),
        ("ADD https://example.com/tool.tar.gz .", "put the files in the handler folder"),
        ('CMD ["python3", "server.py"]', 'CMD must be ["fwatchdog"]'),
        ("VOLUME /data", "remove it"),
    ],
)
def test_what_needs_docker_is_refused_naming_the_line_and_the_fix(
    tmp_path: Path, line: str, fix: str
) -> None:
    dockerfile = CLASSIC.replace("EXPOSE 8080\n", f"EXPOSE 8080\n{line}\n")
    if line.startswith("FROM"):
        dockerfile = CLASSIC.replace("FROM alpine:3.16.0", line)
    if line.startswith("CMD"):
        dockerfile = CLASSIC.replace('CMD [ "fwatchdog" ]', line)

    with pytest.raises(DockerfileRefused) as refused:
        read_dockerfile(handler(tmp_path, dockerfile))

    [problem] = refused.value.problems
    assert fix in problem
    assert problem.startswith("line ")


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    dockerfile = "FROM node:20\nRUN npm install\n"

    with pytest.raises(DockerfileRefused) as refused:
        read_dockerfile(handler(tmp_path, dockerfile))

    assert len(refused.value.problems) == 3  # the base, the RUN, no fprocess


def test_with_workdir_slash_only_the_copied_paths_of_fprocess_are_the_images(
    tmp_path: Path,
) -> None:
    dockerfile = 'FROM alpine\nCOPY handler.sh /handler.sh\nENV fprocess="/bin/sh /handler.sh"\n'
    image = read_dockerfile(handler(tmp_path, dockerfile))

    context = lay_out(image, tmp_path / "ctx")

    assert parse_dockerfile(context / "Dockerfile").env["fprocess"] == "/bin/sh ./handler.sh"


def test_a_handler_folder_without_a_dockerfile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DockerfileRefused, match="no Dockerfile"):
        read_dockerfile(tmp_path)


def test_a_stack_with_dockerfile_functions_shrinkwraps_only_the_others_one_by_one(
    tmp_path: Path,
) -> None:
    image = read_dockerfile(handler(tmp_path, CLASSIC))
    functions = {"shout": "u/shout:1", "ok": "u/ok:1", "more": "u/more:1"}
    plan = BuildPlan(
        stack_file=tmp_path / "stack.yml",
        filter_=None,
        functions=functions,
        store=tmp_path / "images",
        dockerfiles={"shout": image},
    )
    alone = BuildPlan(
        stack_file=tmp_path / "stack.yml", filter_=None, functions={"ok": "u/ok:1"}, store=tmp_path
    )

    assert plan.shrinkwrap_calls() == [
        ["build", "--shrinkwrap", "-f", "stack.yml", "--filter", "ok"],
        ["build", "--shrinkwrap", "-f", "stack.yml", "--filter", "more"],
    ]
    assert alone.shrinkwrap_calls() == [["build", "--shrinkwrap", "-f", "stack.yml"]]
    assert any("lay out shout's Dockerfile (FROM alpine:3.16.0" in step for step in plan.steps())
