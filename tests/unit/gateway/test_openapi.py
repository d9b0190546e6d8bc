"""The generated API description: whole (every reference resolves), and made of the very models
the routes answer with, so a field added to a model is described without anyone writing it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from gateway.errors import GatewayError, UpstreamError
from gateway.http import schemas
from gateway.http.errors_body import error_body
from gateway.http.openapi import RESPONSE_MODELS, spec

DOCUMENT = spec("http://gateway.test")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_reference_in_the_document_names_a_component() -> None:
    defined = {f"#/components/schemas/{name}" for name in DOCUMENT["components"]["schemas"]}

    assert set(_refs(DOCUMENT)) <= defined


def test_the_document_is_json_and_says_which_openapi_it_is() -> None:
    assert json.loads(json.dumps(DOCUMENT)) == DOCUMENT
    assert DOCUMENT["openapi"].startswith("3.1")


def test_each_answer_is_described_by_its_models_own_schema() -> None:
    components = DOCUMENT["components"]["schemas"]

    for model in RESPONSE_MODELS:
        described = model.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization"
        )
        described.pop("$defs", None)
        assert components[model.__name__] == described, model.__name__


def test_a_field_left_out_of_an_answer_is_not_described_as_null() -> None:
    error = DOCUMENT["components"]["schemas"]["Error"]["properties"]["detail"]

    assert error["type"] == "string"
    assert "anyOf" not in error


def test_an_error_body_names_its_detail_only_when_it_has_one() -> None:
    assert error_body(GatewayError("no")) == {"error": "no"}
    assert error_body(UpstreamError("down", detail="x" * 900)) == {
        "error": "down",
        "detail": "x" * 500,
    }


def test_a_job_listed_has_no_history_and_a_job_shown_has_it() -> None:
    listed = set(schemas.Job.model_fields)
    shown = set(schemas.JobDetail.model_fields)

    assert "history" not in listed
    assert shown - listed == {"history"}
