"""The OpenAPI description of the gateway, kept equal to its routes and answers by tests.

tests/unit/gateway/test_service_api.py checks that every route is described; tests/fuzz runs
schemathesis against this description, so every status, content type and body shape a route
can answer with is written down here.
"""

from __future__ import annotations

from typing import Any

ADMIN = ["basicAuth", "adminToken"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    reasons = {
        400: "The request is malformed (the reason says how)",
        401: "No credential",
        403: "A wrong credential",
        404: "No such service or job",
        409: "The service exists already",
        415: "The body is neither JSON nor YAML",
        422: "The service definition has problems (all of them named)",
        502: "OpenFaaS, MinIO or faas-cli failed (`detail` holds their answer, truncated)",
    }
    return {str(code): _json(reasons[code], _ref("Error")) for code in codes}


def _param(name: str, where: str, schema: dict[str, Any], text: str = "") -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": where, "schema": schema}
    if where == "path":
        param["required"] = True
    if text:
        param["description"] = text
    return param


_SERVICE = _param("service", "path", {"type": "string"})
_JOB = _param("job", "path", {"type": "string"})
_DRY_RUN = _param(
    "dry_run", "query", {"type": "boolean"}, "true: answer with the faas-cli plan, run nothing"
)
_BYTES = {
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
}
_NOTIFICATION_BODY = {
    "required": True,
    "content": {"application/json": {"schema": _ref("Notification")}},
}
_FDL_BODY = {
    "description": "One OSCAR FDL service (`script` holds the script's text)",
    "required": True,
    "content": {
        kind: {"schema": _ref("FdlService")}
        for kind in ("application/json", "application/yaml", "text/yaml")
    },
}


def _op(
    summary: str,
    *,
    security: list[str],
    responses: dict[str, Any],
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "security": [{name: []} for name in security],
        "parameters": params or [],
        "responses": responses,
    }
    if body is not None:
        operation["requestBody"] = body
    return operation


def _fdl_op(summary: str, *, creating: bool, params: list[dict[str, Any]] | None = None) -> Any:
    ok = "201" if creating else "200"
    responses = {
        ok: _json("The service, as GET shows it", _ref("Service")),
        **_errors(400, 401, 403, 415, 422, 502),
        **(_errors(409) if creating else _errors(404)),
    }
    if creating:
        responses["200"] = _json("?dry_run=true: the faas-cli plan", _ref("Plan"))
    else:
        responses["200"] = _json(
            "The service, as GET shows it; with ?dry_run=true, the faas-cli plan",
            {"oneOf": [_ref("Service"), _ref("Plan")]},
        )
    return _op(
        summary,
        security=ADMIN,
        params=[*(params or []), _DRY_RUN],
        body=_FDL_BODY,
        responses=responses,
    )


_NUMBER_OR_NULL = {"type": "number", "nullable": True}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_IO = {
    "type": "object",
    "required": ["path"],
    "properties": {
        "storage_provider": {"type": "string", "enum": ["minio", "minio.default"]},
        "path": {"type": "string", "description": "bucket/prefix"},
        "prefix": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
        "suffix": _STRINGS,
    },
}
_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}},
    },
    "Notification": {
        "type": "object",
        "description": "MinIO's (or S3's) notification: each created object becomes a job",
        "required": ["Records"],
        "properties": {
            "EventName": {"type": "string"},
            "Key": {"type": "string"},
            "Records": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["s3"],
                    "properties": {
                        "eventName": {"type": "string", "example": "s3:ObjectCreated:Put"},
                        "eventTime": {"type": "string"},
                        "s3": {
                            "type": "object",
                            "required": ["bucket", "object"],
                            "properties": {
                                "bucket": {
                                    "type": "object",
                                    "required": ["name"],
                                    "properties": {"name": {"type": "string", "minLength": 1}},
                                },
                                "object": {
                                    "type": "object",
                                    "required": ["key"],
                                    "properties": {
                                        "key": {
                                            "type": "string",
                                            "minLength": 1,
                                            "description": "query-escaped, as MinIO sends it",
                                        },
                                        "eTag": {"type": "string"},
                                        "versionId": {"type": "string"},
                                        "size": {"type": "integer"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "Queued": {
        "type": "object",
        "required": ["jobs", "duplicates", "unrouted", "ignored"],
        "properties": {
            "jobs": {
                "type": "array",
                "description": "the jobs this notification created",
                "items": {
                    "type": "object",
                    "required": ["id", "service", "key"],
                    "properties": {
                        "id": {"type": "string"},
                        "service": {"type": "string"},
                        "key": {"type": "string"},
                    },
                },
            },
            "duplicates": {"type": "integer", "description": "objects that had a job already"},
            "unrouted": {"type": "integer", "description": "objects no service takes"},
            "ignored": {"type": "integer", "description": "records that create nothing"},
        },
    },
    "CallbackAnswer": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {
                "type": "string",
                "enum": ["queued", "succeeded", "dead", "ignored"],
                "description": "the job's state now; `ignored` for a stale attempt",
            },
            "reason": {"type": "string"},
        },
    },
    "Service": {
        "type": "object",
        "required": ["name", "input", "output", "max_attempts", "concurrency", "timeout", "token"],
        "properties": {
            "name": {"type": "string"},
            "input": {
                "type": "object",
                "required": ["path", "suffixes"],
                "properties": {"path": {"type": "string"}, "suffixes": _STRINGS},
            },
            "output": {
                "type": "object",
                "nullable": True,
                "required": ["path"],
                "properties": {"path": {"type": "string"}},
            },
            "max_attempts": {"type": "integer"},
            "concurrency": {"type": "integer"},
            "timeout": {"type": "number"},
            "token": {"type": "string", "description": "for /run/<svc> and /job/<svc>"},
        },
    },
    "Plan": {
        "type": "object",
        "required": ["name", "dry_run", "plan"],
        "properties": {
            "name": {"type": "string"},
            "dry_run": {"type": "boolean", "enum": [True]},
            "plan": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["command"],
                    "properties": {"command": {"type": "string"}, "files": _STRING_MAP},
                },
            },
        },
    },
    "Replayed": {
        "type": "object",
        "required": ["queued", "requeued_dead"],
        "properties": {"queued": {"type": "integer"}, "requeued_dead": {"type": "integer"}},
    },
    "Attempt": {
        "type": "object",
        "required": [
            "number",
            "call_id",
            "dispatched_at",
            "finished_at",
            "outcome",
            "http_status",
            "duration_seconds",
            "error",
        ],
        "properties": {
            "number": {"type": "integer"},
            "call_id": {"type": "string"},
            "dispatched_at": {"type": "number"},
            "finished_at": _NUMBER_OR_NULL,
            "outcome": {"type": "string", "enum": ["running", "succeeded", "failed"]},
            "http_status": {"type": "integer", "nullable": True},
            "duration_seconds": _NUMBER_OR_NULL,
            "error": {"type": "string"},
        },
    },
    "Job": {
        "type": "object",
        "required": [
            "id",
            "service",
            "bucket",
            "key",
            "etag",
            "status",
            "attempts",
            "max_attempts",
            "received_at",
            "outputs",
            "log_tail",
            "error",
        ],
        "properties": {
            "id": {"type": "string"},
            "service": {"type": "string"},
            "bucket": {"type": "string"},
            "key": {"type": "string"},
            "etag": {"type": "string"},
            "status": {"type": "string", "enum": ["queued", "running", "succeeded", "dead"]},
            "attempts": {"type": "integer"},
            "max_attempts": {"type": "integer"},
            "received_at": {"type": "number"},
            "dispatched_at": _NUMBER_OR_NULL,
            "started_at": _NUMBER_OR_NULL,
            "finished_at": _NUMBER_OR_NULL,
            "next_attempt_at": _NUMBER_OR_NULL,
            "duration_seconds": _NUMBER_OR_NULL,
            "outputs": _STRINGS,
            "log_tail": {"type": "string"},
            "error": {"type": "string"},
            "history": {"type": "array", "items": _ref("Attempt")},
        },
    },
    "JobPage": {
        "type": "object",
        "required": ["jobs", "limit", "offset", "total"],
        "properties": {
            "jobs": {"type": "array", "items": _ref("Job")},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "total": {
                "type": "integer",
                "description": "how many jobs match the filter, over all pages",
            },
        },
    },
    "FdlService": {
        "type": "object",
        "required": ["name", "image", "input"],
        "properties": {
            "name": {
                "type": "string",
                "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                "maxLength": 63,
            },
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
            "secrets": _STRINGS,
            "log_level": {
                "type": "string",
                "enum": ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
            },
            "annotations": _STRING_MAP,
            "labels": _STRING_MAP,
            "max_attempts": {"type": "integer", "minimum": 1},
            "concurrency": {"type": "integer", "minimum": 1},
            "timeout": {"type": "integer", "minimum": 1},
        },
    },
}


def spec(server: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "oscar-faas gateway",
            "version": "0.1.0",
            "description": "Bucket-triggered jobs, synchronous calls and services on OpenFaaS.",
        },
        "servers": [{"url": server}],
        "paths": {
            "/health": {
                "get": _op(
                    "Liveness", security=[], responses={"200": _json("Alive", _ref("Health"))}
                )
            },
            "/metrics": {
                "get": _op(
                    "Prometheus metrics",
                    security=[],
                    responses={
                        "200": {
                            "description": "Prometheus text format",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                )
            },
            "/openapi.json": {
                "get": _op(
                    "This description",
                    security=[],
                    responses={"200": _json("OpenAPI 3.0", {"type": "object"})},
                )
            },
            "/events": {
                "post": _op(
                    "MinIO webhook: each created object becomes a job per matching service",
                    security=["webhookToken"],
                    body=_NOTIFICATION_BODY,
                    responses={
                        "200": _json("Written to the ledger", _ref("Queued")),
                        **_errors(400, 401, 403),
                    },
                )
            },
            "/callbacks/{job}": {
                "post": _op(
                    "Queue-worker callback for one attempt (signed URL)",
                    security=[],
                    params=[
                        _JOB,
                        _param("call", "query", {"type": "string"}),
                        _param("sig", "query", {"type": "string"}),
                    ],
                    body=_BYTES,
                    responses={
                        "200": _json("The attempt's outcome", _ref("CallbackAnswer")),
                        **_errors(403, 404),
                    },
                )
            },
            "/run/{service}": {
                "post": _op(
                    "Synchronous call, streamed both ways",
                    security=["serviceToken"],
                    params=[_SERVICE],
                    body=_BYTES,
                    responses={
                        "200": {
                            "description": "The function's answer, with its own headers",
                            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                        },
                        **_errors(401, 403, 404, 502),
                        "default": {
                            "description": "The function's own failure, as it answered",
                            "content": {"*/*": {}},
                        },
                    },
                )
            },
            "/job/{service}": {
                "post": _op(
                    "Submit a storage event to one service",
                    security=["serviceToken"],
                    params=[_SERVICE],
                    body=_NOTIFICATION_BODY,
                    responses={
                        "202": _json("Written to the ledger", _ref("Queued")),
                        **_errors(400, 401, 403, 404, 502),
                    },
                )
            },
            "/system/services": {
                "get": _op(
                    "List services (with their tokens)",
                    security=ADMIN,
                    responses={
                        "200": _json("Every service", {"type": "array", "items": _ref("Service")}),
                        **_errors(401, 403, 502),
                    },
                ),
                "post": _fdl_op(
                    "Create a service from an FDL document (deployed through faas-cli)",
                    creating=True,
                ),
                "put": _fdl_op("Update the service the FDL document names", creating=False),
            },
            "/system/services/{service}": {
                "get": _op(
                    "One service",
                    security=ADMIN,
                    params=[_SERVICE],
                    responses={
                        "200": _json("The service", _ref("Service")),
                        **_errors(401, 403, 404, 502),
                    },
                ),
                "put": _fdl_op(
                    "Update a service from an FDL document", creating=False, params=[_SERVICE]
                ),
                "delete": _op(
                    "Remove a service's function and script secret (buckets and objects stay)",
                    security=ADMIN,
                    params=[_SERVICE, _DRY_RUN],
                    responses={
                        "204": {"description": "Removed"},
                        "200": _json("?dry_run=true: the faas-cli plan", _ref("Plan")),
                        **_errors(401, 403, 404, 502),
                    },
                ),
            },
            "/system/services/{service}/replay": {
                "post": _op(
                    "Enqueue input objects that have no job; ?dead=true also requeues dead letters",
                    security=ADMIN,
                    params=[_SERVICE, _param("dead", "query", {"type": "boolean"})],
                    responses={
                        "202": _json("How many jobs were queued", _ref("Replayed")),
                        **_errors(401, 403, 404, 502),
                    },
                )
            },
            "/system/jobs/{service}": {
                "get": _op(
                    "A service's jobs, newest first",
                    security=ADMIN,
                    params=[
                        _SERVICE,
                        _param(
                            "status",
                            "query",
                            {"type": "string", "enum": ["queued", "running", "succeeded", "dead"]},
                        ),
                        _param(
                            "limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}
                        ),
                        _param(
                            "offset", "query", {"type": "integer", "minimum": 0, "maximum": 10**9}
                        ),
                    ],
                    responses={
                        "200": _json("One page of jobs", _ref("JobPage")),
                        **_errors(400, 401, 403, 404),
                    },
                )
            },
            "/system/jobs/{service}/{job}": {
                "get": _op(
                    "One job with its attempts, timings, outputs and log tail",
                    security=ADMIN,
                    params=[_SERVICE, _JOB],
                    responses={
                        "200": _json("The job, with its attempts as `history`", _ref("Job")),
                        **_errors(401, 403, 404),
                    },
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
            "schemas": _SCHEMAS,
        },
    }
