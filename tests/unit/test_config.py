"""`supervisor.config`: the environment in, one frozen config out, every problem named at once."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from supervisor.config import StoragePath, SupervisorConfig
from supervisor.errors import ConfigError

if TYPE_CHECKING:
    from tests.unit.conftest import MakeScript


def _problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        SupervisorConfig.from_env(environ)
    return raised.value.problems


def _one_starting(problems: list[str], start: str) -> str:
    found = [problem for problem in problems if problem.startswith(start)]
    assert len(found) == 1, f"expected one problem starting {start!r} in {problems}"
    return found[0]


def test_defaults_apply_when_only_the_script_exists(
    tmp_path: Path, secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default script is function/script.sh below the working folder, and the default
    # workspace root is the system temporary folder; both are pointed into tmp_path here.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    script = tmp_path / "function" / "script.sh"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    environ = {"SECRETS_DIR": str(secrets_dir)}

    config = SupervisorConfig.from_env(environ)

    assert config.script == (str(script.resolve()),)
    assert config.script_timeout == 300.0
    assert config.workspace_root == tmp_path
    assert config.log_tail_bytes == 4096
    assert (config.listen_host, config.listen_port) == ("127.0.0.1", 5000)
    assert config.threads == 8
    assert config.sync_base64 is False
    assert config.storage is None
    assert config.input_path is None
    assert config.output_path is None
    assert config.script_env == environ


def test_function_dir_locates_the_script(
    tmp_path: Path, base_env: dict[str, str], make_script: MakeScript
) -> None:
    script = make_script("exit 0")

    config = SupervisorConfig.from_env({**base_env, "FUNCTION_DIR": str(script.parent)})

    assert config.script == (str(script.resolve()),)


def test_settings_are_read_from_the_environment(
    base_env: dict[str, str], make_script: MakeScript
) -> None:
    environ = {
        **base_env,
        "SCRIPT_PATH": str(make_script("exit 0")),
        "SCRIPT_TIMEOUT": "30s",
        "LOG_TAIL_BYTES": "100",
        "SUPERVISOR_LISTEN": "0.0.0.0:8081",
        "SUPERVISOR_THREADS": "2",
        "SYNC_BASE64": " Yes ",
        "INPUT_PATH": "in/photos/",
        "OUTPUT_PATH": "/out/",
        "CUSTOM": "value",
    }

    config = SupervisorConfig.from_env(environ)

    assert config.script_timeout == 30.0
    assert config.log_tail_bytes == 100
    assert (config.listen_host, config.listen_port) == ("0.0.0.0", 8081)
    assert config.threads == 2
    assert config.sync_base64 is True
    assert config.input_path == StoragePath(bucket="in", prefix="photos")
    assert config.output_path == StoragePath(bucket="out", prefix="")
    assert config.script_env["CUSTOM"] == "value"


def test_the_config_is_frozen(make_config: object) -> None:
    from dataclasses import FrozenInstanceError

    from tests.unit.conftest import MakeConfig

    assert isinstance(make_config, MakeConfig.__mro__[0]) or callable(make_config)
    config = make_config()  # type: ignore[operator]
    with pytest.raises(FrozenInstanceError):
        config.script_timeout = 1.0
