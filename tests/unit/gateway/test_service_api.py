"""POST/PUT/DELETE /system/services through the whole gateway app, with faas-cli and OpenFaaS faked.

The fake runner plays faas-cli against the fake OpenFaaS: a deploy step's stack.yml becomes a
deployed function, so the real registry discovers it and applies buckets and rules.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from flask.testing import FlaskClient

from gateway.assembly import assemble
from gateway.clients.faascli import Step
from gateway.clients.openfaas import OpenFaaS
from gateway.clients.storage import Storage
from gateway.config import GatewayConfig
from gateway.errors import FaasCliFailed, NotFound, UpstreamError
from gateway.http.openapi import spec
from tests.support.responses import json_object

if TYPE_CHECKING:
    from werkzeug.test import TestResponse

ADMIN = {"Authorization": "Bearer admin-token"}
SERVICE = {
    "name": "grayify",
    "image": "oscar-examples/grayify:latest",
    "script": '#!/bin/sh\ncp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/"\n',
    "memory": "256Mi",
    "cpu": "0.5",
    "input": [{"storage_provider": "minio.default", "path": "grayify/in", "suffix": [".png"]}],
    "output": [{"storage_provider": "minio.default", "path": "grayify/out"}],
    "environment": {"Variables": {"QUALITY": "80"}},
    "max_attempts": 2,
}


class FakeOpenFaaS(OpenFaaS):
    def __init__(self) -> None:
        super().__init__("http://openfaas.invalid", username="admin", password="pw")
        self.deployed: dict[str, dict[str, Any]] = {}
        self.secrets: set[str] = set()
        self.unreachable = False

    def functions(self) -> list[dict[str, Any]]:
        if self.unreachable:
            raise UpstreamError("OpenFaaS at http://openfaas.invalid is unreachable")
        return list(self.deployed.values())

    def function(self, name: str) -> dict[str, Any]:
        if name not in self.deployed:
            raise NotFound(f"function {name!r} is not deployed in OpenFaaS")
        return self.deployed[name]


class FakeStorage(Storage):
    def __init__(self) -> None:
        super().__init__("minio.invalid:9000", access_key="a", secret_key="b", secure=False,
                         target_arn="arn:minio:sqs::OSCAR:webhook")  # fmt: skip
        self.buckets: set[str] = set()
        self.rules: dict[str, list[str]] = {}

    def ensure_bucket(self, bucket: str) -> None:
        self.buckets.add(bucket)

    def set_input_prefixes(self, bucket: str, prefixes: Iterable[str]) -> bool:
        wanted = sorted(prefixes)
        changed, self.rules[bucket] = self.rules.get(bucket) != wanted, wanted
        return changed


class FakeFaasCli:
    """Plays each step against the fake OpenFaaS, or fails the first step of a given verb."""

    def __init__(self, openfaas: FakeOpenFaaS) -> None:
        self.openfaas = openfaas
        self.plans: list[list[Step]] = []
        self.fail_on: str | None = None

    def execute(self, plan: Sequence[Step]) -> None:
        self.plans.append(list(plan))
        for step in plan:
            if step.args[0] == self.fail_on:
                raise FaasCliFailed(
                    step.args, 1, "Deploying: grayify.\nUnexpected status: 500, " + "x" * 900
                )
            if step.args[0] == "deploy":
                stack = yaml.safe_load(dict(step.files)["stack.yml"])
                for name, function in stack["functions"].items():
                    self.openfaas.deployed[name] = {
                        "name": name,
                        "image": function["image"],
                        "envVars": function["environment"],
                        "annotations": function["annotations"],
                        "labels": function["labels"],
                        "secrets": function["secrets"],
                        "limits": function.get("limits"),
                    }
            elif step.args[0] == "remove":
                self.openfaas.deployed.pop(step.args[1], None)
            elif step.args[:2] == ("secret", "create"):
                self.openfaas.secrets.add(step.args[2])
            elif step.args[:2] == ("secret", "remove"):
                self.openfaas.secrets.discard(step.args[2])

    def verbs(self) -> list[list[str]]:
        return [[" ".join(step.args[:2]) for step in plan] for plan in self.plans]


@pytest.fixture
def config(tmp_path: Path) -> GatewayConfig:
    return gateway_config(tmp_path)


def gateway_config(tmp_path: Path) -> GatewayConfig:
    """A gateway's settings with its secrets as files in `tmp_path` (bench.gateway_events too)."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    env = {"GATEWAY_STATE_DIR": str(tmp_path / "state")}
    for name, value in {
        "OPENFAAS_PASSWORD_FILE": "pw",
        "MINIO_ACCESS_KEY_FILE": "a",
        "MINIO_SECRET_KEY_FILE": "b",
        "WEBHOOK_TOKEN_FILE": "webhook-token",
        "ADMIN_TOKEN_FILE": "admin-token",
        "CALLBACK_KEY_FILE": "callback-key",
    }.items():
        (secrets / name).write_text(value)
        env[name] = str(secrets / name)
    return GatewayConfig.from_env(env)


