"""One validated service, as the FDL parser (gateway.services.fdl) makes it: its function in a
stack.yml and the service the gateway will discover from that function."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contract import environment as env_names
from contract.naming import S3_SECRETS, script_secret, secret_path, storage_secrets
from contract.paths import StoragePath
from gateway.services import model as services
from gateway.services.endpoints import INPUT, OUTPUT, Endpoint
from gateway.services.model import Service

SCRIPT_SECRET = "oscar.script_secret"  # noqa: S105 - an annotation's name
SCRIPT_SHA256 = "oscar.script_sha256"
MIN_SCALE_LABEL = "com.openfaas.scale.min"
MAX_SCRIPT_BYTES = 1 << 20  # a Kubernetes secret holds at most 1 MiB


@dataclass(frozen=True)
class ServiceSpec:
    """One validated service, ready to become an OpenFaaS function."""

    name: str
    image: str
    input: StoragePath  # what INPUT_PATH says: outputs mirror folders relative to it
    watched: StoragePath  # the input plus its `prefix` folder: what becomes jobs
    output: StoragePath | None
    suffixes: tuple[str, ...] = ()
    script: str | None = field(default=None, repr=False)
    memory: str | None = None
    cpu: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    log_level: str | None = None
    max_attempts: int | None = None
    concurrency: int | None = None
    timeout: int | None = None
    job_mode: bool = False  # OSCAR's Job mode: each file a Kubernetes Job
    # The input's and the output's endpoints when a storage provider names another than the
    # platform's MinIO; their keys go to the function as secrets, never as its environment.
    input_endpoint: Endpoint | None = None
    output_endpoint: Endpoint | None = None

    def endpoints(self) -> dict[str, Endpoint]:
        """The other endpoints by side (`input`, `output`)."""
        sides = ((INPUT, self.input_endpoint), (OUTPUT, self.output_endpoint))
        return {side: endpoint for side, endpoint in sides if endpoint is not None}

    def storage_keys(self) -> dict[str, str]:
        """Each secret this service's other endpoints need: its name -> the key it holds."""
        keys: dict[str, str] = {}
        for side, endpoint in self.endpoints().items():
            access, secret = storage_secrets(self.name, side)
            keys[access], keys[secret] = endpoint.access_key, endpoint.secret_key
        return keys

    batch_size: int | None = None
    batch_window: float | None = None

    @property
    def service(self) -> Service:
        """The service the gateway will discover from the deployed function."""
        defaults = Service(self.name, self.watched, self.output)
        return Service(
            name=self.name,
            input=self.watched,
            output=self.output,
            suffixes=self.suffixes,
            max_attempts=self.max_attempts or defaults.max_attempts,
            concurrency=self.concurrency or defaults.concurrency,
            timeout=float(self.timeout) if self.timeout else defaults.timeout,
            job_mode=self.job_mode,
            storage=self.input_endpoint.netloc if self.input_endpoint else "",
            output_storage=self.output_endpoint.netloc if self.output_endpoint else "",
            batch_size=self.batch_size or defaults.batch_size,
            batch_window=defaults.batch_window if self.batch_window is None else self.batch_window,
        )

    def function(self, *, s3_endpoint: str) -> dict[str, Any]:
        """The function's entry in a stack.yml, as `faas-cli deploy -f` reads it."""
        env = {
            env_names.S3_ENDPOINT: s3_endpoint,
            # OSCAR's convention for synchronous calls, which its clients follow: base64 both
            # ways. `oscar run` asks for raw bytes per call (X-Oscar-Base64: false).
            env_names.SYNC_BASE64: "true",
            **self.environment,
            env_names.INPUT_PATH: str(self.input),
        }
        if self.output is not None:
            env[env_names.OUTPUT_PATH] = str(self.output)
        if self.log_level is not None:
            env[env_names.LOG_LEVEL] = self.log_level
        annotations = dict(self.annotations)
        if self.watched != self.input:
            annotations[services.INPUT] = str(self.watched)
        if self.suffixes:
            annotations[services.SUFFIX] = ",".join(self.suffixes)
        for name, value in (
            (services.MAX_ATTEMPTS, self.max_attempts),
            (services.CONCURRENCY, self.concurrency),
            (services.TIMEOUT, self.timeout),
            (services.BATCH_SIZE, self.batch_size),
            (services.BATCH_WINDOW, self.batch_window),
        ):
            if value is not None:
                annotations[name] = str(value)
        if self.job_mode:
            annotations[services.JOB_MODE] = "true"
        secrets = [*S3_SECRETS, *(s for s in self.secrets if s not in S3_SECRETS)]
        for side, endpoint in self.endpoints().items():
            prefix = side.upper() + "_"
            access, secret = storage_secrets(self.name, side)
            env[prefix + env_names.S3_ENDPOINT] = endpoint.url
            env[prefix + env_names.S3_REGION] = endpoint.region
            env[prefix + env_names.S3_ACCESS_KEY_SECRET] = access
            env[prefix + env_names.S3_SECRET_KEY_SECRET] = secret
            secrets += [access, secret]
        if self.script is not None:
            secret = script_secret(self.name)
            env[env_names.SCRIPT_PATH] = secret_path(secret)
            secrets.append(secret)
            annotations[SCRIPT_SECRET] = secret
            # A changed script alone changes no other field; the digest makes it a new
            # deployment, so replicas restart and mount the new script (faas-netes included).
            annotations[SCRIPT_SHA256] = hashlib.sha256(self.script.encode()).hexdigest()
        entry: dict[str, Any] = {
            "image": self.image,
            "environment": env,
            "secrets": secrets,
            "labels": {MIN_SCALE_LABEL: "1", **self.labels},
            "annotations": annotations,
        }
        limits = {k: v for k, v in (("memory", self.memory), ("cpu", self.cpu)) if v is not None}
        if limits:
            entry["limits"] = limits
        return entry
