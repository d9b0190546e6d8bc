"""The operations of OSCAR's own API (gateway/http/oscar_api.py), as data like
`gateway.http.openapi_paths`: the OpenAPI document lists both."""

from __future__ import annotations

from gateway.http.openapi_parts import Operation, Param, Reply, Schema, admin, path_param, ref
from gateway.http.oscar_schemas import Bucket, ClusterConfig, Info, JobsPage, Presigned, Status

SERVICE = path_param("service")
JOB = path_param("job")
BUCKET = path_param("bucket")
TEXT = {"text/plain": {"schema": {"type": "string"}}}


def _json_body(properties: Schema, required: list[str]) -> Schema:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _config(path: str) -> Operation:
    return admin(
        "get",
        path,
        "OSCAR's cluster configuration: MinIO's endpoint and credentials for clients",
        Reply("The configuration", ref(ClusterConfig)),
    )


OSCAR_OPERATIONS: tuple[Operation, ...] = (
    admin(
        "get",
        "/system/info",
        "OSCAR's system information",
        Reply("Versions and platform", ref(Info)),
    ),
    _config("/system/config"),
    _config("/system/config/"),
    admin(
        "get",
        "/system/status",
        "OSCAR's cluster status: CPUs, memory, jobs and buckets",
        Reply("The status", ref(Status)),
        502,
    ),
    admin(
        "get",
        "/system/logs/{service}",
        "A service's jobs in OSCAR's shape (job id -> status and times), one page at a time",
        Reply("One page of jobs", ref(JobsPage)),
        400,
        404,
        parameters=(
            SERVICE,
            Param(
                "page",
                "query",
                {"type": "string", "pattern": "^[0-9]{0,10}$"},
                description="the `next_page` of the previous page; empty: the first",
            ),
        ),
    ),
    admin(
        "get",
        "/system/logs/{service}/{job}",
        "A job's log tail (and its error), as text",
        Reply("The log", content=TEXT),
        404,
        parameters=(SERVICE, JOB),
    ),
    admin(
        "delete",
        "/system/logs/{service}",
        "Remove the service's succeeded jobs (with `all=true`, every job of it)",
        Reply("Removed"),
        404,
        status="204",
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
    ),
    admin(
        "delete",
        "/system/logs/{service}/{job}",
        "Remove one job of the service, in any state",
        Reply("Removed"),
        404,
        status="204",
        parameters=(SERVICE, JOB),
    ),
    admin(
        "get",
        "/system/buckets",
        "Every bucket in the gateway's MinIO",
        Reply("The buckets", {"type": "array", "items": ref(Bucket)}),
        502,
    ),
    admin(
        "post",
        "/system/buckets",
        "Create a bucket (an existing one is left as it is)",
        Reply("The bucket", ref(Bucket)),
        400,
        502,
        status="201",
        body=_json_body({"bucket_name": {"type": "string"}}, ["bucket_name"]),
    ),
    admin(
        "delete",
        "/system/buckets/{bucket}",
        "Remove a bucket with every object in it",
        Reply("Removed"),
        400,
        404,
        502,
        status="204",
        parameters=(BUCKET,),
    ),
    admin(
        "post",
        "/system/buckets/{bucket}/presign",
        "A presigned URL to upload (PUT) or download (GET) one object",
        Reply("The URL", ref(Presigned)),
        400,
        502,
        parameters=(BUCKET,),
        body=_json_body(
            {
                "object_key": {"type": "string"},
                "operation": {"enum": ["upload", "download"]},
                "expires": {"type": "integer", "minimum": 1},
            },
            ["object_key"],
        ),
    ),
)
