"""The answers of OSCAR's own API, in OSCAR's shapes (github.com/grycap/oscar, pkg/types), so that
OSCAR's clients (`oscar_python`, oscar-cli, OSCAR's dashboard) read them unchanged.

A service is OSCAR's FDL JSON (`input`/`output` as lists of storage entries, `environment` as
`{variables}`, `storage_providers`, `token`) with this gateway's own fields beside OSCAR's
(`max_attempts`, `concurrency`, `timeout`, `batch_size`, `batch_window`). Fields OSCAR has and
this gateway gives no meaning (`vo`, `visibility`, ...) are left out, as OSCAR's JSON leaves out
empty ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field

from gateway.http.schemas import Answer
from gateway.jobs.model import Job as JobRow
from gateway.jobs.model import JobStatus
from gateway.services.model import Service as ServiceRow

DEFAULT_PROVIDER = "minio.default"
# OSCAR's job states are a Kubernetes pod's phases.
PHASES: dict[JobStatus, str] = {
    JobStatus.QUEUED: "Pending",
    JobStatus.RUNNING: "Running",
    JobStatus.SUCCEEDED: "Succeeded",
    JobStatus.DEAD: "Failed",
}


class StorageEntry(Answer):
    storage_provider: str = Field(description="`minio.default`: the gateway's MinIO")
    path: str = Field(description="bucket/prefix")
    suffix: list[str]
    prefix: list[str]


class Environment(Answer):
    variables: dict[str, str]


class Service(Answer):
    """One service in OSCAR's FDL JSON, with the gateway's own fields beside OSCAR's."""

    name: str
    image: str
    memory: str
    cpu: str
    input: list[StorageEntry]
    output: list[StorageEntry]
    environment: Environment
    labels: dict[str, str]
    storage_providers: dict[str, dict[str, dict[str, str]]] = Field(
        description="providers besides minio.default (whose credentials /system/config gives)"
    )
    token: str = Field(description="for /run/<svc> and /job/<svc>")
    max_attempts: int
    concurrency: int
    timeout: float
    batch_size: int = Field(description="most jobs one invocation carries under a backlog")
    batch_window: float = Field(description="seconds a busy service's jobs wait to fill a batch")
    notice: str = Field(description="what the platform says about it, e.g. an unbuilt image")
    replicas: int | None = Field(default=None, description="as OpenFaaS counts them; null: unknown")
    available_replicas: int | None = Field(default=None, description="those ready for calls")

    @classmethod
    def from_row(
        cls, service: ServiceRow, *, token: str, function: dict[str, Any] | None = None
    ) -> Service:
        """`function`: its status in OpenFaaS, where the replicas are counted."""
        output = service.output
        state = function or {}
        return cls(
            name=service.name,
            image=service.image,
            memory=service.memory or "",
            cpu=service.cpu or "",
            input=[_entry(str(service.input), list(service.suffixes), service.storage)],
            output=[_entry(str(output), [], service.output_storage)] if output is not None else [],
            environment=Environment(variables=dict(service.variables)),
            labels=dict(service.labels),
            storage_providers=_providers(service.storage, service.output_storage),
            token=token,
            max_attempts=service.max_attempts,
            concurrency=service.concurrency,
            timeout=service.timeout,
            batch_size=service.batch_size,
            batch_window=service.batch_window,
            notice=service.notice,
            replicas=_count(state.get("replicas")),
            available_replicas=_count(state.get("availableReplicas")),
        )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _provider_id(netloc: str) -> str:
    """How another endpoint (host:port) is named here: `minio.<host>-<port>`; the FDL's own id
    is not kept (the function's environment names the endpoint, not the id)."""
    return netloc.replace(":", "-")


def _entry(path: str, suffix: list[str], storage: str = "") -> StorageEntry:
    provider = f"minio.{_provider_id(storage)}" if storage else DEFAULT_PROVIDER
    return StorageEntry(storage_provider=provider, path=path, suffix=suffix, prefix=[])


def _providers(*netlocs: str) -> dict[str, dict[str, dict[str, str]]]:
    """The other endpoints a service uses, with their keys hidden as OSCAR hides minio.default's."""
    minio = {
        _provider_id(n): {"endpoint": n, "access_key": "hidden", "secret_key": "hidden"}
        for n in netlocs
        if n
    }
    return {"minio": minio} if minio else {}


class ServerlessBackend(Answer):
    name: str
    version: str


class Info(Answer):
    version: str
    git_commit: str
    platform: str
    kubernetes_version: str = Field(description="empty: no Kubernetes under the local engine")
    serverless_backend: ServerlessBackend


class MinioProvider(Answer):
    endpoint: str = Field(description="MinIO as a client outside the platform reaches it")
    verify: bool
    access_key: str
    secret_key: str
    region: str


class ClusterConfig(Answer):
    name: str
    namespace: str
    services_namespace: str
    gpu_available: bool
    interLink_available: bool  # OSCAR's spelling
    yunikorn_enable: bool
    oidc_groups: list[str]
    minio_provider: MinioProvider


class ClusterNodes(Answer):
    nodes_count: int
    metrics: dict[str, dict[str, int]]
    nodes: list[dict[str, object]]


class OscarStatus(Answer):
    deployment_name: str
    ready: bool
    jobs_count: int = Field(description="jobs in the ledger")


class MinioStatus(Answer):
    buckets_count: int
    total_objects: int = Field(description="not counted here: 0")


class Status(Answer):
    cluster: ClusterNodes
    oscar: OscarStatus
    minio: MinioStatus


class JobInfo(Answer):
    omit_none = True
    status: Literal["Pending", "Running", "Succeeded", "Failed"]
    creation_time: str | None = None
    start_time: str | None = None
    finish_time: str | None = None

    @classmethod
    def from_row(cls, job: JobRow) -> JobInfo:
        return cls(
            status=PHASES[job.status],  # type: ignore[arg-type]
            creation_time=_time(job.received_at),
            start_time=_time(job.started_at or job.dispatched_at),
            finish_time=_time(job.finished_at),
        )


class JobsPage(Answer):
    """OSCAR's paged job listing: job name -> its JobInfo, and the `page` to ask for next."""

    jobs: dict[str, JobInfo]
    next_page: str = Field(description="empty on the last page")
    remaining_jobs: int

    def body(self) -> dict[str, object]:
        # Each JobInfo leaves its unset times out, as OSCAR's omitempty does.
        return {
            "jobs": {name: info.body() for name, info in self.jobs.items()},
            "next_page": self.next_page,
            "remaining_jobs": self.remaining_jobs,
        }


class Bucket(Answer):
    bucket_name: str
    visibility: str = "private"
    allowed_users: list[str] = Field(default_factory=list)
    owner: str = "cluster_admin"
    metadata: dict[str, str] = Field(default_factory=dict)


class Presigned(Answer):
    url: str
    method: str
    expires: int = Field(description="seconds")


def _time(stamp: float | None) -> str | None:
    """A Kubernetes metav1.Time: RFC 3339 in UTC, to the second."""
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
