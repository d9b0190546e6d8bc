"""The gateway tells each job where its result is recorded, and reads that place from one
setting (`OSCAR_RESULTS_BUCKET`)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from contract.results import RESULTS_BUCKET
from gateway.errors import ConfigError
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import NewJob
from gateway.jobs.sqlite_ledger import SqliteLedger
from gateway.services.registry import ServiceRegistry
from gateway.tokens import CallbackSigner
from tests.support.gateway_config import gateway_config
from tests.support.ledger_claims import claim


def test_results_are_recorded_in_the_system_bucket_unless_told_otherwise(tmp_path: Path) -> None:
    assert gateway_config(tmp_path).results_bucket == RESULTS_BUCKET == "oscar-results"
    assert gateway_config(tmp_path, OSCAR_RESULTS_BUCKET="ours").results_bucket == "ours"
    assert gateway_config(tmp_path, OSCAR_RESULTS_BUCKET="").results_bucket == ""  # off
    assert gateway_config(tmp_path, OSCAR_SETTLE_INTERVAL_SECONDS="0.5").settle_interval == 0.5


def test_a_results_bucket_no_object_could_live_in_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"OSCAR_RESULTS_BUCKET.*set it empty"):
        gateway_config(tmp_path, OSCAR_RESULTS_BUCKET="bad\x00name")


class Sent:
    """An in-memory stand-in for the OpenFaaS client: keeps the bodies it was given."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def invoke_async(self, name: str, body: bytes, **_: Any) -> int:
        self.bodies.append(body)
        return 202


def test_each_sent_job_names_its_call_and_the_results_bucket(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.db")
    sent = Sent()
    no_services = SimpleNamespace(find=lambda name: None)
    dispatcher = Dispatcher(
        ledger=ledger, openfaas=cast(Any, sent), registry=cast(Any, no_services),
        signer=CallbackSigner("k"), public_url="http://gateway", metrics=Metrics(ledger.counts),
        retry_base=1.0, retry_cap=60.0, results_bucket="oscar-results",
    )  # fmt: skip
    ledger.add([NewJob("svc", "b", "in/a.txt", "e1", '{"Records": []}', 3, 1.0)])
    [job] = claim(ledger, "svc", limit=1, now=2.0, timeout=30)

    dispatcher._send([job])

    [body] = sent.bodies
    fields = json.loads(body)["OscarJob"]
    assert (fields["id"], fields["attempt"], fields["call"]) == (job.id, 1, job.call_id)
    assert fields["results"] == "oscar-results"
    ledger.close()


class Functions:
    """An in-memory stand-in for OpenFaaS's function list, and for MinIO's bucket calls."""

    def __init__(self, *inputs: str) -> None:
        self.statuses = [
            {"name": f"fn{n}", "envVars": {"INPUT_PATH": path, "OUTPUT_PATH": f"out{n}/o"}}
            for n, path in enumerate(inputs)
        ]

    def functions(self) -> list[dict[str, Any]]:
        return self.statuses

    def ensure_bucket(self, bucket: str) -> None:
        pass

    def set_input_prefixes(self, bucket: str, prefixes: Any) -> None:
        pass


def test_a_service_reading_the_results_bucket_is_refused_with_a_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = Functions("oscar-results/in", "photos/in")
    registry = ServiceRegistry(
        openfaas=cast(Any, fake), storage=cast(Any, fake), system_buckets=["oscar-results"]
    )

    services = registry.refresh()

    assert [s.name for s in services] == ["fn1"]
    assert "fn0" in caplog.text and "system bucket where functions record results" in caplog.text
