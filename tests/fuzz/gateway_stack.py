"""The gateway's real app over real collaborators, with OpenFaaS and MinIO played by fakes.

The ledger is a real SqliteLedger in a folder of the test's, metrics, signer, registry,
dispatcher and reconciler are the real classes (the dispatcher and reconciler are not started,
so nothing runs behind a test's back unless it starts them). OpenFaaS is `FakeOpenFaaS`, a real
HTTP server on loopback reached through the real client; MinIO is an in-memory `Storage`.
Every secret is distinctive, so a test can look for it anywhere.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlencode

import yaml
from flask import Flask
from flask.testing import FlaskClient

from gateway.assembly import assemble
from gateway.clients.faascli import Runner, Step
from gateway.clients.openfaas import OpenFaaS
from gateway.clients.storage import Entry, Listed, Storage
from gateway.config import GatewayConfig
from gateway.errors import NotFound
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.ledger import Ledger
from gateway.jobs.model import Job, NewJob
from gateway.services.registry import ServiceRegistry
from gateway.tokens import CallbackSigner
from tests.fuzz.openfaas_server import FakeOpenFaaS
from tests.support.ledger_claims import claim

OPENFAAS_USER = "admin"
SECRETS = {
    "OPENFAAS_PASSWORD_FILE": "openfaas-password-5f1c0e7a9d",
    "MINIO_ACCESS_KEY_FILE": "minio-access-key-93b2d4e6",
    "MINIO_SECRET_KEY_FILE": "minio-secret-key-c8e1f7a20b",
    "WEBHOOK_TOKEN_FILE": "webhook-token-2d7e9b41f3",
    "ADMIN_TOKEN_FILE": "admin-token-6a0f3c58e7",
    "CALLBACK_KEY_FILE": "callback-key-e4b7a913c2",
}
WEBHOOK = {"Authorization": f"Bearer {SECRETS['WEBHOOK_TOKEN_FILE']}"}
ADMIN = {"Authorization": f"Bearer {SECRETS['ADMIN_TOKEN_FILE']}"}
# name: (environment, annotations), as a stack.yml would deploy them.
SERVICES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "grayify": (
        {"INPUT_PATH": "photos/in", "OUTPUT_PATH": "photos/out"},
        {"oscar.max_attempts": "2"},
    ),
    "thumbs": (
        {"INPUT_PATH": "photos/in", "OUTPUT_PATH": "thumbs/out"},
        {"oscar.suffix": ".png,.jpg", "oscar.max_attempts": "3"},
    ),
    "docs": ({"INPUT_PATH": "docs", "OUTPUT_PATH": "results/docs"}, {"oscar.max_attempts": "1"}),
}


def start_openfaas() -> FakeOpenFaaS:
    openfaas = FakeOpenFaaS(user=OPENFAAS_USER, password=SECRETS["OPENFAAS_PASSWORD_FILE"])
    for name, (env, notes) in SERVICES.items():
        openfaas.deploy(name, env=env, annotations=notes)
    openfaas.start()
    return openfaas


def gateway_config(folder: Path, *, openfaas_url: str, retry_base: float = 1.0) -> GatewayConfig:
    secrets = folder / "secrets"
    secrets.mkdir(parents=True)
    env = {
        "GATEWAY_STATE_DIR": str(folder / "state"),
        "GATEWAY_PUBLIC_URL": "http://gateway.test",
        "OPENFAAS_URL": openfaas_url,
        "OPENFAAS_USER": OPENFAAS_USER,
        "MINIO_ENDPOINT": "http://minio.invalid:9000",
        "FAAS_CLI": "/nonexistent/faas-cli",
        "RETRY_BASE_SECONDS": str(retry_base),
    }
    for name, value in SECRETS.items():
        (secrets / name).write_text(value)
        env[name] = str(secrets / name)
    return GatewayConfig.from_env(env)


class MemoryStorage(Storage):
    """MinIO as the gateway sees it: buckets, our notification rules, listings, and (for the
    files routes) objects held in memory."""

    def __init__(self, config: GatewayConfig) -> None:
        super().__init__(
            config.minio_endpoint,
            access_key=config.minio_access_key,
            secret_key=config.minio_secret_key,
            secure=False,
            target_arn=config.minio_target_arn,
        )
        self.buckets: set[str] = set()
        self.rules: dict[str, list[str]] = {}
        self.listing: dict[str, list[tuple[str, str]]] = {}
        self.stored: dict[tuple[str, str], bytes] = {}

    def ensure_bucket(self, bucket: str) -> None:
        self.buckets.add(bucket)

    def set_input_prefixes(self, bucket: str, prefixes: Iterable[str]) -> bool:
        wanted = sorted(prefixes)
        changed, self.rules[bucket] = self.rules.get(bucket) != wanted, wanted
        return changed

    def objects(self, bucket: str, prefix: str) -> Iterator[Listed]:
        for key, etag in self.listing.get(bucket, []):
            if key.startswith(prefix):
                yield Listed(key, etag, None)

    def bucket_names(self) -> list[str]:
        return sorted(self.buckets)

    def browse(self, bucket: str, prefix: str) -> list[Entry]:
        self._bucket(bucket)
        folders, found = set(), []
        for (in_bucket, key), data in sorted(self.stored.items()):
            if in_bucket != bucket or not key.startswith(prefix):
                continue
            rest = key[len(prefix) :]
            if "/" in rest:
                folders.add(prefix + rest.split("/", 1)[0] + "/")
            else:
                found.append(Entry(key=key, folder=False, size=len(data), modified=0.0))
        return [Entry(key=f, folder=True, size=0, modified=None) for f in sorted(folders)] + found

    def put(self, bucket: str, key: str, data: BinaryIO, *, length: int, content_type: str) -> str:
        self._bucket(bucket)
        self.stored[(bucket, key)] = data.read(length)
        return hashlib.md5(self.stored[(bucket, key)]).hexdigest()

    def get(self, bucket: str, key: str) -> tuple[Iterator[bytes], str, int]:
        data = self._object(bucket, key)
        return iter([data]), "application/octet-stream", len(data)

    def remove(self, bucket: str, key: str) -> None:
        self._bucket(bucket)
        self.stored.pop((bucket, key), None)  # as S3: removing a missing key succeeds

    def presign(self, bucket: str, key: str, *, seconds: int) -> str:
        self._object(bucket, key)
        return f"http://minio.invalid:9000/{bucket}/{key}?X-Amz-Expires={seconds}"

    def remove_bucket(self, bucket: str) -> None:
        if bucket not in self.buckets:
            raise NotFound(f"bucket {bucket!r} does not exist")
        self.buckets.discard(bucket)

    def presigned(self, bucket: str, key: str, *, method: str, expires: int) -> str:
        return f"http://{self._endpoint}/{bucket}/{quote(key)}?X-Amz-Expires={expires}&m={method}"

    def _bucket(self, bucket: str) -> None:
        if bucket not in self.buckets:
            raise NotFound(f"MinIO could not find bucket {bucket}")

    def _object(self, bucket: str, key: str) -> bytes:
        self._bucket(bucket)
        if (bucket, key) not in self.stored:
            raise NotFound(f"MinIO could not find {bucket}/{key}")
        return self.stored[(bucket, key)]


@dataclass
class FaasCliPlayer:
    """faas-cli as OpenFaaS sees it: a deploy step's stack.yml becomes a deployed function.

    `before`, when given, runs each plan first (the real FaasCli with a stand-in binary).
    """

    openfaas: FakeOpenFaaS
    before: Runner | None = None
    plans: list[list[Step]] = field(default_factory=list)

    def execute(self, plan: Sequence[Step]) -> None:
        if self.before is not None:
            self.before.execute(plan)
        self.plans.append(list(plan))
        for step in plan:
            if step.args[0] == "deploy":
                stack = yaml.safe_load(dict(step.files)["stack.yml"])
                for name, function in stack["functions"].items():
                    self.openfaas.deploy(
                        name, env=function["environment"], annotations=function["annotations"]
                    )
            elif step.args[0] == "remove":
                self.openfaas.functions.pop(step.args[1], None)


@dataclass
class Gateway:
    app: Flask
    client: FlaskClient
    config: GatewayConfig
    ledger: Ledger
    registry: ServiceRegistry
    dispatcher: Dispatcher
    signer: CallbackSigner
    storage: MemoryStorage
    faas_cli: FaasCliPlayer
    _jobs: Iterator[int] = field(default_factory=itertools.count)

    def job_count(self) -> int:
        return sum(self.ledger.counts().values())

    def running_job(self, key: str, *, bucket: str = "photos") -> Job:
        """A job the dispatcher has just sent: running, with the call id of its attempt.

        Each has a service name of its own (the ledger takes any), so the claim cannot pick an
        older job of the same service that has come due for its retry meanwhile.
        """
        now, service = time.time(), f"fuzzed-{next(self._jobs)}"
        self.ledger.add([NewJob(service, bucket, key, "etag", "{}", 2, now)])
        [job] = claim(self.ledger, service, limit=1, now=now, timeout=300)
        return job

    def callback_url(self, job_id: str, call_id: str) -> str:
        query = urlencode({"call": call_id, "sig": self.signer.sign(job_id, call_id)})
        return f"/callbacks/{job_id}?{query}"


@contextmanager
def gateway(
    folder: Path,
    openfaas: FakeOpenFaaS,
    *,
    faas_cli: Runner | None = None,
    retry_base: float = 1.0,
) -> Iterator[Gateway]:
    config = gateway_config(folder, openfaas_url=openfaas.url, retry_base=retry_base)
    client = OpenFaaS(
        config.openfaas_url, username=config.openfaas_user, password=config.openfaas_password
    )
    storage = MemoryStorage(config)
    player = FaasCliPlayer(openfaas, before=faas_cli)
    parts = assemble(config, openfaas=client, storage=storage, faas_cli=player)
    parts.registry.refresh()
    app, ledger = parts.app, parts.ledger
    try:
        yield Gateway(
            app,
            app.test_client(),
            config,
            ledger,
            parts.registry,
            parts.dispatcher,
            parts.signer,
            storage,
            player,
        )
    finally:
        ledger.close()
        client.close()
