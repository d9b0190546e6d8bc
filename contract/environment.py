"""The environment names each deployable reads, written once.

The supervisor's settings come from a function's environment (stack.yml `environment:`, the
template's Dockerfile, the gateway's FDL deploy); the script's variables are what the supervisor
sets for the user's script (OSCAR's names, so OSCAR scripts run unchanged); the gateway's
settings are what `python -m gateway` reads and the local stack writes.
"""

from __future__ import annotations

# Both deployables.
LOG_LEVEL = "LOG_LEVEL"

# The supervisor, inside a function.
INPUT_PATH = "INPUT_PATH"  # bucket/prefix: outputs mirror folders relative to it
OUTPUT_PATH = "OUTPUT_PATH"  # bucket/prefix where outputs go
S3_ENDPOINT = "S3_ENDPOINT"
S3_REGION = "S3_REGION"
S3_ACCESS_KEY_SECRET = "S3_ACCESS_KEY_SECRET"  # noqa: S105 - names the secret's name
S3_SECRET_KEY_SECRET = "S3_SECRET_KEY_SECRET"  # noqa: S105 - names the secret's name
SCRIPT_PATH = "SCRIPT_PATH"
FUNCTION_DIR = "FUNCTION_DIR"
SECRETS_DIR = "SECRETS_DIR"
SCRIPT_TIMEOUT = "SCRIPT_TIMEOUT"
WORKSPACE_ROOT = "WORKSPACE_ROOT"
LOG_TAIL_BYTES = "LOG_TAIL_BYTES"
SUPERVISOR_LISTEN = "SUPERVISOR_LISTEN"
SUPERVISOR_THREADS = "SUPERVISOR_THREADS"
SYNC_BASE64 = "SYNC_BASE64"
# One-shot mode (OSCAR's Job mode, a Kubernetes Job per file): the storage event to run, and the
# file the result's JSON is written to (the Job's pod reports it as its termination message).
OSCAR_ONESHOT_EVENT = "OSCAR_ONESHOT_EVENT"
OSCAR_RESULT_FILE = "OSCAR_RESULT_FILE"
# How many jobs of one batch (contract.batch) run at once in a replica (1: one after another).
BATCH_PARALLEL = "BATCH_PARALLEL"

# The supervisor: an input or an output on another S3 endpoint than S3_ENDPOINT (an FDL's
# storage_providers). Each is the S3_* setting with the side's prefix; the keys are secrets.
INPUT_S3_ENDPOINT = "INPUT_S3_ENDPOINT"
OUTPUT_S3_ENDPOINT = "OUTPUT_S3_ENDPOINT"
STORAGE_SIDES = ("INPUT_", "OUTPUT_")
SIDE_SETTINGS = tuple(
    side + name
    for side in STORAGE_SIDES
    for name in (S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_SECRET, S3_SECRET_KEY_SECRET)
)

# The supervisor: a classic-watchdog function (an fprocess deployed on the base runtime): the
# command it forks per request, body on stdin, answer on stdout (supervisor/classic.py).
CLASSIC_FPROCESS = "CLASSIC_FPROCESS"
# ... and the folder it runs in: a `lang: dockerfile` image's files, as under its WORKDIR.
CLASSIC_WORKDIR = "CLASSIC_WORKDIR"

# The user's script, set by the supervisor for each run.
INPUT_FILE_PATH = "INPUT_FILE_PATH"
TMP_INPUT_DIR = "TMP_INPUT_DIR"
TMP_OUTPUT_DIR = "TMP_OUTPUT_DIR"
STORAGE_OBJECT_KEY = "STORAGE_OBJECT_KEY"  # the decoded key, no bucket
STORAGE_BUCKET = "STORAGE_BUCKET"
EVENT = "EVENT"  # the MinIO event, as JSON
EVENT_TIME = "EVENT_TIME"
SCRIPT_VARIABLES = (
    INPUT_FILE_PATH, TMP_INPUT_DIR, TMP_OUTPUT_DIR, STORAGE_OBJECT_KEY, STORAGE_BUCKET, EVENT,
    EVENT_TIME,
)  # fmt: skip

