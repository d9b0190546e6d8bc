"""Every operation of the gateway's API, as data: method, path, summary, credentials,
parameters, request body and `{status: reply}`. Bodies name their models in
`gateway.http.schemas`; `gateway.http.openapi` makes the document from this list.
"""

from __future__ import annotations

from gateway.http.openapi_parts import (
    ADMIN,
    Operation,
    Param,
    Reply,
    Schema,
    admin,
    errors,
    path_param,
    ref,
)
from gateway.http.oscar_schemas import Service
from gateway.http.schemas import (
    CallbackAnswer,
    Health,
    JobDetail,
    JobPage,
    Notification,
    Plan,
    Queued,
    Replayed,
    TokenRotated,
)
from gateway.jobs.model import LISTED

SERVICE = path_param("service")
JOB = path_param("job")
DRY_RUN = Param(
    "dry_run",
    "query",
    {"type": "boolean"},
    description="true: answer with the faas-cli plan, run nothing",
)
GRACE = Param(
    "grace_seconds",
    "query",
    {"type": "integer", "minimum": 0, "maximum": 30 * 86400},
    description="how long the replaced token still passes (default OSCAR_TOKEN_GRACE_SECONDS)",
)
BINARY: Schema = {"type": "string", "format": "binary"}
BYTES_BODY: Schema = {"content": {"application/octet-stream": {"schema": BINARY}}}
NOTIFICATION_BODY: Schema = {
    "required": True,
    "content": {"application/json": {"schema": ref(Notification)}},
}


def fdl_body(component: str) -> Schema:
    return {
        "description": "One OSCAR FDL service (`script` holds the script's text)",
        "required": True,
        "content": {
            kind: {"schema": ref(component)}
            for kind in ("application/json", "application/yaml", "text/yaml")
        },
    }


SERVICE_SHOWN = "The service, as GET shows it"
PLAN_SHOWN = "?dry_run=true: the faas-cli plan"