@pytest.fixture
def openfaas() -> FakeOpenFaaS:
    return FakeOpenFaaS()


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage()


@pytest.fixture
def faas_cli(openfaas: FakeOpenFaaS) -> FakeFaasCli:
    return FakeFaasCli(openfaas)


@pytest.fixture
def client(
    config: GatewayConfig, openfaas: FakeOpenFaaS, storage: FakeStorage, faas_cli: FakeFaasCli
) -> Iterator[FlaskClient]:
    parts = assemble(config, openfaas=openfaas, storage=storage, faas_cli=faas_cli)
    yield parts.app.test_client()
    parts.ledger.close()


def post(client: FlaskClient, document: dict[str, Any], **kwargs: Any) -> TestResponse:
    return client.post("/system/services", json=document, headers=ADMIN, **kwargs)


def test_creating_a_service_answers_201_with_the_service_as_get_shows_it(
    client: FlaskClient, faas_cli: FakeFaasCli, storage: FakeStorage
) -> None:
    created = post(client, SERVICE)

    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Location"] == "/system/services/grayify"
    service = json_object(created)
    assert service == json_object(client.get("/system/services/grayify", headers=ADMIN))
    assert service["input"] == [
        {
            "storage_provider": "minio.default",
            "path": "grayify/in",
            "suffix": [".png"],
            "prefix": [],
        }
    ]  # OSCAR's shape, so OSCAR's clients read it
    assert [o["path"] for o in service["output"]] == ["grayify/out"]
    assert service["image"] == "oscar-examples/grayify:latest"
    assert service["environment"]["variables"]["QUALITY"] == "80"
    assert service["storage_providers"] == {}
    assert service["max_attempts"] == 2
    assert service["token"]
    assert faas_cli.verbs() == [["login --gateway", "secret create", "deploy -f"]]
    # Applied at once, not at the next periodic refresh.
    assert storage.buckets == {"grayify"}
    assert storage.rules == {"grayify": ["in"]}


def test_a_service_on_another_minio_shows_it_as_a_provider_with_hidden_keys(
    client: FlaskClient, faas_cli: FakeFaasCli, storage: FakeStorage
) -> None:
    other = {"endpoint": "http://127.0.0.1:1", "access_key": "far-ak", "secret_key": "far-sk"}
    document = {
        **SERVICE,
        "storage_providers": {"minio": {"far": other}},
        "input": [{"storage_provider": "minio.far", "path": "incoming/in"}],
    }

    created = post(client, document)  # nothing listens at :1; its bucket setup is only logged

    assert created.status_code == 201, created.get_data(as_text=True)
    service = json_object(created)
    assert service["input"][0]["storage_provider"] == "minio.127.0.0.1-1"
    assert service["storage_providers"] == {
        "minio": {
            "127.0.0.1-1": {
                "endpoint": "127.0.0.1:1",
                "access_key": "hidden",
                "secret_key": "hidden",
            }
        }
    }
    assert "far-sk" not in created.get_data(as_text=True)
    assert faas_cli.verbs() == [
        ["login --gateway", "secret create", "secret create", "secret create", "deploy -f"]
    ]
    assert "incoming" not in storage.buckets  # the platform's MinIO has no such input bucket


def test_a_created_service_is_listed_like_any_other(client: FlaskClient) -> None:
    post(client, SERVICE)

    listed = client.get("/system/services", headers=ADMIN).get_json()

    assert [s["name"] for s in listed] == ["grayify"]


def test_a_yaml_body_creates_the_same_service(client: FlaskClient, openfaas: FakeOpenFaaS) -> None:
    created = client.post(
        "/system/services",
        data=yaml.safe_dump(SERVICE),
        headers={**ADMIN, "Content-Type": "application/yaml"},
    )

    assert created.status_code == 201, created.get_data(as_text=True)
    function = openfaas.deployed["grayify"]
    assert function["envVars"]["SCRIPT_PATH"] == "/var/openfaas/secrets/grayify-script.sh"
    assert function["limits"] == {"memory": "256Mi", "cpu": "0.5"}


