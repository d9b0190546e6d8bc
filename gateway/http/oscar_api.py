"""OSCAR's own API, where OSCAR's clients read it (`oscar_python`, oscar-cli), beside ours.

| route | what (OSCAR's shape, gateway/http/oscar_schemas.py) |
|---|---|
| `GET /system/info` | version, platform, the serverless backend |
| `GET /system/config[/]` | `minio_provider`: MinIO's endpoint and credentials for clients |
| `GET /system/status` | this machine's CPUs and memory, jobs, buckets |
| `GET /system/logs/<svc>[?page=]` | the service's jobs by id, with `next_page` |
| `GET /system/logs/<svc>/<job>` | a job's log tail, as text |
| `DELETE /system/logs/<svc>[?all=true]` | its succeeded jobs (with `all`: every job) |
| `DELETE /system/logs/<svc>/<job>` | that job, in any state |
| `GET, POST /system/buckets`, `DELETE /system/buckets/<b>` | buckets |
| `POST /system/buckets/<b>/presign` | a presigned URL to upload or download one object |

`/system/services`, `/run/<svc>` and `/job/<svc>` are the gateway's own routes, which answer in
OSCAR's shapes already; every route here is admin-only, as in OSCAR with basic auth.
"""

from __future__ import annotations

import os
import platform
import re
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

from flask import Blueprint, Response, request

from gateway.clients.storage import Storage
from gateway.config import GatewayConfig
from gateway.errors import BadRequest, NotFound
from gateway.http import oscar_schemas as shapes
from gateway.http.query import bounded_int, flag
from gateway.http.schemas import reply
from gateway.jobs.ledger import Ledger
from gateway.jobs.parts import JobParts

PAGE = 100  # jobs per page of /system/logs/<svc>
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PRESIGN_METHODS = {"upload": "PUT", "download": "GET"}
MAX_EXPIRES = 7 * 24 * 3600  # S3's longest presigned URL


def blueprint(
    *, config: GatewayConfig, parts: JobParts, clock: Callable[[], float] = time.time
) -> Blueprint:
    routes = Blueprint("oscar_api", __name__)
    ledger, storage = parts.ledger, parts.storage

    @routes.get("/system/info")
    def _info() -> tuple[Response, int]:
        return reply(info())

    @routes.get("/system/config")
    @routes.get("/system/config/")  # oscar_python's storage client asks with the slash
    def _config() -> tuple[Response, int]:
        return reply(cluster_config(config))

    @routes.get("/system/status")
    def _status() -> tuple[Response, int]:
        return reply(status(ledger, buckets=len(storage.bucket_names())))

    @routes.get("/system/logs/<name>")
    def _jobs(name: str) -> tuple[Response, int]:
        offset = _page()
        total = ledger.total(name, status=None)
        if total == 0 and parts.registry.find(name) is None:
            parts.registry.get(name)  # NotFound with its hint, unless a refresh finds it
        jobs = ledger.page(name, status=None, limit=PAGE, offset=offset)
        seen = offset + len(jobs)
        page = shapes.JobsPage(
            jobs={job.id: shapes.JobInfo.from_row(job) for job in jobs},
            next_page=str(seen) if seen < total else "",
            remaining_jobs=max(total - seen, 0),
        )
        return reply(page)

    @routes.get("/system/logs/<name>/<job_id>")
    def _log(name: str, job_id: str) -> Response:
        job = ledger.get(job_id)
        if job is None or job.service != name:
            raise NotFound(f"job {job_id} of service {name!r} does not exist")
        text = job.log_tail + (f"\n{job.error}\n" if job.error else "")
        return Response(text, content_type="text/plain; charset=utf-8")

    _removal_routes(routes, parts, clock)
    _bucket_routes(routes, storage)
    return routes


def _removal_routes(routes: Blueprint, parts: JobParts, clock: Callable[[], float]) -> None:
    """OSCAR deletes Kubernetes Jobs here; the ledger forgets the jobs instead, keeping each
    one's identity so that its object (still in the bucket) does not run again."""
    ledger = parts.ledger

    @routes.delete("/system/logs/<name>")
    def _remove_jobs(name: str) -> tuple[Response, int]:
        if ledger.total(name, status=None) == 0 and parts.registry.find(name) is None:
            parts.registry.get(name)  # NotFound with its hint, unless a refresh finds it
        ledger.remove(name, now=clock(), every=flag("all"))
        return Response(status=204), 204

    @routes.delete("/system/logs/<name>/<job_id>")
    def _remove_job(name: str, job_id: str) -> tuple[Response, int]:
        if ledger.remove(name, now=clock(), job_id=job_id) == 0:
            raise NotFound(f"job {job_id} of service {name!r} does not exist")
        return Response(status=204), 204


