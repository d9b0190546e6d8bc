"""`oscar cluster ...` and `--cluster`: named gateways in a 0600 file under the user's config
folder, chosen per command or by default, with one-line fixes when they cannot be used."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from tests.support.waiting import free_port
from tests.unit.cli.conftest import Oscar, fails
from tests.unit.cli.fake_gateway import OPENFAAS, FakeGateway, service


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config-home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("OSCAR_CONFIG", raising=False)
    monkeypatch.delenv("OSCAR_CLUSTER", raising=False)
    return home


def clusters_file(config_home: Path) -> Path:
    return config_home / "oscar" / "clusters.yaml"


def add(oscar: Oscar, name: str, url: str, *extra: str, password: str = OPENFAAS[1]) -> None:
    added = oscar(
        "cluster", "add", name, "--url", url, "--user", OPENFAAS[0], "--password", password, *extra
    )
    assert added.exit_code == 0, added.output


def test_a_cluster_is_kept_in_a_file_only_its_owner_can_read(
    oscar: Oscar, config_home: Path
) -> None:
    add(oscar, "prod", "https://oscar.example.org/")

    path = clusters_file(config_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    document = yaml.safe_load(path.read_text())
    assert document["default"] == "prod"  # the first one added
    assert document["clusters"]["prod"]["url"] == "https://oscar.example.org"
    listed = oscar("cluster", "list")
    assert "prod" in listed.output and "https://oscar.example.org" in listed.output
    assert OPENFAAS[1] not in listed.output + oscar("cluster", "list", "--json").output


def test_a_clusters_file_others_can_read_is_refused_with_the_chmod_that_fixes_it(
    oscar: Oscar, config_home: Path
) -> None:
    add(oscar, "prod", "https://oscar.example.org")
    clusters_file(config_home).chmod(0o644)

    fails(oscar("cluster", "list"), 2, "others may read it", "chmod 600")


def test_commands_use_the_named_cluster_with_its_login(oscar: Oscar, fake: FakeGateway) -> None:
    fake.services["remote-svc"] = service("remote-svc")
    add(oscar, "remote", fake.url)

    listed = oscar("--cluster", "remote", "services", "--json")

    assert listed.exit_code == 0, listed.output
    assert "remote-svc" in listed.output
    assert fake.last("GET", "/system/services").headers["authorization"].startswith("Basic ")


def test_the_default_cluster_is_used_without_the_option_and_local_is_the_stack(
    oscar: Oscar, fake: FakeGateway
) -> None:
    fake.services["remote-svc"] = service("remote-svc")
    add(oscar, "remote", fake.url)
    assert oscar("cluster", "default", "remote").exit_code == 0

    assert "remote-svc" in oscar("services", "--json").output
    fails(oscar("--cluster", "local", "services"), 3, "the stack is not running")
    assert oscar("cluster", "default", "local").exit_code == 0
    fails(oscar("services"), 3, "the stack is not running")


def test_an_unknown_cluster_names_the_command_that_adds_it(oscar: Oscar) -> None:
    fails(
        oscar("--cluster", "nope", "services"),
        2,
        "no cluster named 'nope'",
        "oscar cluster add nope",
    )


def test_an_unreachable_cluster_is_one_line_naming_its_url_and_the_fix(oscar: Oscar) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    add(oscar, "gone", url)

    line = fails(oscar("--cluster", "gone", "services"), 3, url, "oscar cluster list")
    assert "oscar cluster add gone" in line


def test_a_refused_login_is_one_line_naming_the_cluster_and_the_fix(
    oscar: Oscar, fake: FakeGateway
) -> None:
    add(oscar, "remote", fake.url, password="wrong")

    fails(
        oscar("--cluster", "remote", "services"),
        5,
        "cluster remote",
        "oscar cluster add remote",
        "HTTP 403",
    )


def test_function_logs_of_a_cluster_without_openfaas_say_how_to_add_it(
    oscar: Oscar, fake: FakeGateway
) -> None:
    add(oscar, "remote", fake.url)

    fails(
        oscar("--cluster", "remote", "logs", "svc"), 2, "--openfaas-url", "oscar logs SERVICE JOB"
    )


def test_a_bad_url_or_name_is_refused_before_anything_is_written(
    oscar: Oscar, config_home: Path
) -> None:
    base = ("--user", "u", "--password", "p")
    fails(oscar("cluster", "add", "prod", "--url", "oscar.example.org", *base), 2, "--url")
    fails(oscar("cluster", "add", "local", "--url", "http://x", *base), 2, "local")
    assert not clusters_file(config_home).exists()


def test_removing_the_default_cluster_goes_back_to_the_local_stack(
    oscar: Oscar, config_home: Path
) -> None:
    add(oscar, "prod", "https://oscar.example.org")

    assert oscar("cluster", "remove", "prod").exit_code == 0

    document = yaml.safe_load(clusters_file(config_home).read_text())
    assert document == {"default": None, "clusters": {}}
