"""`supervisor.config`: the environment in, one frozen config out, every problem named at once."""

from __future__ import annotations

import tempfile
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from contract.paths import StoragePath
from supervisor.config import SupervisorConfig
from supervisor.errors import ConfigError

if TYPE_CHECKING:
    from tests.unit.conftest import MakeConfig, MakeScript


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


def test_the_config_is_frozen(make_config: MakeConfig) -> None:
    config = make_config()

    with pytest.raises(FrozenInstanceError):
        config.script_timeout = 1.0  # type: ignore[misc]


def test_every_problem_is_reported_at_once(
    base_env: dict[str, str], make_script: MakeScript
) -> None:
    problems = _problems(
        {
            **base_env,
            "SCRIPT_PATH": str(make_script("exit 0")),
            "S3_ENDPOINT": "http://minio:9000",
            "SCRIPT_TIMEOUT": "soon",
            "SUPERVISOR_LISTEN": "localhost",
        }
    )

    assert len(problems) == 4
    assert "'soon'" in _one_starting(problems, "SCRIPT_TIMEOUT:")
    assert "'localhost'" in _one_starting(problems, "SUPERVISOR_LISTEN:")
    assert "faas-cli secret create s3-access-key" in _one_starting(
        problems, "secret 's3-access-key'"
    )
    assert "faas-cli secret create s3-secret-key" in _one_starting(
        problems, "secret 's3-secret-key'"
    )


def test_the_error_message_lists_every_problem(base_env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        SupervisorConfig.from_env(
            {**base_env, "SCRIPT_PATH": str(tmp_path / "missing.sh"), "LOG_TAIL_BYTES": "-1"}
        )

    assert len(raised.value.problems) == 2
    for problem in raised.value.problems:
        assert f"\n  - {problem}" in raised.value.message


def test_a_missing_script_is_a_problem_that_says_where_to_put_it(
    base_env: dict[str, str], tmp_path: Path
) -> None:
    problems = _problems({**base_env, "SCRIPT_PATH": str(tmp_path / "nope.sh")})

    problem = _one_starting(problems, "SCRIPT_PATH:")
    assert "nope.sh" in problem
    assert "function/script.sh" in problem


def test_a_workspace_root_that_is_not_a_folder_is_a_problem(
    base_env: dict[str, str], make_script: MakeScript, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")

    problems = _problems(
        {**base_env, "SCRIPT_PATH": str(make_script("")), "WORKSPACE_ROOT": str(not_a_folder)}
    )

    assert "is not a directory" in _one_starting(problems, "WORKSPACE_ROOT:")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SCRIPT_TIMEOUT", "0"),
        ("SCRIPT_TIMEOUT", "-5"),
        ("SCRIPT_TIMEOUT", "5 minutes"),
        ("LOG_TAIL_BYTES", "lots"),
        ("SUPERVISOR_THREADS", "0"),
        ("SYNC_BASE64", "maybe"),
        ("SUPERVISOR_LISTEN", "127.0.0.1:http"),
        ("SUPERVISOR_LISTEN", ":5000"),
        ("INPUT_PATH", "/"),
        ("OUTPUT_PATH", "//"),
    ],
)
def test_a_bad_value_is_a_problem_naming_the_setting_and_the_value(
    base_env: dict[str, str], make_script: MakeScript, name: str, value: str
) -> None:
    problems = _problems({**base_env, "SCRIPT_PATH": str(make_script("")), name: value})

    assert len(problems) == 1
    assert problems[0].startswith(f"{name}:")
    assert repr(value) in problems[0]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOG_TAIL_BYTES", "inf"),
        ("LOG_TAIL_BYTES", "nan"),
        ("SUPERVISOR_THREADS", "inf"),
        ("SCRIPT_TIMEOUT", "nan"),
        ("SCRIPT_TIMEOUT", "inf"),
    ],
)
def test_a_number_that_is_not_finite_is_a_problem(
    base_env: dict[str, str], make_script: MakeScript, name: str, value: str
) -> None:
    problems = _problems({**base_env, "SCRIPT_PATH": str(make_script("")), name: value})

    assert _one_starting(problems, f"{name}:")


def test_secrets_are_read_from_files_under_the_secrets_dir(
    base_env: dict[str, str], make_script: MakeScript, secrets_dir: Path
) -> None:
    (secrets_dir / "s3-access-key").write_text("AKIAEXAMPLE\n")
    (secrets_dir / "s3-secret-key").write_text("  s3cr3t-value \n")

    config = SupervisorConfig.from_env(
        {**base_env, "SCRIPT_PATH": str(make_script("")), "S3_ENDPOINT": "https://minio:9443"}
    )

    assert config.storage is not None
    assert config.storage.endpoint == "minio:9443"
    assert config.storage.secure is True
    assert config.storage.access_key == "AKIAEXAMPLE"
    assert config.storage.secret_key == "s3cr3t-value"
    assert config.storage.region == "us-east-1"


