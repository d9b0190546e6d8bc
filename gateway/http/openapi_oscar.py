"""The operations of OSCAR's own API (gateway/http/oscar_api.py), as data like
`gateway.http.openapi_paths`: the OpenAPI document lists both."""

from __future__ import annotations

from gateway.http.openapi_parts import Operation, Param, Reply, Schema, errors, ref
from gateway.http.oscar_schemas import Bucket, ClusterConfig, Info, JobsPage, Presigned, Status

ADMIN = ("basicAuth", "adminToken")
SERVICE = Param("service", "path", {"type": "string"})
JOB = Param("job", "path", {"type": "string"})
BUCKET = Param("bucket", "path", {"type": "string"})
TEXT = {"text/plain": {"schema": {"type": "string"}}}


def _json_body(properties: Schema, required: list[str]) -> Schema:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _config(path: str) -> Operation:
    return Operation(
        "get",
        path,
        "OSCAR's cluster configuration: MinIO's endpoint and credentials for clients",
        auth=ADMIN,
        responses={"200": Reply("The configuration", ref(ClusterConfig)), **errors(401, 403)},
    )


OSCAR_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "get",
        "/system/info",
        "OSCAR's system information",
        auth=ADMIN,
        responses={"200": Reply("Versions and platform", ref(Info)), **errors(401, 403)},
    ),
    _config("/system/config"),
    _config("/system/config/"),
    Operation(
        "get",
        "/system/status",
        "OSCAR's cluster status: CPUs, memory, jobs and buckets",
        auth=ADMIN,
        responses={"200": Reply("The status", ref(Status)), **errors(401, 403, 502)},
    ),
    Operation(
        "get",
        "/system/logs/{service}",
        "A service's jobs in OSCAR's shape (job id -> status and times), one page at a time",
        auth=ADMIN,
        parameters=(
            SERVICE,
            Param(
                "page",
                "query",
                {"type": "string", "pattern": "^[0-9]{0,10}$"},
                description="the `next_page` of the previous page; empty: the first",
            ),
        ),
        responses={"200": Reply("One page of jobs", ref(JobsPage)), **errors(400, 401, 403, 404)},
    ),
    Operation(
        "get",
        "/system/logs/{service}/{job}",
        "A job's log tail (and its error), as text",
        auth=ADMIN,
        parameters=(SERVICE, JOB),
        responses={"200": Reply("The log", content=TEXT), **errors(401, 403, 404)},
    ),
    Operation(
        "delete",
        "/system/logs/{service}",
        "Remove the service's succeeded jobs (with `all=true`, every job of it)",
        auth=ADMIN,
        parameters=(
            SERVICE,
            Param(
                "all",
                "query",
                {"type": "string"},
                description="`true`: queued, running and dead jobs too (their results are"
                " no longer recorded)",
            ),
        ),
        responses={"204": Reply("Removed"), **errors(401, 403, 404)},
    ),
    Operation(
        "delete",
        "/system/logs/{service}/{job}",
        "Remove one job of the service, in any state",
        auth=ADMIN,
        parameters=(SERVICE, JOB),
        responses={"204": Reply("Removed"), **errors(401, 403, 404)},
    ),
    Operation(
        "get",
        "/system/buckets",
        "Every bucket in the gateway's MinIO",
        auth=ADMIN,
        responses={
            "200": Reply("The buckets", {"type": "array", "items": ref(Bucket)}),
            **errors(401, 403, 502),
        },
    ),
    Operation(
        "post",
        "/system/buckets",
        "Create a bucket (an existing one is left as it is)",
        auth=ADMIN,
        body=_json_body({"bucket_name": {"type": "string"}}, ["bucket_name"]),
        responses={"201": Reply("The bucket", ref(Bucket)), **errors(400, 401, 403, 502)},
    ),
    Operation(
        "delete",
        "/system/buckets/{bucket}",
        "Remove a bucket with every object in it",
        auth=ADMIN,
        parameters=(BUCKET,),
        responses={"204": Reply("Removed"), **errors(400, 401, 403, 404, 502)},
    ),
    Operation(
        "post",
        "/system/buckets/{bucket}/presign",
        "A presigned URL to upload (PUT) or download (GET) one object",
        auth=ADMIN,
        parameters=(BUCKET,),
        body=_json_body(
            {
                "object_key": {"type": "string"},
                "operation": {"enum": ["upload", "download"]},
                "expires": {"type": "integer", "minimum": 1},
            },
            ["object_key"],
        ),
        responses={"200": Reply("The URL", ref(Presigned)), **errors(400, 401, 403, 502)},
    ),
)
