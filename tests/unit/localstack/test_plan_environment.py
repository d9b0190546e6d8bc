"""The local stack writes the environment its components read: every name it sets for the
provider and the gateway is one their config loaders know (`contract.environment`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract import environment as names
from localstack.config import StackConfig, StackSecrets
from localstack.errors import StackConfigError
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


def test_n_gateways_share_one_postgresql_ledger_each_on_its_own_port(tmp_path: Path) -> None:
    url = "postgresql://oscar@127.0.0.1:5432/oscar"
    config = StackConfig.from_env(
        {"OSCAR_STATE_DIR": str(tmp_path), "OSCAR_GATEWAYS": "3", "OSCAR_LEDGER_URL": url}
    )
    specs = plan(config, StackSecrets.generate(), uts=None)
    gateways = [s for s in specs if s.name == "gateway" or s.name.startswith("gateway-")]

    assert [g.name for g in gateways] == ["gateway", "gateway-2", "gateway-3"]
    assert [g.env[names.GATEWAY_LISTEN] for g in gateways] == [
        "127.0.0.1:8090",
        "127.0.0.1:8091",
        "127.0.0.1:8092",
    ]
    assert {g.env[names.OSCAR_LEDGER_URL] for g in gateways} == {url}
    assert [g.env[names.GATEWAY_PUBLIC_URL] for g in gateways] == [g.url for g in gateways]


def test_several_gateways_without_a_shared_ledger_are_refused_saying_what_to_give(
    tmp_path: Path,
) -> None:
    with pytest.raises(StackConfigError, match=r"--ledger postgresql://"):
        StackConfig.from_env({"OSCAR_STATE_DIR": str(tmp_path), "OSCAR_GATEWAYS": "2"})


def test_one_gateway_on_sqlite_is_the_default_and_names_no_ledger(tmp_path: Path) -> None:
    env = _components(tmp_path)
    assert [name for name in env if name.startswith("gateway")] == ["gateway"]
    assert names.OSCAR_LEDGER_URL not in env["gateway"]


def test_minio_notifies_each_of_n_gateways_through_a_webhook_target_of_its_own(
    tmp_path: Path,
) -> None:
    url = "postgresql://oscar@127.0.0.1:5432/oscar"
    config = StackConfig.from_env(
        {"OSCAR_STATE_DIR": str(tmp_path), "OSCAR_GATEWAYS": "3", "OSCAR_LEDGER_URL": url}
    )
    specs = {s.name: s for s in plan(config, StackSecrets.generate(), uts=None)}
    minio = specs["minio"].env

    arns = [
        specs[name].env[names.MINIO_TARGET_ARN] for name in ("gateway", "gateway-2", "gateway-3")
    ]
    targets = [arn.split(":")[4] for arn in arns]
    assert targets == ["OSCAR", "OSCAR2", "OSCAR3"]
    assert [minio[f"MINIO_NOTIFY_WEBHOOK_ENDPOINT_{t}"] for t in targets] == [
        f"{specs[name].url}/events" for name in ("gateway", "gateway-2", "gateway-3")
    ]
    assert all(minio[f"MINIO_NOTIFY_WEBHOOK_ENABLE_{t}"] == "on" for t in targets)
