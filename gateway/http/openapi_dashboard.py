"""The operations the dashboard added to the API (gateway.http.files_api and the activity
route of gateway.http.jobs_api), in the words of gateway.http.openapi_parts."""

from __future__ import annotations

from gateway.http.dashboard_schemas import Activity, Buckets, Listing, PresignedLink, Stored
from gateway.http.openapi_parts import Operation, Param, Reply, Schema, admin, path_param, ref

BUCKET = path_param("bucket")
KEY = Param(
    "key",
    "query",
    {"type": "string", "minLength": 1},
    description="the object's key (no leading or trailing /)",
)
BINARY: Schema = {"type": "string", "format": "binary"}
OBJECT = "/system/files/{bucket}/object"
OBJECT_ERRORS = (400, 404, 502)

DASHBOARD_OPERATIONS: tuple[Operation, ...] = (
    admin("get", "/system/files", "Every bucket", Reply("The buckets' names", ref(Buckets)), 502),
    admin(
        "get",
        "/system/files/{bucket}",
        "The folders and objects directly under a prefix",
        Reply("One level of the bucket", ref(Listing)),
        *OBJECT_ERRORS,
        parameters=(BUCKET, Param("prefix", "query", {"type": "string"})),
    ),
    admin(
        "get",
        OBJECT,
        "Download an object (?inline=true: shown rather than saved)",
        Reply("The object's bytes", content={"*/*": {"schema": BINARY}}),
        *OBJECT_ERRORS,
        parameters=(BUCKET, KEY, Param("inline", "query", {"type": "boolean"})),
    ),
    admin(
        "put",
        OBJECT,
        "Upload the body as an object (into a service's input, it makes jobs)",
        Reply("Stored", ref(Stored)),
        *OBJECT_ERRORS,
        status="201",
        parameters=(BUCKET, KEY),
        body={"required": True, "content": {"application/octet-stream": {"schema": BINARY}}},
    ),
    admin(
        "delete",
        OBJECT,
        "Remove an object",
        Reply("Removed"),
        *OBJECT_ERRORS,
        status="204",
        parameters=(BUCKET, KEY),
    ),
    admin(
        "get",
        "/system/files/{bucket}/presign",
        "A link that downloads the object without a credential until it expires",
        Reply("The link", ref(PresignedLink)),
        *OBJECT_ERRORS,
        parameters=(
            BUCKET,
            KEY,
            Param("expires", "query", {"type": "integer", "minimum": 1, "maximum": 604800}),
        ),
    ),
    admin(
        "get",
        "/system/activity/{service}",
        "A service's jobs per minute by status, and upload-to-start latency",
        Reply("One entry per minute, oldest first", ref(Activity)),
        400,
        parameters=(
            path_param("service"),
            Param("minutes", "query", {"type": "integer", "minimum": 1, "maximum": 1440}),
        ),
    ),
)