# The gateway.
GATEWAY_LISTEN = "GATEWAY_LISTEN"
GATEWAY_PUBLIC_URL = "GATEWAY_PUBLIC_URL"
GATEWAY_STATE_DIR = "GATEWAY_STATE_DIR"
OPENFAAS_URL = "OPENFAAS_URL"
OPENFAAS_USER = "OPENFAAS_USER"
OPENFAAS_PASSWORD_FILE = "OPENFAAS_PASSWORD_FILE"  # noqa: S105 - a setting's name
MINIO_ENDPOINT = "MINIO_ENDPOINT"
MINIO_ACCESS_KEY_FILE = "MINIO_ACCESS_KEY_FILE"
MINIO_SECRET_KEY_FILE = "MINIO_SECRET_KEY_FILE"  # noqa: S105 - a setting's name
MINIO_TARGET_ARN = "MINIO_TARGET_ARN"
WEBHOOK_TOKEN_FILE = "WEBHOOK_TOKEN_FILE"  # noqa: S105 - a setting's name
ADMIN_TOKEN_FILE = "ADMIN_TOKEN_FILE"  # noqa: S105 - a setting's name
CALLBACK_KEY_FILE = "CALLBACK_KEY_FILE"
RETRY_BASE_SECONDS = "RETRY_BASE_SECONDS"
RETRY_CAP_SECONDS = "RETRY_CAP_SECONDS"
REFRESH_INTERVAL_SECONDS = "REFRESH_INTERVAL_SECONDS"
RECONCILE_INTERVAL_SECONDS = "RECONCILE_INTERVAL_SECONDS"
SYNC_TIMEOUT_SECONDS = "SYNC_TIMEOUT_SECONDS"
LEDGER_SYNCHRONOUS = "LEDGER_SYNCHRONOUS"
OSCAR_LEDGER_URL = "OSCAR_LEDGER_URL"  # postgresql://...; unset: SQLite in GATEWAY_STATE_DIR
OSCAR_LEDGER_LEASE_SECONDS = "OSCAR_LEDGER_LEASE_SECONDS"
OSCAR_LEDGER_RETENTION_DAYS = "OSCAR_LEDGER_RETENTION_DAYS"  # succeeded jobs kept whole (30)
# This gateway's name in the ledger's claims, stable across its restarts and unique among live
# gateways: at start it queues again at once the claims it made under that name and never sent.
# Unset: a new random name each start (those claims wait for their lease).
OSCAR_GATEWAY_NAME = "OSCAR_GATEWAY_NAME"
FAAS_CLI = "FAAS_CLI"
FUNCTION_S3_ENDPOINT = "FUNCTION_S3_ENDPOINT"
# The gateway on Kubernetes: the ledger URL as a file (a Secret's key, as the chart mounts it;
# used when OSCAR_LEDGER_URL is unset), and the coordination.k8s.io Lease its once-only loops
# run under (unset name: the ledger's own lock), its holder's name and the API server's
# kubeconfig (empty: the pod's service account).
OSCAR_LEDGER_URL_FILE = "OSCAR_LEDGER_URL_FILE"
OSCAR_LEASE_NAME = "OSCAR_LEASE_NAME"
OSCAR_LEASE_NAMESPACE = "OSCAR_LEASE_NAMESPACE"
OSCAR_LEASE_HOLDER = "OSCAR_LEASE_HOLDER"
OSCAR_LEASE_SECONDS = "OSCAR_LEASE_SECONDS"
# OSCAR's Job mode: the functions' namespace where job-mode services' files run as Kubernetes
# Jobs (unset: job mode is off), and how long a finished Job stays before Kubernetes removes it.
OSCAR_JOB_NAMESPACE = "OSCAR_JOB_NAMESPACE"
OSCAR_JOB_TTL_SECONDS = "OSCAR_JOB_TTL_SECONDS"
# Credentials at rest: how long a rotated token still passes, in seconds (3600), unless the
# rotation names its own grace.
OSCAR_TOKEN_GRACE_SECONDS = "OSCAR_TOKEN_GRACE_SECONDS"  # noqa: S105 - a setting's name

# The gateway, effectively-once results (contract.results): the bucket where functions record
# each attempt's result ("" turns recording and settling off), and how often the gateway
# settles attempts whose callback is overdue from those records.
OSCAR_RESULTS_BUCKET = "OSCAR_RESULTS_BUCKET"
OSCAR_SETTLE_INTERVAL_SECONDS = "OSCAR_SETTLE_INTERVAL_SECONDS"

# The faas-provider's settings (python -m provider), which the local stack writes.
OSCAR_PROVIDER_LISTEN = "OSCAR_PROVIDER_LISTEN"
OSCAR_STATE_DIR = "OSCAR_STATE_DIR"
OSCAR_TOOLS_BIN = "OSCAR_TOOLS_BIN"
OSCAR_ISOLATION = "OSCAR_ISOLATION"
OSCAR_FUNCTION_NAMESPACE = "OSCAR_FUNCTION_NAMESPACE"
OSCAR_READY_TIMEOUT = "OSCAR_READY_TIMEOUT"
OSCAR_INVOKE_TIMEOUT = "OSCAR_INVOKE_TIMEOUT"
OSCAR_FORWARD_PORTS = "OSCAR_FORWARD_PORTS"
OSCAR_REPLICA_PIDS = "OSCAR_REPLICA_PIDS"
# Where functions run: "local" (replicas on this machine) or "kubernetes" (Deployments), and
# the kubeconfig for the latter (empty: the pod's own service account).
OSCAR_PROVIDER_BACKEND = "OSCAR_PROVIDER_BACKEND"
OSCAR_KUBECONFIG = "OSCAR_KUBECONFIG"
OSCAR_UNBUILT_IMAGES = "OSCAR_UNBUILT_IMAGES"  # base (run on the base runtime) or refuse