def test_secret_file_names_and_region_can_be_changed(
    base_env: dict[str, str], make_script: MakeScript, secrets_dir: Path
) -> None:
    (secrets_dir / "my-access").write_text("access")
    (secrets_dir / "my-secret").write_text("secret")

    config = SupervisorConfig.from_env(
        {
            **base_env,
            "SCRIPT_PATH": str(make_script("")),
            "S3_ENDPOINT": "minio.local:9000",
            "S3_ACCESS_KEY_SECRET": "my-access",
            "S3_SECRET_KEY_SECRET": "my-secret",
            "S3_REGION": "eu-west-1",
        }
    )

    assert config.storage is not None
    assert (config.storage.access_key, config.storage.secret_key) == ("access", "secret")
    # No scheme: plain HTTP to host:port.
    assert (config.storage.endpoint, config.storage.secure) == ("minio.local:9000", False)
    assert config.storage.region == "eu-west-1"


def test_an_empty_secret_file_counts_as_missing(
    base_env: dict[str, str], make_script: MakeScript, secrets_dir: Path
) -> None:
    (secrets_dir / "s3-access-key").write_text("access")
    (secrets_dir / "s3-secret-key").write_text("\n")

    problems = _problems(
        {**base_env, "SCRIPT_PATH": str(make_script("")), "S3_ENDPOINT": "http://minio:9000"}
    )

    assert len(problems) == 1
    assert str(secrets_dir) in _one_starting(problems, "secret 's3-secret-key'")


def test_secrets_without_an_endpoint_are_a_problem(
    base_env: dict[str, str], make_script: MakeScript, secrets_dir: Path
) -> None:
    (secrets_dir / "s3-access-key").write_text("access")
    (secrets_dir / "s3-secret-key").write_text("secret")

    problems = _problems({**base_env, "SCRIPT_PATH": str(make_script(""))})

    assert problems == [_one_starting(problems, "S3_ENDPOINT: missing")]


@pytest.mark.parametrize("endpoint", ["ftp://minio:21", "http://"])
def test_an_endpoint_that_is_not_http_is_a_problem(
    base_env: dict[str, str], make_script: MakeScript, secrets_dir: Path, endpoint: str
) -> None:
    (secrets_dir / "s3-access-key").write_text("access")
    (secrets_dir / "s3-secret-key").write_text("secret")

    problems = _problems({**base_env, "SCRIPT_PATH": str(make_script("")), "S3_ENDPOINT": endpoint})

    assert repr(endpoint) in _one_starting(problems, "S3_ENDPOINT: expected http(s)")


def test_no_storage_settings_at_all_means_a_sync_only_function(make_config: MakeConfig) -> None:
    config = make_config(INPUT_PATH="in/photos", OUTPUT_PATH="out/results")

    assert config.storage is None
    assert config.output_path == StoragePath(bucket="out", prefix="results")


def test_a_shell_script_without_its_executable_bit_runs_through_bin_sh(
    base_env: dict[str, str], make_script: MakeScript
) -> None:
    script = make_script("exit 0", executable=False)

    config = SupervisorConfig.from_env({**base_env, "SCRIPT_PATH": str(script)})

    assert config.script == ("/bin/sh", str(script.resolve()))


def test_another_script_without_its_executable_bit_is_a_problem_naming_chmod(
    base_env: dict[str, str], make_script: MakeScript
) -> None:
    script = make_script("exit 0", name="handler.py", executable=False)

    problems = _problems({**base_env, "SCRIPT_PATH": str(script)})

    assert f"chmod +x {script}" in _one_starting(problems, "SCRIPT_PATH:")


def test_a_script_secret_is_found_in_the_secrets_dir_when_secrets_are_not_mounted(
    base_env: dict[str, str], secrets_dir: Path
) -> None:
    # What the gateway's FDL API deploys: the script as a read-only secret named `*.sh`.
    script = secrets_dir / "grayify-script.sh"
    script.write_text("exit 0\n", encoding="utf-8")
    script.chmod(0o400)

    config = SupervisorConfig.from_env(
        {**base_env, "SCRIPT_PATH": "/var/openfaas/secrets/grayify-script.sh"}
    )

    assert config.script == ("/bin/sh", str(script.resolve()))


def test_a_script_path_outside_the_secrets_mount_is_used_as_it_is(
    base_env: dict[str, str], tmp_path: Path
) -> None:
    problems = _problems({**base_env, "SCRIPT_PATH": str(tmp_path / "var/openfaas/x.sh")})

    assert str(tmp_path / "var/openfaas/x.sh") in _one_starting(problems, "SCRIPT_PATH:")


def test_an_executable_script_of_any_kind_runs_directly(
    base_env: dict[str, str], make_script: MakeScript
) -> None:
    script = make_script("exit 0", name="handler.py")

    config = SupervisorConfig.from_env({**base_env, "SCRIPT_PATH": str(script)})

    assert config.script == (str(script.resolve()),)