def _bucket_routes(routes: Blueprint, storage: Storage) -> None:
    @routes.get("/system/buckets")
    def _buckets() -> tuple[Response, int]:
        return reply([shapes.Bucket(bucket_name=b) for b in storage.bucket_names()])

    @routes.post("/system/buckets")
    def _create_bucket() -> tuple[Response, int]:
        name = _bucket_name(_body().get("bucket_name"))
        storage.ensure_bucket(name)
        return reply(shapes.Bucket(bucket_name=name), 201)

    @routes.delete("/system/buckets/<name>")
    def _delete_bucket(name: str) -> tuple[Response, int]:
        storage.remove_bucket(_bucket_name(name))
        return Response(status=204), 204

    @routes.post("/system/buckets/<name>/presign")
    def _presign(name: str) -> tuple[Response, int]:
        body = _body()
        key = body.get("object_key")
        if not isinstance(key, str) or not key.strip("/"):
            raise BadRequest("object_key: expected the object's key, e.g. 'in/photo.png'")
        operation = body.get("operation", "download")
        if not isinstance(operation, str) or operation not in PRESIGN_METHODS:
            raise BadRequest(f"operation: expected 'upload' or 'download', found {operation!r}")
        expires = body.get("expires") or 3600
        if isinstance(expires, bool) or not isinstance(expires, int) or expires < 1:
            raise BadRequest(f"expires: expected a positive number of seconds, found {expires!r}")
        method, seconds = PRESIGN_METHODS[operation], min(expires, MAX_EXPIRES)
        url = storage.presigned(_bucket_name(name), key, method=method, expires=seconds)
        return reply(shapes.Presigned(url=url, method=method, expires=seconds))


def info() -> shapes.Info:
    return shapes.Info(
        version=metadata.version("oscar-faas"),
        git_commit="",
        platform=f"{platform.system().lower()}/{platform.machine()}",
        kubernetes_version="",
        serverless_backend=shapes.ServerlessBackend(name="OpenFaaS", version="CE"),
    )


def cluster_config(config: GatewayConfig) -> shapes.ClusterConfig:
    scheme = "https" if config.minio_secure else "http"
    return shapes.ClusterConfig(
        name="oscar-faas",
        namespace="",
        services_namespace="",
        gpu_available=False,
        interLink_available=False,
        yunikorn_enable=False,
        oidc_groups=[],
        minio_provider=shapes.MinioProvider(
            endpoint=f"{scheme}://{config.minio_endpoint}",
            verify=config.minio_secure,
            access_key=config.minio_access_key,
            secret_key=config.minio_secret_key,
            region="us-east-1",
        ),
    )


def status(ledger: Ledger, *, buckets: int) -> shapes.Status:
    cores = os.cpu_count() or 1
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    metrics = {
        "cpu": {
            "total_free_cores": cores,
            "max_free_on_node_cores": cores,
            "total_schedulable_cores": cores,
            "total_schedulable_on_node_cores": cores,
        },
        "memory": {
            "total_free_bytes": free,
            "max_free_on_node_bytes": free,
            "total_schedulable_bytes": memory,
            "max_schedulable_on_node_bytes": memory,
        },
        "gpu": {"total_gpu": 0},
    }
    return shapes.Status(
        cluster=shapes.ClusterNodes(nodes_count=1, metrics=metrics, nodes=[]),
        oscar=shapes.OscarStatus(
            deployment_name="oscar-faas-gateway",
            ready=True,
            jobs_count=sum(ledger.counts().values()),
        ),
        minio=shapes.MinioStatus(buckets_count=buckets, total_objects=0),
    )


def _page() -> int:
    """OSCAR's `page` token: here the offset of the page's first job (empty: the first page)."""
    if not request.args.get("page"):
        return 0
    return bounded_int("page", default=0, low=0, high=10**9)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest('expected a JSON object, e.g. {"bucket_name": "photos"}')
    return body


def _bucket_name(value: object) -> str:
    if not isinstance(value, str) or not _BUCKET.match(value):
        raise BadRequest(
            f"bucket_name: expected a bucket name (3-63 lower-case letters, digits, '.' and "
            f"'-'), found {value!r}"
        )
    return value