# Request body limits (issue 10): past them each deployable answers 413 with a JSON reason
# before reading the body; 0 for none. Each deployable's config loader reads its own.
GATEWAY_MAX_BODY_BYTES = "GATEWAY_MAX_BODY_BYTES"  # default 8 GiB: /run and uploads
OSCAR_PROVIDER_MAX_BODY_BYTES = "OSCAR_PROVIDER_MAX_BODY_BYTES"  # default 0: the gateway limits
SUPERVISOR_MAX_BODY_BYTES = "SUPERVISOR_MAX_BODY_BYTES"  # default 0: the gateway limits

# Every setting each deployable reads (a test holds the local stack's environment to them).
SUPERVISOR_SETTINGS: tuple[str, ...] = (
    LOG_LEVEL, INPUT_PATH, OUTPUT_PATH, S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_SECRET,
    S3_SECRET_KEY_SECRET, SCRIPT_PATH, FUNCTION_DIR, SECRETS_DIR, SCRIPT_TIMEOUT, WORKSPACE_ROOT,
    LOG_TAIL_BYTES, SUPERVISOR_LISTEN, SUPERVISOR_THREADS, SYNC_BASE64, BATCH_PARALLEL,
    OSCAR_ONESHOT_EVENT, OSCAR_RESULT_FILE, CLASSIC_FPROCESS, SUPERVISOR_MAX_BODY_BYTES,
    CLASSIC_WORKDIR,
    *SIDE_SETTINGS,
)  # fmt: skip
GATEWAY_SETTINGS: tuple[str, ...] = (
    LOG_LEVEL, GATEWAY_LISTEN, GATEWAY_PUBLIC_URL, GATEWAY_STATE_DIR, OPENFAAS_URL,
    OPENFAAS_USER, OPENFAAS_PASSWORD_FILE, MINIO_ENDPOINT, MINIO_ACCESS_KEY_FILE,
    MINIO_SECRET_KEY_FILE, MINIO_TARGET_ARN, WEBHOOK_TOKEN_FILE, ADMIN_TOKEN_FILE,
    CALLBACK_KEY_FILE, RETRY_BASE_SECONDS, RETRY_CAP_SECONDS, REFRESH_INTERVAL_SECONDS,
    RECONCILE_INTERVAL_SECONDS, SYNC_TIMEOUT_SECONDS, LEDGER_SYNCHRONOUS, OSCAR_LEDGER_URL,
    OSCAR_LEDGER_LEASE_SECONDS, OSCAR_LEDGER_RETENTION_DAYS, FAAS_CLI, FUNCTION_S3_ENDPOINT,
    OSCAR_GATEWAY_NAME,
    OSCAR_TOKEN_GRACE_SECONDS, OSCAR_RESULTS_BUCKET, OSCAR_SETTLE_INTERVAL_SECONDS,
    OSCAR_LEDGER_URL_FILE, OSCAR_LEASE_NAME, OSCAR_LEASE_NAMESPACE, OSCAR_LEASE_HOLDER,
    OSCAR_LEASE_SECONDS, OSCAR_KUBECONFIG, OSCAR_JOB_NAMESPACE, OSCAR_JOB_TTL_SECONDS,
    GATEWAY_MAX_BODY_BYTES,
)  # fmt: skip
PROVIDER_SETTINGS: tuple[str, ...] = (
    LOG_LEVEL, OSCAR_PROVIDER_LISTEN, OSCAR_STATE_DIR, OSCAR_TOOLS_BIN, OSCAR_ISOLATION,
    OSCAR_FUNCTION_NAMESPACE, OSCAR_READY_TIMEOUT, OSCAR_INVOKE_TIMEOUT, OSCAR_FORWARD_PORTS,
    OSCAR_REPLICA_PIDS, OSCAR_PROVIDER_BACKEND, OSCAR_KUBECONFIG, OSCAR_UNBUILT_IMAGES,
    OSCAR_PROVIDER_MAX_BODY_BYTES,
)  # fmt: skip
