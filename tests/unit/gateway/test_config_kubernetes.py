"""The gateway's settings for Kubernetes: the ledger URL from a Secret's file (as the chart
mounts it) and the Lease the once-only loops run under."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import ConfigError
from tests.support.gateway_config import gateway_config


def test_the_ledger_url_is_read_from_the_file_the_chart_mounts(tmp_path: Path) -> None:
    url = tmp_path / "url"
    url.write_text("postgresql://oscar:pw@db:5432/oscar\n")

    config = gateway_config(tmp_path, OSCAR_LEDGER_URL_FILE=str(url))

    assert config.ledger_url == "postgresql://oscar:pw@db:5432/oscar"


def test_a_ledger_url_in_the_environment_wins_over_its_file(tmp_path: Path) -> None:
    config = gateway_config(
        tmp_path,
        OSCAR_LEDGER_URL="postgresql://a@b/c",
        OSCAR_LEDGER_URL_FILE=str(tmp_path / "absent"),
    )

    assert config.ledger_url == "postgresql://a@b/c"


def test_a_ledger_url_file_that_is_missing_or_not_postgresql_names_the_setting(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match=r"OSCAR_LEDGER_URL_FILE: cannot read"):
        gateway_config(tmp_path, OSCAR_LEDGER_URL_FILE=str(tmp_path / "absent"))
    (tmp_path / "url").write_text("mysql://x@y/z")
    with pytest.raises(ConfigError, match=r"OSCAR_LEDGER_URL_FILE: expected postgresql://"):
        gateway_config(tmp_path, OSCAR_LEDGER_URL_FILE=str(tmp_path / "url"))


def test_no_lease_name_means_the_ledger_s_own_lock(tmp_path: Path) -> None:
    assert gateway_config(tmp_path).lease is None


def test_a_lease_takes_its_name_namespace_holder_and_seconds_from_the_environment(
    tmp_path: Path,
) -> None:
    config = gateway_config(
        tmp_path,
        OSCAR_LEASE_NAME="oscar-gateway",
        OSCAR_LEASE_NAMESPACE="openfaas",
        OSCAR_LEASE_HOLDER="oscar-gateway-7d9-abc",
        OSCAR_LEASE_SECONDS="9",
        OSCAR_KUBECONFIG="/etc/kube.conf",
    )

    assert config.lease is not None
    assert (config.lease.name, config.lease.namespace, config.lease.holder) == (
        "oscar-gateway", "openfaas", "oscar-gateway-7d9-abc"
    )  # fmt: skip
    assert (config.lease.seconds, config.lease.kubeconfig) == (9.0, "/etc/kube.conf")


def test_a_lease_outside_a_pod_without_a_namespace_is_refused_with_the_fix(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match=r"OSCAR_LEASE_NAMESPACE: missing"):
        gateway_config(tmp_path, OSCAR_LEASE_NAME="oscar-gateway")
