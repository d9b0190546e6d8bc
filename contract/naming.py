"""Names the gateway writes and the function runtime reads: secrets, their mount, the script.

A service deployed from an FDL file ships its script as the OpenFaaS secret `<name>-script.sh`
and points SCRIPT_PATH at it under the secrets mount; the supervisor reads its MinIO keys from
the secrets `s3-access-key` and `s3-secret-key` there.
"""

from __future__ import annotations

# Where OpenFaaS (faas-netes, faasd, the local engine's sandboxes) mounts a function's secrets.
SECRETS_MOUNT = "/var/openfaas/secrets"
S3_ACCESS_KEY_SECRET = "s3-access-key"  # noqa: S105 - a secret's name, not its value
S3_SECRET_KEY_SECRET = "s3-secret-key"  # noqa: S105 - a secret's name, not its value
S3_SECRETS = (S3_ACCESS_KEY_SECRET, S3_SECRET_KEY_SECRET)
SCRIPT_SUFFIX = "-script.sh"
# The annotation in which the local engine's provider says, in a function's status, that the
# function's image was never built and its script runs on the built-in base runtime.
RUNTIME_NOTICE = "com.oscar-faas.runtime"
# The script a function runs when SCRIPT_PATH names none, relative to FUNCTION_DIR.
DEFAULT_SCRIPT = "script.sh"


def script_secret(service: str) -> str:
    """The secret that holds a service's script: its `.sh` makes the supervisor run it with sh."""
    return f"{service}{SCRIPT_SUFFIX}"


def secret_path(secret: str, mount: str = SECRETS_MOUNT) -> str:
    """Where a replica finds `secret` (the path SCRIPT_PATH names for a shipped script)."""
    return f"{mount}/{secret}"


# Each deployable's log line is one JSON object with these fields (python-json-logger's format
# and the names the fields take), so one query reads the logs of all of them.
LOG_FORMAT = "{asctime}{levelname}{name}{message}"
LOG_FIELD_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}


def storage_secrets(service: str, side: str) -> tuple[str, str]:
    """The secrets holding a service's keys for its `input` or `output` on another S3 endpoint
    (an FDL storage provider): never environment values."""
    return (f"{service}-{side}-s3-access-key", f"{service}-{side}-s3-secret-key")
