"""`provider.dockerfile`: what the local engine reads from a template's Dockerfile."""

from __future__ import annotations

from pathlib import Path

from provider.dockerfile import parse_dockerfile

TEMPLATE = Path(__file__).parents[2] / "templates" / "python-watchdog" / "Dockerfile"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_template_runs_the_supervisor_behind_the_watchdog_in_http_mode() -> None:
    stage = parse_dockerfile(TEMPLATE)

    assert stage.env["mode"] == "http"
    assert stage.env["fprocess"] == "python3 -m supervisor"
    assert stage.env["upstream_url"] == "http://127.0.0.1:5000"
    assert stage.env["SUPERVISOR_LISTEN"] == "127.0.0.1:5000"
    assert stage.env["ready_path"] == "/ready"


def test_the_template_runs_as_app_in_its_home() -> None:
    stage = parse_dockerfile(TEMPLATE)

    assert stage.workdir == "/home/app"
    assert stage.user == "app"
    assert stage.env["FUNCTION_DIR"] == "/home/app/function"
    assert stage.cmd == ["fwatchdog"]
    assert stage.base.startswith("python:")


def test_the_template_copies_the_supervisor_its_contract_and_the_function_only() -> None:
    stage = parse_dockerfile(TEMPLATE)

    assert stage.copies == [
        (["requirements.txt"], "supervisor-requirements.txt"),
        (["supervisor"], "supervisor"),
        (["contract"], "contract"),
        (["function"], "function"),
    ]


def test_the_template_script_timeout_is_below_the_watchdog_timeout() -> None:
    env = parse_dockerfile(TEMPLATE).env

    # The supervisor must time the script out before of-watchdog gives up on the request.
    assert float(env["SCRIPT_TIMEOUT"]) < float(env["exec_timeout"].removesuffix("s"))


SYNTHETIC = """\
# syntax=docker/dockerfile:1
ARG BUILDER=golang:1.22
FROM --platform=linux/amd64 golang:1.22 AS build
ENV BUILD_ONLY=yes
WORKDIR /src
USER builder
COPY . .

FROM alpine:3.19 AS final
ARG VERSION=1.2.3
ARG QUOTED="with quotes"
ENV APP_VERSION=${VERSION} \\
    LABEL="v$VERSION" \\
    FALLBACK=${MISSING:-fallback} \\
    EMPTY=${MISSING}
env legacy value with spaces
ENV QUOTING="$QUOTED!"
WORKDIR /srv
WORKDIR app
COPY --chown=app:app a.txt "b c.txt" /dest/
COPY --from=build /out/tool /usr/bin/tool
USER nobody
CMD python3 -m http.server
"""


def test_only_the_last_stage_counts(tmp_path: Path) -> None:
    stage = parse_dockerfile(_write(tmp_path, SYNTHETIC))

    assert stage.base == "alpine:3.19"
    assert "BUILD_ONLY" not in stage.env
    assert stage.user == "nobody"
    assert stage.copies == [(["a.txt", "b c.txt"], "/dest/")]


def test_arg_defaults_are_substituted_into_env(tmp_path: Path) -> None:
    env = parse_dockerfile(_write(tmp_path, SYNTHETIC)).env

    assert env["APP_VERSION"] == "1.2.3"
    assert env["LABEL"] == "v1.2.3"
    assert env["FALLBACK"] == "fallback"
    assert env["EMPTY"] == ""
    assert env["QUOTING"] == "with quotes!"


def test_the_legacy_env_form_takes_the_rest_of_the_line_as_the_value(tmp_path: Path) -> None:
    env = parse_dockerfile(_write(tmp_path, SYNTHETIC)).env

    assert env["legacy"] == "value with spaces"


def test_line_continuations_join_one_instruction(tmp_path: Path) -> None:
    stage = parse_dockerfile(_write(tmp_path, SYNTHETIC))

    assert {"APP_VERSION", "LABEL", "FALLBACK", "EMPTY"} <= stage.env.keys()


def test_relative_workdirs_build_on_the_previous_one(tmp_path: Path) -> None:
    assert parse_dockerfile(_write(tmp_path, SYNTHETIC)).workdir == "/srv/app"


def test_a_shell_form_cmd_runs_through_sh(tmp_path: Path) -> None:
    assert parse_dockerfile(_write(tmp_path, SYNTHETIC)).cmd == [
        "sh",
        "-c",
        "python3 -m http.server",
    ]


def test_env_can_use_a_value_set_by_an_earlier_env(tmp_path: Path) -> None:
    text = "FROM alpine\nENV HOME_DIR=/home/app\nENV FUNCTION_DIR=${HOME_DIR}/function\n"

    assert parse_dockerfile(_write(tmp_path, text)).env["FUNCTION_DIR"] == "/home/app/function"


def test_defaults_without_workdir_user_or_cmd(tmp_path: Path) -> None:
    stage = parse_dockerfile(_write(tmp_path, "FROM scratch\n"))

    assert (stage.base, stage.workdir, stage.user, stage.cmd, stage.env) == (
        "scratch",
        "/",
        "root",
        [],
        {},
    )


def test_a_comment_inside_a_line_continuation_is_ignored(tmp_path: Path) -> None:
    text = "FROM alpine\nENV A=1 \\\n    # the B setting\n    B=2\n"

    assert parse_dockerfile(_write(tmp_path, text)).env == {"A": "1", "B": "2"}


def test_workdir_can_use_an_arg(tmp_path: Path) -> None:
    text = "FROM alpine\nARG APP_HOME=/opt/app\nWORKDIR $APP_HOME\n"

    assert parse_dockerfile(_write(tmp_path, text)).workdir == "/opt/app"


def test_the_json_form_of_copy_is_understood(tmp_path: Path) -> None:
    text = 'FROM alpine\nCOPY ["a b.txt", "/dest/"]\n'

    assert parse_dockerfile(_write(tmp_path, text)).copies == [(["a b.txt"], "/dest/")]
