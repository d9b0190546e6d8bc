"""The python-watchdog template works with the real faas-cli, and its build context is whole."""

from __future__ import annotations

import filecmp
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import yaml

from provider.dockerfile import parse_dockerfile
from tests.support.tools import ROOT, tool

TEMPLATE = ROOT / "templates" / "python-watchdog"


def _assert_same_tree(copied: Path, ours: Path) -> None:
    comparison = filecmp.dircmp(copied, ours, ignore=["__pycache__"])
    assert not comparison.left_only and not comparison.right_only and not comparison.diff_files


def test_shrinkwrapped_context_holds_everything_the_dockerfile_copies(
    contexts: Callable[[str], Path],
) -> None:
    context = contexts("ok")
    stage = parse_dockerfile(context / "Dockerfile")

    sources = [source for sources, _ in stage.copies for source in sources]

    assert {"requirements.txt", "supervisor", "contract", "function"} <= set(sources)
    for source in sources:
        assert (context / source).exists(), f"COPY {source} is missing from the build context"
    # The supervisor and the contract it reads arrive as real files (faas-cli follows the
    # template's symlinks), equal to ours.
    for package in ("supervisor", "contract"):
        assert not (context / package).is_symlink()
        _assert_same_tree(context / package, ROOT / package)
    assert (context / "function" / "script.sh").read_text() == (
        ROOT / "tests/integration/functions/ok/script.sh"
    ).read_text()


def test_faas_cli_new_creates_a_function_from_the_template(tmp_path: Path) -> None:
    (tmp_path / "template").symlink_to(ROOT / "templates")

    result = subprocess.run(
        [str(tool("faas-cli")), "new", "--lang", "python-watchdog", "grey", "--prefix", "local"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "grey" / "script.sh").read_text() == (
        TEMPLATE / "function" / "script.sh"
    ).read_text()
    stack = yaml.safe_load((tmp_path / "grey.yml").read_text())
    assert stack["functions"]["grey"]["lang"] == "python-watchdog"
    assert stack["functions"]["grey"]["handler"] == "./grey"


def test_dockerfile_runs_the_supervisor_behind_the_watchdog_in_http_mode_as_non_root() -> None:
    stage = parse_dockerfile(TEMPLATE / "Dockerfile")

    assert stage.env["mode"] == "http"
    assert stage.env["fprocess"] == "python3 -m supervisor"
    assert stage.env["upstream_url"].endswith(stage.env["SUPERVISOR_LISTEN"])
    assert stage.user not in {"", "root", "0"}
    assert stage.cmd == ["fwatchdog"]
    # The script's own timeout must fire before the watchdog's, so the caller gets the log tail.
    assert float(stage.env["SCRIPT_TIMEOUT"]) < float(stage.env["exec_timeout"].rstrip("s"))


def test_template_requirements_equal_the_supervisor_extra() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extra = set(pyproject["project"]["optional-dependencies"]["supervisor"])
    lines = (TEMPLATE / "requirements.txt").read_text().splitlines()
    pinned = {line.strip() for line in lines if line.strip() and not line.startswith("#")}

    assert pinned == extra


def test_faas_cli_template_pull_from_the_repository_brings_the_supervisor(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(tool("faas-cli")), "template", "pull", str(ROOT)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    pulled = tmp_path / "template" / "python-watchdog"
    for package in ("supervisor", "contract"):
        assert not (pulled / package).is_symlink()
        _assert_same_tree(pulled / package, ROOT / package)
    assert (pulled / "Dockerfile").read_text() == (TEMPLATE / "Dockerfile").read_text()


def test_the_template_lives_in_templates_and_template_is_only_a_link_to_it() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "--stage", "--", "template", "templates"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    entries = {line.split("\t", 1)[1]: line.split()[0] for line in tracked}
    link = subprocess.run(
        ["git", "cat-file", "-p", "HEAD:template"], cwd=ROOT, capture_output=True, text=True
    )

    assert entries["template"] == "120000"  # a symlink, as git stores one
    assert link.stdout == "templates"  # committed as such, not only in this working tree
    assert not [path for path in entries if path.startswith("template/")]  # no second copy
    assert entries["templates/python-watchdog/supervisor"] == "120000"  # the supervisor's only
    assert entries["templates/python-watchdog/contract"] == "120000"  # copies stay at the root
    assert "templates/python-watchdog/Dockerfile" in entries


def test_faas_cli_new_in_a_clone_of_the_repository_finds_template_python_watchdog(
    tmp_path: Path,
) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)

    result = subprocess.run(
        [str(tool("faas-cli")), "new", "--lang", "python-watchdog", "grey", "--prefix", "local"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert (clone / "grey" / "script.sh").read_text() == (
        TEMPLATE / "function" / "script.sh"
    ).read_text()
    # The template's own links resolve from its home, through ./template as faas-cli reads it.
    assert (clone / "template" / "python-watchdog" / "supervisor" / "app.py").is_file()
