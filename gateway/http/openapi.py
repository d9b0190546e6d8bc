"""The OpenAPI description of the gateway, generated: the operations are listed as data below,
every body's schema comes from its model in `gateway.http.schemas`.

tests/unit/gateway/test_service_api.py checks that every route is described; tests/fuzz runs
schemathesis against this description, so every status, content type and body shape a route
can answer with is written down here. OpenAPI 3.1, whose schemas are the JSON Schema pydantic
writes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from gateway.http import dashboard_schemas, oscar_schemas, schemas
from gateway.http.openapi_dashboard import DASHBOARD_OPERATIONS
from gateway.http.openapi_oscar import OSCAR_OPERATIONS
from gateway.http.openapi_parts import REF, Schema
from gateway.http.openapi_paths import OPERATIONS
from gateway.services.fdl_model import FdlService

# Every model a route answers with or reads, with the models they hold (gathered from `$defs`).
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    schemas.Error,
    schemas.Health,
    schemas.Queued,
    schemas.CallbackAnswer,
    oscar_schemas.Service,
    oscar_schemas.Info,
    oscar_schemas.ClusterConfig,
    oscar_schemas.Status,
    oscar_schemas.JobsPage,
    oscar_schemas.Bucket,
    oscar_schemas.Presigned,
    schemas.Plan,
    schemas.Replayed,
    schemas.TokenRotated,
    schemas.Job,
    schemas.JobDetail,
    schemas.JobPage,
    dashboard_schemas.Buckets,
    dashboard_schemas.Listing,
    dashboard_schemas.Stored,
    dashboard_schemas.PresignedLink,
    dashboard_schemas.Activity,
)
REQUEST_MODELS: tuple[type[BaseModel], ...] = (schemas.Notification,)


def components() -> dict[str, Schema]:
    found: dict[str, Schema] = {}
    # An answer as the gateway writes it; a request as the gateway reads it.
    modes: tuple[tuple[tuple[type[BaseModel], ...], JsonSchemaMode], ...] = (
        (RESPONSE_MODELS, "serialization"),
        (REQUEST_MODELS, "validation"),
    )
    for models, mode in modes:
        for model in models:
            schema = model.model_json_schema(ref_template=REF, mode=mode)
            _add(found, {**schema.pop("$defs", {}), model.__name__: schema})
    fdl = FdlService.model_json_schema(ref_template=REF, mode="validation")
    _add(found, {**fdl.pop("$defs", {}), "FdlService": fdl})
    # PUT /system/services/{service} takes the name from the URL.
    required = [name for name in fdl.get("required", []) if name != "name"]
    found["FdlServiceUpdate"] = {**fdl, "required": required, "title": "FdlServiceUpdate"}
    return found


def _add(found: dict[str, Schema], schemas: dict[str, Schema]) -> None:
    """Components are named by their model's class name: two models of one name in different
    modules would silently describe one route with the other's schema."""
    for name, schema in schemas.items():
        if found.setdefault(name, schema) != schema:
            raise ValueError(f"two models are named {name!r} in the API description; rename one")


def spec(server: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Schema]] = {}
    for operation in (*OPERATIONS, *DASHBOARD_OPERATIONS, *OSCAR_OPERATIONS):
        paths.setdefault(operation.path, {})[operation.method] = operation.described()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "oscar-faas gateway",
            "version": "0.1.0",
            "description": "Bucket-triggered jobs, synchronous calls and services on OpenFaaS.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "adminToken": {"type": "http", "scheme": "bearer"},
                "serviceToken": {"type": "http", "scheme": "bearer"},
                "webhookToken": {"type": "http", "scheme": "bearer"},
            },
            "schemas": components(),
        },
    }
