"""The gateway's one configuration loader: the only reader of its environment and secret files."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from contract import environment as names
from contract.errors import BadEvent
from contract.records import check_bucket
from contract.results import RESULTS_BUCKET
from contract.settings import Settings
from gateway.errors import ConfigError

DEFAULT_MAX_BODY_BYTES = 8 << 30  # a request body (/run, uploads) of at most 8 GiB


@dataclass(frozen=True, kw_only=True)
class LeaseConfig:
    """The coordination.k8s.io Lease the once-only loops run under (OSCAR_LEASE_*)."""

    name: str
    namespace: str
    holder: str  # this replica's name in the Lease (the pod's name)
    seconds: float  # how long a holder that stopped renewing keeps it
    kubeconfig: str = ""  # "": the pod's own service account


SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


@dataclass(frozen=True)
class GatewayConfig:
    host: str
    port: int
    public_url: str
    state_dir: Path
    openfaas_url: str
    openfaas_user: str
    openfaas_password: str = field(repr=False)
    minio_endpoint: str
    minio_secure: bool
    minio_access_key: str = field(repr=False)
    minio_secret_key: str = field(repr=False)
    minio_target_arn: str
    webhook_token: str = field(repr=False)
    admin_token: str = field(repr=False)
    callback_key: str = field(repr=False)
    retry_base: float
    retry_cap: float
    refresh_interval: float
    reconcile_interval: float
    sync_timeout: float
    ledger_synchronous: str
    ledger_url: str = field(default="", repr=False)  # "": SQLite in state_dir; else PostgreSQL
    ledger_lease: float = 30.0
    name: str = ""  # in the ledger's claims (OSCAR_GATEWAY_NAME); "": random each start
    ledger_retention_days: float = 30.0  # as OSCAR's job TTL
    faas_cli: str = "faas-cli"  # the binary that deploys FDL services
    function_s3_endpoint: str = ""  # S3_ENDPOINT of FDL services: MinIO as functions reach it
    token_grace: float = 3600.0  # seconds a rotated token still passes
    lease: LeaseConfig | None = None  # None: the ledger's own lock (PostgreSQL's advisory lock)
    kubeconfig: str = ""  # the API server for the Lease and Job mode ("": the pod's account)
    job_namespace: str = ""  # "": no Job mode; else where job-mode services' Jobs run
    job_ttl: int = 600  # seconds a finished Job stays (ttlSecondsAfterFinished)
    results_bucket: str = RESULTS_BUCKET  # where functions record results; "": not at all
    settle_interval: float = 2.0  # seconds between passes that settle attempts from records
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # 413 past it; 0: no limit

    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GatewayConfig:
        problems: list[str] = []
        settings = Settings(environ, problems)
        listen = environ.get(names.GATEWAY_LISTEN, "127.0.0.1:8090")
        host, port = settings.listen(names.GATEWAY_LISTEN, listen)
        secret, number = settings.secret_file, settings.number

        minio_url = environ.get(names.MINIO_ENDPOINT, "http://127.0.0.1:9000").rstrip("/")
        minio = _http_url(names.MINIO_ENDPOINT, minio_url, problems)
        function_s3 = environ.get(names.FUNCTION_S3_ENDPOINT, minio_url).rstrip("/")
        _http_url(names.FUNCTION_S3_ENDPOINT, function_s3, problems)
        faas_cli = environ.get(names.FAAS_CLI, "").strip()
        if not faas_cli:
            # Resolved here, the one reader of the environment, so the child needs no PATH.
            faas_cli = shutil.which("faas-cli", path=environ.get("PATH")) or "faas-cli"
        state = Path(environ.get(names.GATEWAY_STATE_DIR, ""))
        if not environ.get(names.GATEWAY_STATE_DIR):
            problems.append(f"{names.GATEWAY_STATE_DIR}: missing; the ledger lives there")
        public_url = environ.get(names.GATEWAY_PUBLIC_URL, f"http://{listen}")
        ledger_url = _ledger_url(settings)
        config = cls(
            host=host,
            port=port,
            public_url=public_url.rstrip("/"),
            state_dir=state,
            openfaas_url=environ.get(names.OPENFAAS_URL, "http://127.0.0.1:8080").rstrip("/"),
            openfaas_user=environ.get(names.OPENFAAS_USER, "admin"),
            openfaas_password=secret(names.OPENFAAS_PASSWORD_FILE),
            minio_endpoint=minio.netloc,
            minio_secure=minio.scheme == "https",
            minio_access_key=secret(names.MINIO_ACCESS_KEY_FILE),
            minio_secret_key=secret(names.MINIO_SECRET_KEY_FILE),
            minio_target_arn=environ.get(names.MINIO_TARGET_ARN, "arn:minio:sqs::OSCAR:webhook"),
            webhook_token=secret(names.WEBHOOK_TOKEN_FILE),
            admin_token=secret(names.ADMIN_TOKEN_FILE),
            callback_key=secret(names.CALLBACK_KEY_FILE),
            retry_base=number(names.RETRY_BASE_SECONDS, 1.0),
            retry_cap=number(names.RETRY_CAP_SECONDS, 60.0),
            refresh_interval=number(names.REFRESH_INTERVAL_SECONDS, 2.0),
            reconcile_interval=number(names.RECONCILE_INTERVAL_SECONDS, 60.0),
            sync_timeout=number(names.SYNC_TIMEOUT_SECONDS, 300.0),
            ledger_synchronous=environ.get(names.LEDGER_SYNCHRONOUS, "NORMAL").upper(),
            ledger_url=ledger_url,
            ledger_lease=number(names.OSCAR_LEDGER_LEASE_SECONDS, 30.0),
            name=environ.get(names.OSCAR_GATEWAY_NAME, "").strip(),
            ledger_retention_days=number(names.OSCAR_LEDGER_RETENTION_DAYS, 30.0),
            faas_cli=faas_cli,
            function_s3_endpoint=function_s3,
            token_grace=number(names.OSCAR_TOKEN_GRACE_SECONDS, 3600.0),
            lease=_lease(settings),
            kubeconfig=settings.text(names.OSCAR_KUBECONFIG).strip(),
            job_namespace=settings.text(names.OSCAR_JOB_NAMESPACE).strip(),
            job_ttl=settings.count(names.OSCAR_JOB_TTL_SECONDS, 600),
            results_bucket=_results_bucket(environ, problems),
            settle_interval=number(names.OSCAR_SETTLE_INTERVAL_SECONDS, 2.0),
            max_body_bytes=settings.count(names.GATEWAY_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES),
            log_level=settings.log_level(),
        )
        if problems:
            raise ConfigError(problems)
        return config


def _http_url(name: str, text: str, problems: list[str]) -> SplitResult:
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        problems.append(f"{name}: expected http(s)://host:port, found {text!r}")
    return parts


def _results_bucket(environ: Mapping[str, str], problems: list[str]) -> str:
    """The system bucket of result records (contract.results); empty turns them off."""
    bucket = environ.get(names.OSCAR_RESULTS_BUCKET, RESULTS_BUCKET).strip()
    try:
        if bucket:
            check_bucket(bucket, names.OSCAR_RESULTS_BUCKET)
    except BadEvent as e:
        problems.append(f"{e.reason}; name a bucket, or set it empty to record no results")
    return bucket


def _ledger_url(settings: Settings) -> str:
    """PostgreSQL's URL (OSCAR_LEDGER_URL, else the file OSCAR_LEDGER_URL_FILE names, as a
    Secret is mounted), or "" for SQLite in the state folder."""
    name = names.OSCAR_LEDGER_URL
    text = settings.text(name).strip()
    if not text and settings.text(names.OSCAR_LEDGER_URL_FILE):
        name = names.OSCAR_LEDGER_URL_FILE
        text = settings.secret_file(name)
    if text and urlsplit(text).scheme not in {"postgresql", "postgres"}:
        settings.problems.append(
            f"{name}: expected postgresql://user:password@host:port/db,"
            f" found a URL of scheme {urlsplit(text).scheme!r}; unset it for SQLite"
        )
    return text


def _lease(settings: Settings) -> LeaseConfig | None:
    """The Lease when OSCAR_LEASE_NAME is set; its namespace defaults to the pod's own."""
    name = settings.text(names.OSCAR_LEASE_NAME).strip()
    if not name:
        return None
    namespace = settings.text(names.OSCAR_LEASE_NAMESPACE).strip()
    if not namespace and SERVICE_ACCOUNT_NAMESPACE.exists():
        namespace = SERVICE_ACCOUNT_NAMESPACE.read_text().strip()
    if not namespace:
        settings.problems.append(
            f"{names.OSCAR_LEASE_NAMESPACE}: missing, and {SERVICE_ACCOUNT_NAMESPACE} is not"
            " there (not in a pod); name the Lease's namespace"
        )
    holder = settings.text(names.OSCAR_LEASE_HOLDER).strip() or socket.gethostname()
    return LeaseConfig(
        name=name,
        namespace=namespace,
        holder=holder,
        seconds=settings.number(names.OSCAR_LEASE_SECONDS, 15.0),
        kubeconfig=settings.text(names.OSCAR_KUBECONFIG).strip(),
    )
