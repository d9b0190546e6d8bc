"""`oscar token rotate` and `oscar webhook-token rotate`: the gateway's rotation, shown to the
user with when the old token stops; the local stack's webhook token saved for MinIO's start."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.unit.cli.conftest import Oscar, fails
from tests.unit.cli.fake_gateway import FakeGateway, service


def test_rotating_a_service_token_prints_it_and_when_the_old_one_stops(
    oscar: Oscar, stack: Path, fake: FakeGateway
) -> None:
    fake.services["grayify"] = service("grayify")

    rotated = oscar("token", "rotate", "grayify", "--grace", "60")

    assert rotated.exit_code == 0, rotated.output
    assert "new token of grayify: new-service/grayify" in rotated.output
    assert "the old one passes until 2023-11-14T22:14:20+00:00" in rotated.output
    assert fake.last("POST", "/system/services/grayify/token/rotate").query == {
        "grace_seconds": "60"
    }


def test_rotating_the_token_of_an_unknown_service_is_not_found(oscar: Oscar, stack: Path) -> None:
    fails(oscar("token", "rotate", "nope"), 4, "service nope does not exist")


def test_the_local_stacks_rotated_webhook_token_is_saved_for_minios_next_start(
    oscar: Oscar, stack: Path
) -> None:
    secret = stack / "gateway" / "secrets" / "webhook-token"
    secret.parent.mkdir(parents=True)
    secret.write_text("webhook")

    rotated = oscar("webhook-token", "rotate", "--json")

    assert rotated.exit_code == 0, rotated.output
    assert json.loads(rotated.output)["token"] == "new-webhook"
    credentials = stack / "credentials.json"
    assert json.loads(credentials.read_text())["webhook_token"] == "new-webhook"
    assert secret.read_text() == "new-webhook"
    assert stat.S_IMODE(credentials.stat().st_mode) == stat.S_IMODE(secret.stat().st_mode) == 0o600