def test_creating_a_service_that_exists_is_a_409(
    client: FlaskClient, faas_cli: FakeFaasCli
) -> None:
    post(client, SERVICE)

    again = post(client, SERVICE)

    assert again.status_code == 409
    assert "PUT /system/services/grayify" in json_object(again)["error"]
    assert len(faas_cli.plans) == 1


def test_updating_answers_200_and_keeps_the_token(
    client: FlaskClient, openfaas: FakeOpenFaaS
) -> None:
    token = json_object(post(client, SERVICE))["token"]

    updated = client.put(
        "/system/services/grayify", json={**SERVICE, "max_attempts": 7}, headers=ADMIN
    )

    assert updated.status_code == 200
    assert json_object(updated)["max_attempts"] == 7
    assert json_object(updated)["token"] == token
    assert openfaas.deployed["grayify"]["annotations"]["oscar.max_attempts"] == "7"


def test_an_update_may_name_the_service_in_the_body_only(client: FlaskClient) -> None:
    post(client, SERVICE)

    updated = client.put("/system/services", json={**SERVICE, "cpu": "1"}, headers=ADMIN)

    assert updated.status_code == 200


def test_an_update_that_drops_the_script_removes_its_secret(
    client: FlaskClient, faas_cli: FakeFaasCli, openfaas: FakeOpenFaaS
) -> None:
    post(client, SERVICE)
    without_script = {k: v for k, v in SERVICE.items() if k != "script"}

    client.put("/system/services/grayify", json=without_script, headers=ADMIN)

    assert faas_cli.verbs()[-1] == ["login --gateway", "deploy -f", "secret remove"]
    assert openfaas.secrets == set()


def test_updating_a_missing_service_is_a_404(client: FlaskClient, faas_cli: FakeFaasCli) -> None:
    missing = client.put("/system/services/grayify", json=SERVICE, headers=ADMIN)

    assert missing.status_code == 404
    assert "POST /system/services" in json_object(missing)["error"]
    assert faas_cli.plans == []


def test_a_body_naming_another_service_than_the_url_is_a_422(client: FlaskClient) -> None:
    post(client, SERVICE)

    wrong = client.put("/system/services/other", json=SERVICE, headers=ADMIN)

    assert wrong.status_code == 422
    assert "the URL says 'other'" in json_object(wrong)["error"]


def test_deleting_answers_204_and_removes_function_secret_and_rules(
    client: FlaskClient, faas_cli: FakeFaasCli, openfaas: FakeOpenFaaS, storage: FakeStorage
) -> None:
    post(client, SERVICE)

    deleted = client.delete("/system/services/grayify", headers=ADMIN)

    assert deleted.status_code == 204
    assert deleted.get_data() == b""
    assert faas_cli.verbs()[-1] == ["login --gateway", "remove grayify", "secret remove"]
    assert openfaas.deployed == {} and openfaas.secrets == set()
    assert storage.rules == {"grayify": []}
    assert storage.buckets == {"grayify"}  # buckets and objects stay
    assert client.get("/system/services/grayify", headers=ADMIN).status_code == 404


def test_deleting_an_unknown_service_is_a_404(client: FlaskClient) -> None:
    missing = client.delete("/system/services/nope", headers=ADMIN)

    assert missing.status_code == 404
    assert json_object(missing)["error"] == "service 'nope' does not exist"


def test_a_function_that_is_not_a_service_is_not_deleted_here(
    client: FlaskClient, openfaas: FakeOpenFaaS, faas_cli: FakeFaasCli
) -> None:
    openfaas.deployed["figlet"] = {"name": "figlet", "envVars": {}, "annotations": {}}

    answer = client.delete("/system/services/figlet", headers=ADMIN)

    assert answer.status_code == 404
    assert "faas-cli remove figlet" in json_object(answer)["error"]
    assert faas_cli.plans == []


def test_a_malformed_body_is_a_400(client: FlaskClient) -> None:
    answer = client.post(
        "/system/services", data=b"{nope", headers={**ADMIN, "Content-Type": "application/json"}
    )

    assert answer.status_code == 400
    assert "not valid JSON" in json_object(answer)["error"]


def test_a_form_body_is_a_415(client: FlaskClient) -> None:
    answer = client.post("/system/services", data={"name": "x"}, headers=ADMIN)

    assert answer.status_code == 415


def test_an_output_inside_its_input_is_a_422_and_deploys_nothing(
    client: FlaskClient, faas_cli: FakeFaasCli
) -> None:
    answer = post(client, {**SERVICE, "output": [{"path": "grayify/in/out"}]})

    assert answer.status_code == 422
    assert "overlaps input grayify/in" in json_object(answer)["error"]
    assert faas_cli.plans == []


