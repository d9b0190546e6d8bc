"""Shared fixtures: a tmp workspace root, tiny scripts, configs built from an environment dict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from supervisor.config import SupervisorConfig
from tests.unit.fake_storage import FakeStorage


class MakeScript(Protocol):
    def __call__(self, body: str, *, name: str = ..., executable: bool = ...) -> Path: ...


class MakeConfig(Protocol):
    def __call__(self, body: str = ..., **env: str) -> SupervisorConfig: ...


@pytest.fixture(scope="session", autouse=True)
def _hypothesis_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hypothesis caches under ./.hypothesis by default; unit tests write only to tmp folders."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    set_hypothesis_home_dir(None)


@pytest.fixture
def workspace_root(tmp_path: Path) -> Path:
    """WORKSPACE_ROOT: every job's folder is created (and must be removed) in here."""
    folder = tmp_path / "workspaces"
    folder.mkdir()
    return folder


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    """SECRETS_DIR: empty unless a test writes secrets into it."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    return folder


@pytest.fixture
def make_script(tmp_path: Path) -> MakeScript:
    """Write a shell script into tmp_path/function and return its path."""

    def make(body: str, *, name: str = "script.sh", executable: bool = True) -> Path:
        folder = tmp_path / "function"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
        path.chmod(0o755 if executable else 0o644)
        return path

    return make


@pytest.fixture
def base_env(workspace_root: Path, secrets_dir: Path) -> dict[str, str]:
    """The settings every test config starts from: tmp folders only, no storage."""
    return {"WORKSPACE_ROOT": str(workspace_root), "SECRETS_DIR": str(secrets_dir)}


@pytest.fixture
def make_config(make_script: MakeScript, base_env: dict[str, str]) -> MakeConfig:
    """A SupervisorConfig from `from_env`, running a script with `body`, plus extra settings."""

    def make(body: str = "exit 0", **env: str) -> SupervisorConfig:
        script = make_script(body)
        return SupervisorConfig.from_env({**base_env, "SCRIPT_PATH": str(script), **env})

    return make


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage()
