"""FDL storage providers: an input or an output on another MinIO or on S3, its keys shipped as
secrets (never in the function's environment or the stack file), its events told apart."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.services.deploy_plan import Planner
from gateway.services.model import Service
from tests.unit.gateway.test_fdl import minimal, parse_json, planner, problem, stack_of

OTHER = {"endpoint": "http://127.0.0.1:9100", "access_key": "other-ak", "secret_key": "other-sk"}
AWS = {"access_key": "aws-ak", "secret_key": "aws-sk-0123", "region": "eu-west-1"}


def across(**changes: Any) -> dict[str, Any]:
    """Input on the MinIO `minio.other`, output on the platform's MinIO, unless changed."""
    defaults: dict[str, Any] = {
        "storage_providers": {"minio": {"other": OTHER, "default": {"endpoint": "hidden"}}},
        "input": [{"storage_provider": "minio.other", "path": "incoming/in"}],
        "output": [{"storage_provider": "minio.default", "path": "results/out"}],
    }
    return minimal(**{**defaults, **changes})


def test_an_input_on_another_minio_is_deployed_with_its_endpoint_and_key_secrets() -> None:
    spec = parse_json(across())
    [_login, access, secret, deploy] = planner().deploy(spec)
    function = stack_of(deploy)["functions"]["grayify"]

    assert (access.args[2], access.stdin) == ("grayify-input-s3-access-key", "other-ak")
    assert (secret.args[2], secret.stdin) == ("grayify-input-s3-secret-key", "other-sk")
    env = function["environment"]
    assert env["INPUT_S3_ENDPOINT"] == "http://127.0.0.1:9100"
    assert env["INPUT_S3_ACCESS_KEY_SECRET"] == "grayify-input-s3-access-key"
    assert {"grayify-input-s3-access-key", "grayify-input-s3-secret-key"} <= set(
        function["secrets"]
    )
    assert "other-sk" not in str(dict(deploy.files)) and "other-sk" not in str(access)
    assert "OUTPUT_S3_ENDPOINT" not in env  # the output stays on the platform's MinIO


def test_an_s3_output_defaults_to_aws_in_its_region() -> None:
    spec = parse_json(
        across(
            storage_providers={"minio": {"other": OTHER}, "s3": {"aws": AWS}},
            output=[{"storage_provider": "s3.aws", "path": "results/out"}],
        )
    )

    assert spec.output_endpoint is not None
    assert spec.output_endpoint.url == "https://s3.eu-west-1.amazonaws.com"
    assert "aws-sk-0123" not in repr(spec)
    env = spec.function(s3_endpoint="http://127.0.0.1:9000")["environment"]
    assert (env["OUTPUT_S3_ENDPOINT"], env["OUTPUT_S3_REGION"]) == (
        "https://s3.eu-west-1.amazonaws.com",
        "eu-west-1",
    )


def test_the_deployed_function_is_discovered_on_its_inputs_endpoint() -> None:
    spec = parse_json(across())
    function = spec.function(s3_endpoint="http://127.0.0.1:9000")
    status = {"name": "grayify", "envVars": function["environment"], "annotations": {}}

    service = Service.from_function(status)

    assert service is not None and service.storage == "127.0.0.1:9100"
    assert service.matches("incoming", "in/a.png", storage="127.0.0.1:9100")
    assert not service.matches("incoming", "in/a.png")  # the platform's bucket of that name


def test_the_same_bucket_and_prefix_on_two_endpoints_is_no_loop() -> None:
    spec = parse_json(across(output=[{"storage_provider": "minio", "path": "incoming/in"}]))

    assert spec.service.output is not None and spec.service.output_storage == ""


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"input": [{"storage_provider": "minio.nowhere", "path": "incoming/in"}]},
            "input: storage_provider 'minio.nowhere' is not defined",
        ),
        (
            {
                "storage_providers": {"s3": {"aws": AWS}},
                "input": [{"storage_provider": "s3.aws", "path": "incoming/in"}],
            },
            "cannot notify this gateway",
        ),
        (
            {"storage_providers": {"minio": {"x": {**OTHER, "endpoint": "ftp://h"}}}},
            "storage_providers.minio.x.endpoint: expected http(s)://host:port",
        ),
        (
            {
                "storage_providers": {
                    "minio": {"x": {**OTHER, "endpoint": "https://h", "verify": False}}
                }
            },
            "verify: false is not supported",
        ),
        ({"storage_providers": {"onedata": {"o": {"token": "t"}}}}, "onedata providers are not"),
        (
            {"input": [{"storage_provider": "webdav.dcache", "path": "incoming/in"}]},
            "expected 'minio.default' (the gateway's MinIO), 'minio.<id>' or 's3.<id>'",
        ),
    ],
)
def test_a_provider_at_fault_is_a_422_that_names_it(changes: dict[str, Any], expected: str) -> None:
    document = across()
    document.update(changes)

    assert expected in problem(document)


def test_an_update_that_drops_a_provider_removes_its_secrets_and_a_delete_removes_them() -> None:
    before = parse_json(across())
    deployed = {"name": "grayify", **before.function(s3_endpoint="http://m:9000")}
    after = parse_json(minimal())
    plans: Planner = planner()

    update = [str(step) for step in plans.deploy(after, previous=deployed)]
    delete = [str(step) for step in plans.delete("grayify", previous=deployed)]

    for plan in (update, delete):
        assert any("secret remove grayify-input-s3-access-key" in step for step in plan)
        assert any("secret remove grayify-input-s3-secret-key" in step for step in plan)
