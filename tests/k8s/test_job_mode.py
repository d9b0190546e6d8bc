"""OSCAR's Job mode against the real API server (gateway/clients/kube_jobs.py): a Job built from
the function's Deployment runs the supervisor once on a storage event fetched from MinIO; its
answer (the pod's termination message), exit code and log come back and settle as a callback
would; a failing script and a deadline are retryable failures; settled Jobs go after their TTL.
"""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client, config

from gateway.clients.job_answers import Finished, answer_of
from gateway.clients.kube_jobs import KubeJobs, job_name
from gateway.jobs.callbacks import read_callback
from k8s_cluster import ClusterConfig
from k8s_cluster.waiting import wait_until

from . import objects
from .kube import Kube
from .test_grayify import MinioInCluster, _event, minio_server  # noqa: F401

INPUT = b"a file for a Kubernetes Job\n"


@pytest.fixture(scope="module")
def jobs(k8s_cluster: ClusterConfig) -> KubeJobs:
    api = config.new_client_from_config(config_file=str(k8s_cluster.kubeconfig))
    return KubeJobs(api, namespace="default", ttl=3)


@pytest.fixture(scope="module")
def functions(
    k8s_cluster: ClusterConfig,
    template_image: tuple[str, str],
    minio_server: MinioInCluster,  # noqa: F811
) -> str:
    """Deployments of the hello function (succeeding, failing, slow); the event to run."""
    kube = Kube.connect(k8s_cluster.kubeconfig)
    storage = minio_server.client
    storage.make_bucket("jobs")
    storage.put_object("jobs", "in/a.txt", _bytes(), len(INPUT))
    kube.create(objects.secret("jobs-s3", {"s3-access-key": minio_server.access_key,
                                           "s3-secret-key": minio_server.secret_key}))  # fmt: skip
    env = {"S3_ENDPOINT": minio_server.endpoint_for_pods, "INPUT_PATH": "jobs/in",
           "OUTPUT_PATH": "jobs/out"}  # fmt: skip
    _, image = template_image
    for name, extra in (("jobs-hello", {}), ("jobs-fail", {"HELLO_FAIL": "1"}),
                        ("jobs-slow", {"HELLO_SLEEP": "60"})):  # fmt: skip
        kube.create(objects.deployment(name, image, port=8080, env={**env, **extra},
                                       secrets="jobs-s3"))  # fmt: skip
    return _event("jobs", "in/a.txt", len(INPUT))


def _bytes() -> Any:
    import io

    return io.BytesIO(INPUT)


def _ended(jobs: KubeJobs, name: str) -> Finished | None:
    return next((f for f in jobs.finished() if f.name == name), None)


def _run(jobs: KubeJobs, function: str, event: str, call: str, deadline: float) -> Finished:
    name = jobs.start(function, job_id=f"job-{function}", call_id=call, event=event,
                      deadline=deadline)  # fmt: skip
    assert name == job_name(function, f"job-{function}", call)
    ok, last = wait_until(lambda: _ended(jobs, name) is not None or f"{name}: running", timeout=180,
                          interval=0.5)  # fmt: skip
    assert ok, last
    finished = _ended(jobs, name)
    assert finished is not None
    return finished


def test_a_job_from_the_function_s_deployment_runs_the_supervisor_once_and_answers(
    jobs: KubeJobs,
    functions: str,
    minio_server: MinioInCluster,  # noqa: F811
) -> None:
    finished = _run(jobs, "jobs-hello", functions, "call-1", deadline=120)

    assert (finished.succeeded, finished.exit_code, finished.job_id, finished.call_id) == (
        True, 0, "job-jobs-hello", "call-1"
    )  # fmt: skip
    assert "hello from 12." in finished.log_tail
    outcome = read_callback(*answer_of(finished))
    assert (outcome.succeeded, outcome.http_status, outcome.outputs) == (True, 200, ["out/a.txt"])
    copied = minio_server.client.get_object("jobs", "out/a.txt").read()
    assert copied == INPUT
    job: Any = client.BatchV1Api(jobs._api).read_namespaced_job(finished.name, "default")
    pod = job.spec.template.spec
    assert pod.containers[0].command == ["python3", "-m", "supervisor"]
    assert pod.containers[0].readiness_probe is None
    assert pod.volumes[0].secret.secret_name == "jobs-s3"  # the function's secrets, mounted
    assert (job.spec.backoff_limit, job.spec.ttl_seconds_after_finished) == (0, 3)


def test_a_failing_script_is_a_retryable_failure_with_its_exit_code_and_log(
    jobs: KubeJobs, functions: str
) -> None:
    finished = _run(jobs, "jobs-fail", functions, "call-1", deadline=120)

    assert (finished.succeeded, finished.exit_code) == (False, 1)
    outcome = read_callback(*answer_of(finished))
    assert (outcome.succeeded, outcome.http_status, outcome.retryable) == (False, 500, True)
    assert "failing as asked" in outcome.log_tail
    assert "exit" in outcome.error


def test_a_job_past_its_deadline_is_killed_and_its_attempt_fails_retryably(
    jobs: KubeJobs, functions: str
) -> None:
    finished = _run(jobs, "jobs-slow", functions, "call-1", deadline=3)

    assert not finished.succeeded
    outcome = read_callback(*answer_of(finished))
    assert (outcome.succeeded, outcome.retryable) == (False, True)
    assert "Deadline" in outcome.error, outcome.error


def test_a_settled_job_is_not_listed_again_and_kubernetes_removes_it_after_its_ttl(
    jobs: KubeJobs, functions: str
) -> None:
    finished = _run(jobs, "jobs-hello", functions, "call-2", deadline=120)

    jobs.settled(finished.name)

    assert _ended(jobs, finished.name) is None
    batch: Any = client.BatchV1Api(jobs._api)

    def gone() -> bool | str:
        try:
            batch.read_namespaced_job(finished.name, "default")
        except client.exceptions.ApiException as e:
            return e.status == 404 or str(e.status)
        return "still there"

    ok, last = wait_until(gone, timeout=90, interval=0.5)
    assert ok, last
