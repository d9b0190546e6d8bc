"""The FDL model's JSON schema describes the bodies the gateway takes, for the API description."""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest
import yaml

from gateway.errors import InvalidService
from gateway.services import fdl
from gateway.services.fdl_model import FdlService
from tests.unit.gateway.test_fdl import YAML_SERVICE, minimal

SCHEMA = FdlService.model_json_schema()
ACCEPTED = [
    minimal(),
    yaml.safe_load(YAML_SERVICE),
    minimal(environment={"variables": {"A": "1"}, "secrets": {}}),
    minimal(environment={"A": "1", "B": 2.5, "C": True}),
    minimal(environment={}),
    minimal(input=[{"path": "grayify/in", "prefix": "2024", "suffix": ".jpg"}]),
    minimal(max_attempts="3", memory=268435456, cpu=1, log_level="info"),
    minimal(vo="vo.example.eu", cluster_id="oscar-cluster", enable_gpu=False, mount={}),
    minimal(secrets="api-key", output=[{"path": "grayify/out", "prefix": []}]),
]


@pytest.mark.parametrize("document", ACCEPTED)
def test_every_document_the_gateway_accepts_is_valid_under_the_schema(
    document: dict[str, Any],
) -> None:
    assert fdl.validate(document).name == "grayify"
    errors = [str(e) for e in jsonschema_rs.validator_for(SCHEMA).iter_errors(document)]

    assert errors == []


@pytest.mark.parametrize(
    "changes",
    [
        {"image": None},
        {"input": None},
        {"cpu": "half"},
        {"log_level": "LOUD"},
        {"max_attempts": 0},
        {"memroy": "1Gi"},
        {"enable_gpu": True},
        {"input": [{"path": "grayify/in", "prefix": ["a", "b"]}]},
        {"output": [{"path": "grayify/out", "suffix": [".png"]}]},
        {"environment": {"Variables": {"A": [1]}}},
    ],
)
def test_the_schema_refuses_what_the_gateway_refuses(changes: dict[str, Any]) -> None:
    document = {k: v for k, v in {**minimal(), **changes}.items() if v is not None}

    with pytest.raises(InvalidService):
        fdl.validate(document)
    assert not jsonschema_rs.validator_for(SCHEMA).is_valid(document)


def test_the_schema_is_plain_json_naming_what_a_body_must_hold() -> None:
    assert json.loads(json.dumps(SCHEMA)) == SCHEMA
    assert set(SCHEMA["required"]) == {"name", "image", "input"}
    assert {"vo", "cluster_id", "enable_gpu", "mount"} <= set(SCHEMA["properties"])