def test_two_inputs_are_a_422_saying_one_is_supported(client: FlaskClient) -> None:
    answer = post(client, {**SERVICE, "input": [{"path": "a/in"}, {"path": "b/in"}]})

    assert answer.status_code == 422
    assert "one input is supported, found 2" in json_object(answer)["error"]


def test_a_faas_cli_failure_is_a_502_with_its_message_truncated(
    client: FlaskClient, faas_cli: FakeFaasCli
) -> None:
    faas_cli.fail_on = "deploy"

    answer = post(client, SERVICE)

    assert answer.status_code == 502
    error = json_object(answer)
    assert error["error"].startswith("faas-cli deploy -f failed (exit 1): Unexpected status: 500")
    assert len(error["error"]) < 300
    assert len(error["detail"]) <= 500
    assert "Traceback" not in answer.get_data(as_text=True)


def test_openfaas_unreachable_is_a_502(client: FlaskClient, openfaas: FakeOpenFaaS) -> None:
    def unreachable(name: str) -> dict[str, Any]:
        raise UpstreamError("OpenFaaS at http://openfaas.invalid is unreachable")

    openfaas.function = unreachable  # type: ignore[method-assign]

    assert post(client, SERVICE).status_code == 502


def test_a_refresh_that_fails_after_the_deploy_still_answers_201(
    client: FlaskClient, openfaas: FakeOpenFaaS
) -> None:
    openfaas.unreachable = True

    created = post(client, SERVICE)

    assert created.status_code == 201
    assert [i["path"] for i in json_object(created)["input"]] == ["grayify/in"]


def test_a_dry_run_answers_with_the_plan_and_runs_nothing(
    client: FlaskClient, faas_cli: FakeFaasCli
) -> None:
    answer = post(client, SERVICE, query_string={"dry_run": "true"})

    assert answer.status_code == 200
    plan = json_object(answer)["plan"]
    assert [step["command"].split(" ")[1] for step in plan] == ["login", "secret", "deploy"]
    assert "stack.yml" in plan[-1]["files"]
    assert "pw" not in json.dumps(plan).replace("password-stdin", "")
    assert faas_cli.plans == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/system/services"),
        ("put", "/system/services"),
        ("put", "/system/services/grayify"),
        ("delete", "/system/services/grayify"),
    ],
)
def test_managing_services_needs_the_admin(client: FlaskClient, method: str, path: str) -> None:
    anonymous = client.open(path, method=method.upper(), json=SERVICE)
    wrong = client.open(
        path,
        method=method.upper(),
        json=SERVICE,
        headers={"Authorization": "Basic " + base64.b64encode(b"admin:wrong").decode()},
    )

    assert anonymous.status_code == 401
    assert wrong.status_code == 403


def test_basic_auth_with_the_openfaas_login_is_the_admin(client: FlaskClient) -> None:
    basic = {"Authorization": "Basic " + base64.b64encode(b"admin:pw").decode()}

    assert client.post("/system/services", json=SERVICE, headers=basic).status_code == 201


def test_the_openapi_description_lists_every_route_and_method(client: FlaskClient) -> None:
    assert client.application.url_map is not None
    routes = {
        (re.sub(r"<[^>]+>", "{}", rule.rule), method.lower())
        for rule in client.application.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
        and rule.endpoint != "static"
        and not rule.endpoint.startswith("ui.")  # the dashboard's HTML pages
    }
    described = {
        (re.sub(r"\{[^}]+\}", "{}", path), method)
        for path, operations in spec("http://gateway").get("paths", {}).items()
        for method in operations
    }

    assert routes == described


def test_a_service_shows_its_replicas_as_openfaas_counts_them(
    client: FlaskClient, openfaas: FakeOpenFaaS
) -> None:
    assert client.post("/system/services", json=SERVICE, headers=ADMIN).status_code == 201
    openfaas.deployed["grayify"].update(replicas=2, availableReplicas=1)

    [listed] = client.get("/system/services", headers=ADMIN).get_json()
    shown = json_object(client.get("/system/services/grayify", headers=ADMIN))

    assert (listed["replicas"], listed["available_replicas"]) == (2, 1)
    assert (shown["replicas"], shown["available_replicas"]) == (2, 1)


def test_services_are_listed_without_replicas_when_openfaas_cannot_count_them(
    client: FlaskClient, openfaas: FakeOpenFaaS
) -> None:
    assert client.post("/system/services", json=SERVICE, headers=ADMIN).status_code == 201

    [shown] = client.get("/system/services", headers=ADMIN).get_json()

    assert shown["replicas"] is None and shown["available_replicas"] is None
