"""Several gateways on one MinIO, each with a webhook target of its own, keep their rules on the
same bucket side by side, and a rule one gateway's write dropped comes back (real MinIO)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minio import Minio
from minio.notificationconfig import NotificationConfig

from gateway.clients.openfaas import OpenFaaS
from gateway.clients.storage import Storage
from gateway.services.registry import VERIFY_SECONDS, ServiceRegistry
from localstack.minio_server import webhook_env
from tests.support.minio_server import ACCESS_KEY, SECRET_KEY, start_minio
from tests.support.waiting import free_port, wait_for

TARGETS = ("ONE", "TWO")


class ListedFunctions(OpenFaaS):
    """Stand-in for OpenFaaS's function list only (the registry's one call here): what is
    tested is MinIO's side, and a whole OpenFaaS for a list of one function is the stack
    tier's. Nothing else of OpenFaaS is used."""

    def __init__(self, functions: list[dict[str, Any]]) -> None:
        super().__init__("http://openfaas.invalid", username="admin", password="pw")
        self._functions = functions

    def functions(self) -> list[dict[str, Any]]:
        return self._functions


def queues(s3: Minio, bucket: str) -> dict[str, list[str]]:
    config = s3.get_bucket_notification(bucket)
    found: dict[str, list[str]] = {}
    for q in config.queue_config_list:
        prefix = q.prefix_filter_rule.value if q.prefix_filter_rule else ""
        found.setdefault(str(q.queue).split(":")[4], []).append(prefix)
    return found


def test_each_gateway_keeps_its_own_targets_rule_and_puts_back_one_that_was_dropped(
    tmp_path: Path,
) -> None:
    env: dict[str, str] = {}
    for target in TARGETS:  # nobody listens: MinIO queues the events in the folder
        env |= webhook_env(
            target, f"http://127.0.0.1:{free_port()}/events", queue_dir=tmp_path / target
        )
    minio = start_minio(tmp_path / "minio", extra_env=env)
    s3 = minio.client()
    try:
        stores = [
            Storage(
                f"127.0.0.1:{minio.port}",
                access_key=ACCESS_KEY,
                secret_key=SECRET_KEY,
                secure=False,
                target_arn=f"arn:minio:sqs::{target}:webhook",
            )
            for target in TARGETS
        ]
        function = {"name": "svc", "envVars": {"INPUT_PATH": "uploads/in"}, "annotations": {}}
        now = [0.0]
        registries = [
            ServiceRegistry(
                openfaas=ListedFunctions([function]), storage=storage, clock=lambda: now[0]
            )
            for storage in stores
        ]
        both = {"ONE": ["in/"], "TWO": ["in/"]}

        def applied() -> bool:  # MinIO may not know a target yet just after its start
            for registry in registries:
                now[0] += VERIFY_SECONDS  # so that a refresh looks again
                registry.refresh()
            return queues(s3, "uploads") == both

        wait_for(applied, timeout=30, what="each target's rule on the bucket")

        # The first gateway writes from what it read before the second added its rule.
        read_before = s3.get_bucket_notification("uploads").queue_config_list
        ones = [q for q in read_before if str(q.queue).endswith(":ONE:webhook")]
        s3.set_bucket_notification("uploads", NotificationConfig(queue_config_list=ones))
        registries[1].refresh()  # within the interval: what it applied is taken as there
        assert queues(s3, "uploads") == {"ONE": ["in/"]}

        now[0] += VERIFY_SECONDS
        registries[1].refresh()
        assert queues(s3, "uploads") == both
        assert stores[1].set_input_prefixes("uploads", ["in"]) is False  # in place: no write
    finally:
        minio.stop()
