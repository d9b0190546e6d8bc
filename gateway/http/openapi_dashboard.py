"""The operations the dashboard added to the API (gateway.http.files_api and the activity
route of gateway.http.jobs_api), in the words of gateway.http.openapi_parts."""

from __future__ import annotations

from gateway.http.dashboard_schemas import Activity, Buckets, Listing, PresignedLink, Stored
from gateway.http.openapi_parts import Operation, Param, Reply, Schema, errors, ref

ADMIN = ("basicAuth", "adminToken")
BUCKET = Param("bucket", "path", {"type": "string"})
KEY = Param(
    "key",
    "query",
    {"type": "string", "minLength": 1},
    description="the object's key (no leading or trailing /)",
)
BINARY: Schema = {"type": "string", "format": "binary"}
OBJECT = "/system/files/{bucket}/object"

DASHBOARD_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "get",
        "/system/files",
        "Every bucket",
        auth=ADMIN,
        responses={"200": Reply("The buckets' names", ref(Buckets)), **errors(401, 403, 502)},
    ),
    Operation(
        "get",
        "/system/files/{bucket}",
        "The folders and objects directly under a prefix",
        auth=ADMIN,
        parameters=(BUCKET, Param("prefix", "query", {"type": "string"})),
        responses={
            "200": Reply("One level of the bucket", ref(Listing)),
            **errors(400, 401, 403, 404, 502),
        },
    ),
    Operation(
        "get",
        OBJECT,
        "Download an object (?inline=true: shown rather than saved)",
        auth=ADMIN,
        parameters=(BUCKET, KEY, Param("inline", "query", {"type": "boolean"})),
        responses={
            "200": Reply("The object's bytes", content={"*/*": {"schema": BINARY}}),
            **errors(400, 401, 403, 404, 502),
        },
    ),
    Operation(
        "put",
        OBJECT,
        "Upload the body as an object (into a service's input, it makes jobs)",
        auth=ADMIN,
        parameters=(BUCKET, KEY),
        body={"required": True, "content": {"application/octet-stream": {"schema": BINARY}}},
        responses={
            "201": Reply("Stored", ref(Stored)),
            **errors(400, 401, 403, 404, 502),
        },
    ),
    Operation(
        "delete",
        OBJECT,
        "Remove an object",
        auth=ADMIN,
        parameters=(BUCKET, KEY),
        responses={"204": Reply("Removed"), **errors(400, 401, 403, 404, 502)},
    ),
    Operation(
        "get",
        "/system/files/{bucket}/presign",
        "A link that downloads the object without a credential until it expires",
        auth=ADMIN,
        parameters=(
            BUCKET,
            KEY,
            Param("expires", "query", {"type": "integer", "minimum": 1, "maximum": 604800}),
        ),
        responses={"200": Reply("The link", ref(PresignedLink)), **errors(400, 401, 403, 404, 502)},
    ),
    Operation(
        "get",
        "/system/activity/{service}",
        "A service's jobs per minute by status, and upload-to-start latency",
        auth=ADMIN,
        parameters=(
            Param("service", "path", {"type": "string"}),
            Param("minutes", "query", {"type": "integer", "minimum": 1, "maximum": 1440}),
        ),
        responses={
            "200": Reply("One entry per minute, oldest first", ref(Activity)),
            **errors(400, 401, 403),
        },
    ),
)
