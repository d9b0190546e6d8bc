"""The OpenAPI description of the gateway, kept equal to its routes by a test."""

from __future__ import annotations

from typing import Any

_JSON = {"application/json": {"schema": {"type": "object"}}}
_ERROR = {
    "description": "JSON error with a reason",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_SERVICE = {"name": "service", "in": "path", "required": True, "schema": {"type": "string"}}
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
            "/system/services": {"get": _op("List services (with their tokens)", security=admin)},
            "/system/services/{service}": {
                "get": _op("One service", security=admin, params=[_SERVICE])
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
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                }
            },
        },
    }
