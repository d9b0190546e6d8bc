"""The provider's settings from its environment (provider/config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider.config import ProviderConfig
from provider.errors import ConfigError


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "of-watchdog").touch()
    return {"OSCAR_STATE_DIR": str(tmp_path / "state"), "OSCAR_TOOLS_BIN": str(tmp_path)}


def test_replicas_get_a_process_limit_unless_it_is_turned_off(env: dict[str, str]) -> None:
    assert ProviderConfig.from_env(env).replica_pids == 1024
    assert ProviderConfig.from_env({**env, "OSCAR_REPLICA_PIDS": "64"}).replica_pids == 64
    assert ProviderConfig.from_env({**env, "OSCAR_REPLICA_PIDS": "0"}).replica_pids is None


def test_a_process_limit_that_is_not_a_number_is_a_problem_naming_the_setting(
    env: dict[str, str],
) -> None:
    with pytest.raises(ConfigError, match=r"OSCAR_REPLICA_PIDS.*'lots'"):
        ProviderConfig.from_env({**env, "OSCAR_REPLICA_PIDS": "lots"})


def test_the_log_level_is_read_with_the_other_settings(env: dict[str, str]) -> None:
    assert ProviderConfig.from_env(env).log_level == "INFO"
    assert ProviderConfig.from_env({**env, "LOG_LEVEL": "debug"}).log_level == "DEBUG"


def test_an_unknown_log_level_is_a_problem_naming_the_setting(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=r"LOG_LEVEL: expected one of .*found 'chatty'"):
        ProviderConfig.from_env({**env, "LOG_LEVEL": "chatty"})


def test_the_kubernetes_backend_needs_neither_a_state_folder_nor_the_watchdog(
    tmp_path: Path,
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("{}")
    config = ProviderConfig.from_env(
        {"OSCAR_PROVIDER_BACKEND": "kubernetes", "OSCAR_KUBECONFIG": str(kubeconfig),
         "OSCAR_TOOLS_BIN": str(tmp_path / "nowhere")}
    )  # fmt: skip

    assert (config.backend, config.kubeconfig) == ("kubernetes", kubeconfig)
    assert ProviderConfig.from_env({"OSCAR_PROVIDER_BACKEND": "kubernetes"}).kubeconfig is None


def test_a_missing_kubeconfig_and_an_unknown_backend_are_problems_naming_their_settings(
    env: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"OSCAR_KUBECONFIG: no file .*service account"):
        ProviderConfig.from_env(
            {**env, "OSCAR_PROVIDER_BACKEND": "kubernetes", "OSCAR_KUBECONFIG": "/no/such"}
        )
    with pytest.raises(ConfigError, match=r"OSCAR_PROVIDER_BACKEND: expected one of"):
        ProviderConfig.from_env({**env, "OSCAR_PROVIDER_BACKEND": "nomad"})
