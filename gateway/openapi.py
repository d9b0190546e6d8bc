"""The OpenAPI description of the gateway, kept equal to its routes by a test."""

from __future__ import annotations

from typing import Any

_JSON = {"application/json": {"schema": {"type": "object"}}}
_ERROR = {
    "description": "JSON error with a reason",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_SERVICE = {"name": "service", "in": "path", "required": True, "schema": {"type": "string"}}
_DRY_RUN = {
    "name": "dry_run",
    "in": "query",
    "description": "true: answer with the faas-cli plan, run nothing",
    "schema": {"type": "boolean"},
}
_FDL = {
    "description": "One OSCAR FDL service (`script` holds the script's text)",
    "required": True,
    "content": {
        kind: {"schema": {"$ref": "#/components/schemas/FdlService"}}
        for kind in ("application/json", "application/yaml", "text/yaml")
    },
}
_JOB = {"name": "job", "in": "path", "required": True, "schema": {"type": "string"}}


def _op(
    summary: str,
    *,
    security: list[str],
    params: list[dict[str, Any]] | None = None,
    ok: str = "200",
    body: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "security": [{name: []} for name in security],
        "parameters": params or [],
        "responses": {
            ok: {"description": "OK", "content": _JSON},
            "401": _ERROR,
            "403": _ERROR,
            "404": _ERROR,
        },
    }
    if body:
        operation["requestBody"] = {"content": {"application/octet-stream": {}}}
    operation.update(extra or {})
    return operation


_ADMIN_RESPONSES = {"401": _ERROR, "403": _ERROR, "404": _ERROR, "502": _ERROR}


def _fdl_op(
    summary: str,
    *,
    params: list[dict[str, Any]] | None = None,
    ok: str = "200",
    conflict: bool = False,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        ok: {"description": "The service, as GET shows it", "content": _JSON},
        **_ADMIN_RESPONSES,
        "400": _ERROR,
        "415": _ERROR,
        "422": _ERROR,
    }
    if conflict:
        responses["409"] = _ERROR
    return _op(
        summary,
        security=["basicAuth", "adminToken"],
        params=[*(params or []), _DRY_RUN],
        ok=ok,
        extra={"requestBody": _FDL, "responses": responses},
    )


_IO = {
    "type": "object",
    "required": ["path"],
    "properties": {
        "storage_provider": {"type": "string", "enum": ["minio", "minio.default"]},
        "path": {"type": "string", "description": "bucket/prefix"},
        "prefix": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
        "suffix": {"type": "array", "items": {"type": "string"}},
    },
}
_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_FDL_SCHEMA = {
    "type": "object",
    "required": ["name", "image", "input"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "image": {"type": "string"},
        "script": {"type": "string", "description": "the script's text"},
        "memory": {"type": "string", "example": "256Mi"},
        "cpu": {"type": "string", "example": "0.5"},
        "input": {"type": "array", "items": _IO, "minItems": 1, "maxItems": 1},
        "output": {"type": "array", "items": _IO, "maxItems": 1},
        "environment": {
            "type": "object",
            "description": "{Variables: {K: V}} (OSCAR) or a plain mapping",
        },
        "secrets": {"type": "array", "items": {"type": "string"}},
        "log_level": {
            "type": "string",
            "enum": ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        },
        "annotations": _STRINGS,
        "labels": _STRINGS,
        "max_attempts": {"type": "integer", "minimum": 1},
        "concurrency": {"type": "integer", "minimum": 1},
        "timeout": {"type": "integer", "minimum": 1},
    },
}


def spec(server: str) -> dict[str, Any]:
    admin = ["basicAuth", "adminToken"]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "oscar-faas gateway",
            "version": "0.1.0",
            "description": "Bucket-triggered jobs, synchronous calls and services on OpenFaaS.",
        },
        "servers": [{"url": server}],
        "paths": {
            "/health": {"get": _op("Liveness", security=[])},
            "/metrics": {"get": _op("Prometheus metrics", security=[])},
            "/openapi.json": {"get": _op("This description", security=[])},
            "/events": {
                "post": _op(
                    "MinIO webhook: each created object becomes a job per matching service",
                    security=["webhookToken"],
                    body=True,
                )
            },
            "/callbacks/{job}": {
                "post": _op(
                    "Queue-worker callback for one attempt (signed URL)",
                    security=[],
                    params=[
                        _JOB,
                        {"name": "call", "in": "query", "schema": {"type": "string"}},
                        {"name": "sig", "in": "query", "schema": {"type": "string"}},
                    ],
                    body=True,
                )
            },
            "/run/{service}": {
                "post": _op(
                    "Synchronous call, streamed both ways",
                    security=["serviceToken"],
                    params=[_SERVICE],
                    body=True,
                )
            },
            "/job/{service}": {
                "post": _op(
                    "Submit a storage event to one service",
                    security=["serviceToken"],
                    params=[_SERVICE],
                    ok="202",
                    body=True,
                )
            },
            "/system/services": {
                "get": _op("List services (with their tokens)", security=admin),
                "post": _fdl_op(
                    "Create a service from an FDL document (deployed through faas-cli)",
                    ok="201",
                    conflict=True,
                ),
                "put": _fdl_op("Update the service the FDL document names"),
            },
            "/system/services/{service}": {
                "get": _op("One service", security=admin, params=[_SERVICE]),
                "put": _fdl_op("Update a service from an FDL document", params=[_SERVICE]),
                "delete": _op(
                    "Remove a service's function and script secret (buckets and objects stay)",
                    security=admin,
                    params=[_SERVICE, _DRY_RUN],
                    ok="204",
                    extra={"responses": {**_ADMIN_RESPONSES, "204": {"description": "Removed"}}},
                ),
            },
            "/system/services/{service}/replay": {
                "post": _op(
                    "Enqueue input objects that have no job; ?dead=true also requeues dead letters",
                    security=admin,
                    params=[_SERVICE],
                    ok="202",
                )
            },
            "/system/jobs/{service}": {
                "get": _op(
                    "A service's jobs, newest first",
                    security=admin,
                    params=[
                        _SERVICE,
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": ["queued", "running", "succeeded", "dead"],
                            },
                        },
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                    ],
                )
            },
            "/system/jobs/{service}/{job}": {
                "get": _op(
                    "One job with its attempts, timings, outputs and log tail",
                    security=admin,
                    params=[_SERVICE, _JOB],
                )
            },
        },
        "components": {
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "adminToken": {"type": "http", "scheme": "bearer"},
                "serviceToken": {"type": "http", "scheme": "bearer"},
                "webhookToken": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {
                "FdlService": _FDL_SCHEMA,
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
            },
        },
    }