def _fdl_change(path: str, method: str, summary: str, *, params: tuple[Param, ...]) -> Operation:
    """POST (create) or PUT (update) of a service from its FDL document."""
    creating = method == "post"
    answers = (
        {"201": Reply(SERVICE_SHOWN, ref(Service)), "200": Reply(PLAN_SHOWN, ref(Plan))}
        if creating
        else {
            "200": Reply(
                f"{SERVICE_SHOWN}; with ?dry_run=true, the faas-cli plan",
                {"oneOf": [ref(Service), ref(Plan)]},
            )
        }
    )
    return Operation(
        method,
        path,
        summary,
        auth=ADMIN,
        parameters=(*params, DRY_RUN),
        # The URL names the service on PUT /system/services/{service}: the body need not.
        body=fdl_body("FdlServiceUpdate" if params else "FdlService"),
        responses={
            **answers,
            **errors(400, 401, 403, 415, 422, 502),
            **errors(409 if creating else 404),
        },
    )


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "get",
        "/health",
        "Liveness, and whether the ledger answers",
        auth=(),
        responses={
            "200": Reply("Alive", ref(Health)),
            "503": Reply("The ledger does not answer", ref(Health)),
        },
    ),
    Operation(
        "get",
        "/metrics",
        "Prometheus metrics",
        auth=(),
        responses={
            "200": Reply(
                "Prometheus text format", content={"text/plain": {"schema": {"type": "string"}}}
            )
        },
    ),
    Operation(
        "get",
        "/openapi.json",
        "This description",
        auth=(),
        responses={"200": Reply("OpenAPI 3.1", {"type": "object"})},
    ),
    Operation(
        "post",
        "/events",
        "MinIO webhook: each created object becomes a job per matching service",
        auth=("webhookToken",),
        body=NOTIFICATION_BODY,
        responses={"200": Reply("Written to the ledger", ref(Queued)), **errors(400, 401, 403)},
    ),
    Operation(
        "post",
        "/callbacks/{job}",
        "Queue-worker callback for one attempt (signed URL)",
        auth=(),
        parameters=(
            JOB,
            Param("call", "query", {"type": "string"}),
            Param("sig", "query", {"type": "string"}),
        ),
        body=BYTES_BODY,
        responses={
            "200": Reply("The attempt's outcome", ref(CallbackAnswer)),
            **errors(403, 404),
        },
    ),
    Operation(
        "post",
        "/run/{service}",
        "Synchronous call, streamed both ways",
        auth=("serviceToken",),
        parameters=(SERVICE,),
        body=BYTES_BODY,
        responses={
            "200": Reply(
                "The function's answer, with its own headers", content={"*/*": {"schema": BINARY}}
            ),
            **errors(401, 403, 404, 502),
            "default": Reply("The function's own failure, as it answered", content={"*/*": {}}),
        },
    ),
    Operation(
        "post",
        "/job/{service}",
        "Submit a storage event to one service",
        auth=("serviceToken",),
        parameters=(SERVICE,),
        body=NOTIFICATION_BODY,
        responses={
            "202": Reply("Written to the ledger", ref(Queued)),
            **errors(400, 401, 403, 404, 502),
        },
    ),
    admin(
        "get",
        "/system/services",
        "List services (with their tokens)",
        Reply("Every service", {"type": "array", "items": ref(Service)}),
        502,
    ),
    _fdl_change(
        "/system/services",
        "post",
        "Create a service from an FDL document (deployed through faas-cli)",
        params=(),
    ),
    _fdl_change("/system/services", "put", "Update the service the FDL document names", params=()),
    admin(
        "get",
        "/system/services/{service}",
        "One service",
        Reply("The service", ref(Service)),
        404,
        502,
        parameters=(SERVICE,),
    ),
    _fdl_change(
        "/system/services/{service}",
        "put",
        "Update a service from an FDL document",
        params=(SERVICE,),
    ),
    Operation(
        "delete",
        "/system/services/{service}",
        "Remove a service's function and script secret (buckets and objects stay)",
        auth=ADMIN,
        parameters=(SERVICE, DRY_RUN),
        responses={
            "204": Reply("Removed"),
            "200": Reply(PLAN_SHOWN, ref(Plan)),
            **errors(401, 403, 404, 502),
        },
    ),
    admin(
        "post",
        "/system/services/{service}/replay",
        "Enqueue input objects that have no job; ?dead=true also requeues dead letters",
        Reply("How many jobs were queued", ref(Replayed)),
        404,
        502,
        status="202",
        parameters=(
            SERVICE,
            Param("dead", "query", {"type": "boolean"}),
            Param(
                "job",
                "query",
                {"type": "string"},
                description="requeue only this dead letter (and list nothing)",
            ),
        ),
    ),
    admin(
        "get",
        "/system/jobs/{service}",
        "A service's jobs, newest first",
        Reply("One page of jobs", ref(JobPage)),
        400,
        404,
        parameters=(
            SERVICE,
            Param(
                "status",
                "query",
                {"type": "string", "enum": [s.value for s in LISTED]},
            ),
            Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
            Param("offset", "query", {"type": "integer", "minimum": 0, "maximum": 10**9}),
        ),
    ),
    admin(
        "get",
        "/system/jobs/{service}/{job}",
        "One job with its attempts, timings, outputs and log tail",
        Reply("The job, with its attempts as `history`", ref(JobDetail)),
        404,
        parameters=(SERVICE, JOB),
    ),
    admin(
        "post",
        "/system/services/{service}/token/rotate",
        "A new token for the service; the replaced one still passes for the grace",
        Reply("The new token, shown here", ref(TokenRotated)),
        400,
        404,
        parameters=(SERVICE, GRACE),
    ),
    admin(
        "post",
        "/system/webhook-token/rotate",
        "A new MinIO webhook token; the replaced one still passes for the grace",
        Reply("The new token, shown only here", ref(TokenRotated)),
        400,
        parameters=(GRACE,),
    ),
)
