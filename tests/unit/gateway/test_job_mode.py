"""Job mode in the gateway, below the API server: a job-mode service's attempt is started as a
Kubernetes Job instead of an OpenFaaS call, and a finished Job settles its attempt exactly as a
callback would (succeeded with outputs, a retry, a dead letter). The Kubernetes side is a
recording stand-in here; tests/k8s/test_job_mode.py runs the real API server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from contract.paths import StoragePath
from gateway.clients.job_answers import Finished
from gateway.clients.kube_jobs import job_body, job_name
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.job_mode import JobWatcher
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import Job, NewJob
from gateway.jobs.sqlite_ledger import SqliteLedger
from gateway.services import fdl
from gateway.services.deploy_plan import Planner
from gateway.services.model import Service
from gateway.tokens import CallbackSigner
from tests.support.ledger_claims import claim

NOW = 1000.0
EVENT = json.dumps({"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": "in%2Fa"}}}]})


class RecordingKubernetes:
    """A stand-in for the API server's Jobs (the k8s tier runs the real one): what was started,
    and the Jobs the test says have ended."""

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []
        self.ended: list[Finished] = []
        self.labelled: list[str] = []

    def start(self, function: str, *, job_id: str, call_id: str, event: str,
              deadline: float) -> str:  # fmt: skip
        self.started.append({"function": function, "job_id": job_id, "call_id": call_id,
                             "event": event, "deadline": deadline})  # fmt: skip
        return job_name(function, job_id, call_id)

    def finished(self) -> list[Finished]:
        return [f for f in self.ended if f.name not in self.labelled]

    def settled(self, name: str) -> None:
        self.labelled.append(name)


class Registry:
    def __init__(self, service: Service) -> None:
        self.service = service

    def find(self, name: str) -> Service | None:
        return self.service if name == self.service.name else None


@pytest.fixture
def ledger(tmp_path: Path) -> SqliteLedger:
    return SqliteLedger(tmp_path / "ledger.db")


def _parts(ledger: SqliteLedger, kube: RecordingKubernetes) -> tuple[Dispatcher, JobWatcher]:
    service = Service("long", StoragePath("b", "in"), StoragePath("b", "out"), max_attempts=2,
                      timeout=7200.0, job_mode=True)  # fmt: skip
    metrics = Metrics(ledger.counts)
    dispatcher = Dispatcher(
        ledger=ledger, openfaas=cast(Any, None), registry=cast(Any, Registry(service)),
        signer=CallbackSigner("k"), public_url="http://gateway", metrics=metrics,
        retry_base=1.0, retry_cap=60.0, clock=lambda: NOW, launcher=kube,
    )  # fmt: skip
    watcher = JobWatcher(jobs=kube, ledger=ledger, dispatcher=dispatcher, metrics=metrics,
                         leadership=ledger, clock=lambda: NOW)  # fmt: skip
    return dispatcher, watcher


def _claimed(ledger: SqliteLedger) -> Job:
    (job,) = claim(ledger, "long", limit=1, now=NOW, timeout=7200)
    return job


def _ended(job: Job, *, ok: bool, answer: dict[str, Any]) -> Finished:
    return Finished(job_name("long", job.id, job.call_id), job.id, job.call_id, ok,
                    json.dumps(answer), 0 if ok else 1, "", "tail", 5400.0)  # fmt: skip


def test_a_job_mode_attempt_starts_a_kubernetes_job_with_the_attempt_s_event_and_deadline(
    ledger: SqliteLedger,
) -> None:
    kube = RecordingKubernetes()
    dispatcher, _ = _parts(ledger, kube)
    ledger.add([NewJob("long", "b", "in/a", "e1", EVENT, 2, NOW)])
    job = _claimed(ledger)

    dispatcher._send([job])

    (started,) = kube.started
    assert (started["function"], started["job_id"], started["call_id"]) == (
        "long", job.id, job.call_id
    )  # fmt: skip
    assert started["deadline"] == 7200.0
    assert json.loads(started["event"])["Records"] == json.loads(EVENT)["Records"]


def test_a_job_that_succeeded_settles_its_attempt_with_outputs_and_duration(
    ledger: SqliteLedger,
) -> None:
    kube = RecordingKubernetes()
    _, watcher = _parts(ledger, kube)
    ledger.add([NewJob("long", "b", "in/a", "e1", EVENT, 2, NOW)])
    job = _claimed(ledger)
    answer = {"status": "succeeded", "http_status": 200,
              "results": [{"outputs": ["out/a"], "log_tail": "done"}]}  # fmt: skip
    kube.ended.append(_ended(job, ok=True, answer=answer))

    assert watcher.pass_once() == 1

    settled = ledger.get(job.id)
    assert settled is not None
    assert (settled.status, settled.outputs, settled.duration_seconds) == (
        "succeeded", ["out/a"], 5400.0
    )  # fmt: skip
    assert watcher.pass_once() == 0  # labelled settled: not read again


def test_a_failed_job_is_retried_then_a_dead_letter_with_its_log_tail(
    ledger: SqliteLedger,
) -> None:
    kube = RecordingKubernetes()
    _, watcher = _parts(ledger, kube)
    ledger.add([NewJob("long", "b", "in/a", "e1", EVENT, 2, NOW)])
    failed = {"status": "failed", "http_status": 500, "error": "script exited 3",
              "exit_code": 3, "log_tail": "broken"}  # fmt: skip
    for expected in ("queued", "dead"):
        job = claim(ledger, "long", limit=1, now=NOW + 3600, timeout=7200)[0]
        kube.ended.append(_ended(job, ok=False, answer=failed))
        watcher.pass_once()
        after = ledger.get(job.id)
        assert after is not None and after.status == expected, after
    assert after is not None and after.log_tail == "broken"
    assert [a.error for a in ledger.attempts(job.id)] == ["HTTP 500: script exited 3"] * 2


def test_the_job_of_an_attempt_that_is_no_longer_current_changes_nothing(
    ledger: SqliteLedger,
) -> None:
    kube = RecordingKubernetes()
    _, watcher = _parts(ledger, kube)
    ledger.add([NewJob("long", "b", "in/a", "e1", EVENT, 2, NOW)])
    job = _claimed(ledger)
    stale = Finished("old", job.id, "an-earlier-call", True, "{}", 0, "", "", 1.0)
    kube.ended.append(stale)

    watcher.pass_once()

    now = ledger.get(job.id)
    assert now is not None and now.status == "running"


def test_the_job_is_the_deployment_s_pod_with_the_supervisor_once_and_no_probes() -> None:
    deployment = {
        "metadata": {"name": "long"},
        "spec": {"template": {"spec": {
            "containers": [{"name": "long", "image": "reg/long:1",
                            "ports": [{"containerPort": 8080}],
                            "readinessProbe": {"httpGet": {"path": "/_/health"}},
                            "env": [{"name": "INPUT_PATH", "value": "b/in"}],
                            "resources": {"limits": {"memory": "1Gi"}}}],
            "volumes": [{"name": "secrets", "projected": {}}],
        }}},
    }  # fmt: skip

    body = job_body(deployment, name="long-1", job_id="j", call_id="c", event=EVENT,
                    deadline=7200, ttl=600)  # fmt: skip

    pod = body["spec"]["template"]["spec"]
    main = pod["containers"][0]
    assert main["command"] == ["python3", "-m", "supervisor"]
    assert "readinessProbe" not in main and "ports" not in main
    assert main["env"][-1] == {"name": "OSCAR_ONESHOT_EVENT", "value": EVENT}
    assert main["resources"] == {"limits": {"memory": "1Gi"}}
    assert pod["volumes"] == [{"name": "secrets", "projected": {}}]
    assert (pod["restartPolicy"], body["spec"]["backoffLimit"]) == ("Never", 0)
    assert (body["spec"]["activeDeadlineSeconds"], body["spec"]["ttlSecondsAfterFinished"]) == (
        7200, 600
    )  # fmt: skip
    assert "containerPort" not in json.dumps(body)
    assert len(job_name("a" * 80, "j", "c")) <= 63


def test_an_fdl_service_in_job_mode_is_deployed_with_the_annotation_the_gateway_reads() -> None:
    document = {"name": "long", "image": "reg/long:1", "job_mode": True,
                "input": [{"storage_provider": "minio", "path": "long/in"}]}  # fmt: skip
    spec = fdl.parse(json.dumps(document).encode(), "application/json", name=None)
    planner = Planner(gateway="http://of:8080", username="admin", password="pw",
                      s3_endpoint="http://minio:9000")  # fmt: skip

    files = dict(planner.deploy(spec)[-1].files)

    function = yaml.safe_load(files["stack.yml"])["functions"]["long"]
    assert function["annotations"]["oscar.job_mode"] == "true"
    assert spec.service.job_mode is True
    found = Service.from_function({"name": "long", "annotations": function["annotations"],
                                   "envVars": function["environment"]})  # fmt: skip
    assert found is not None and found.job_mode