def test_the_secret_key_is_not_in_the_repr(
    base_env: dict[str, str], make_script: MakeScript, secrets_dir: Path
) -> None:
    (secrets_dir / "s3-access-key").write_text("visible-access-key")
    (secrets_dir / "s3-secret-key").write_text("do-not-log-this-secret")
    environ = {
        **base_env,
        "SCRIPT_PATH": str(make_script("")),
        "S3_ENDPOINT": "http://minio:9000",
        "API_TOKEN": "do-not-log-this-env-value",
    }

    config = SupervisorConfig.from_env(environ)

    assert config.storage is not None
    assert "do-not-log-this-secret" not in repr(config)
    assert "do-not-log-this-secret" not in repr(config.storage)
    assert "do-not-log-this-env-value" not in repr(config)
    # The repr still says something useful.
    assert "visible-access-key" in repr(config.storage)
    assert "minio:9000" in repr(config)


@pytest.mark.parametrize(
    ("text", "bucket", "prefix"),
    [
        ("bucket", "bucket", ""),
        ("bucket/", "bucket", ""),
        ("bucket/in", "bucket", "in"),
        ("bucket/in/2024/", "bucket", "in/2024"),
        ("/bucket/in/", "bucket", "in"),
        ("  bucket/in  ", "bucket", "in"),
        ("bucket//in", "bucket", "in"),
        ("//bucket/in", "bucket", "in"),
    ],
)
def test_storage_path_parses_bucket_and_prefix(text: str, bucket: str, prefix: str) -> None:
    assert StoragePath.parse(text) == StoragePath(bucket=bucket, prefix=prefix)


@pytest.mark.parametrize("text", ["", "   ", "/", "///"])
def test_storage_path_without_a_bucket_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected 'bucket/prefix'"):
        StoragePath.parse(text)


def test_storage_path_key_for_adds_the_prefix_only_when_there_is_one() -> None:
    assert StoragePath("b", "out/2024").key_for("a.jpg") == "out/2024/a.jpg"
    assert StoragePath("b", "").key_for("a.jpg") == "a.jpg"


def test_an_input_and_an_output_on_other_endpoints_read_their_keys_from_their_own_secrets(
    base_env: dict[str, str], make_script: MakeScript, secrets_dir: Path
) -> None:
    for name, value in (("in-key", "in-a"), ("in-secret", "in-s"), ("out-key", "out-a")):
        (secrets_dir / name).write_text(value)
    (secrets_dir / "out-secret").write_text("out-s")
    environ = {
        **base_env,
        "SCRIPT_PATH": str(make_script("")),
        "INPUT_S3_ENDPOINT": "http://127.0.0.1:9100",
        "INPUT_S3_ACCESS_KEY_SECRET": "in-key",
        "INPUT_S3_SECRET_KEY_SECRET": "in-secret",
        "OUTPUT_S3_ENDPOINT": "https://s3.eu-west-1.amazonaws.com",
        "OUTPUT_S3_REGION": "eu-west-1",
        "OUTPUT_S3_ACCESS_KEY_SECRET": "out-key",
        "OUTPUT_S3_SECRET_KEY_SECRET": "out-secret",
    }

    config = SupervisorConfig.from_env(environ)

    assert config.storage is None  # no S3_ENDPOINT: the platform's MinIO is not used
    source, target = config.input_storage, config.output_storage
    assert source is not None and target is not None
    assert (source.endpoint, source.access_key, source.secret_key) == (
        "127.0.0.1:9100",
        "in-a",
        "in-s",
    )
    assert (target.endpoint, target.secure, target.region) == (
        "s3.eu-west-1.amazonaws.com",
        True,
        "eu-west-1",
    )
    assert (target.access_key, target.secret_key) == ("out-a", "out-s")
    assert "out-s" not in repr(config)


def test_an_output_endpoint_without_its_secrets_names_both_settings(
    base_env: dict[str, str], make_script: MakeScript
) -> None:
    problems = _problems(
        {**base_env, "SCRIPT_PATH": str(make_script("")), "OUTPUT_S3_ENDPOINT": "http://m:9"}
    )

    assert "secret holding the key" in _one_starting(problems, "OUTPUT_S3_ACCESS_KEY_SECRET")
    assert _one_starting(problems, "OUTPUT_S3_SECRET_KEY_SECRET")


def test_without_other_endpoints_inputs_and_outputs_use_the_functions_storage(
    base_env: dict[str, str], make_script: MakeScript, secrets_dir: Path
) -> None:
    (secrets_dir / "s3-access-key").write_text("a")
    (secrets_dir / "s3-secret-key").write_text("s")

    config = SupervisorConfig.from_env(
        {**base_env, "SCRIPT_PATH": str(make_script("")), "S3_ENDPOINT": "http://m:9000"}
    )

    assert config.input_storage is config.storage and config.output_storage is config.storage
