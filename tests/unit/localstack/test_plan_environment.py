"""The local stack writes the environment its components read: every name it sets for the
provider and the gateway is one their config loaders know (`contract.environment`)."""

from __future__ import annotations

from pathlib import Path

from contract import environment as names
from localstack.config import StackConfig, StackSecrets
from localstack.plan import plan

# What every component gets from the stack for its process, not for its config loader.
PROCESS = {"PATH", "HOME", "LANG", "PYTHONPATH", "PYTHONUNBUFFERED"}


def _components(tmp_path: Path) -> dict[str, dict[str, str]]:
    config = StackConfig.from_env({"OSCAR_STATE_DIR": str(tmp_path / "state")})
    specs = plan(config, StackSecrets.generate(), uts=None)
    return {spec.name: dict(spec.env) for spec in specs}


def test_the_gateway_gets_only_settings_its_config_reads(tmp_path: Path) -> None:
    env = _components(tmp_path)["gateway"]
    unknown = set(env) - PROCESS - set(names.GATEWAY_SETTINGS)
    assert not unknown
    assert names.GATEWAY_LISTEN in env and names.OPENFAAS_URL in env


def test_the_provider_gets_only_settings_its_config_reads(tmp_path: Path) -> None:
    env = _components(tmp_path)["provider"]
    unknown = set(env) - PROCESS - set(names.PROVIDER_SETTINGS)
    assert not unknown
    assert names.OSCAR_PROVIDER_LISTEN in env and names.OSCAR_STATE_DIR in env
