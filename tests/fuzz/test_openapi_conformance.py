"""schemathesis against the gateway's own OpenAPI description (served at /openapi.json), driving
the app in-process with the right credential for each route: no 5xx, and every answer's status,
content type and body as the description says."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.http.openapi import spec
from tests.fuzz.gateway_stack import ADMIN, WEBHOOK, Gateway

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Negative cases need something to break: a parameter or a body.
CASES = [
    (method.upper(), path, mode)
    for path, operations in spec("http://gateway.test")["paths"].items()
    for method, operation in operations.items()
    for mode in GenerationMode
    if mode == GenerationMode.POSITIVE or operation["parameters"] or "requestBody" in operation
]
# schemathesis's own pytest integration (`from_fixture`) reads a pytest internal that pytest 9
# removed, so each operation's strategy is driven by a plain hypothesis test instead.
PER_OPERATION = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _credentials(case: Case[Any], gw: Gateway) -> None:
    """What a legitimate caller of this route sends: the fuzzing goes past authentication."""
    headers = case.headers
    if case.path == "/events":
        headers.update(WEBHOOK)
    elif case.path == "/callbacks/{job}":
        query = dict(case.query or {})
        job = str((case.path_parameters or {}).get("job", ""))
        query["sig"] = gw.signer.sign(job, str(query.get("call", "")))
        case.query = query
    else:
        headers.update(ADMIN)  # the admin may also call /run and /job


@pytest.mark.parametrize(
    ("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES]
)
def test_every_operation_answers_as_its_description_says(
    gw: Gateway, method: str, path: str, mode: GenerationMode
) -> None:
    operation = schemathesis.openapi.from_wsgi("/openapi.json", gw.app)[path][method]

    @PER_OPERATION
    @given(case=operation.as_strategy(mode))
    def answers_as_described(case: Case[Any]) -> None:
        _credentials(case, gw)
        case.call_and_validate(checks=CHECKS)

    answers_as_described()
