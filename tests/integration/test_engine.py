"""The local engine through unmodified faas-cli and the real OpenFaaS gateway (issue 3, item 5).

Every test runs on the session's stack (`stack`): faas-cli and HTTP calls go to the OpenFaaS CE
gateway on :8080, which calls our provider. Each test deploys functions under names of its own;
the last one removes every function and checks that nothing the replicas used is left behind.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from contract.naming import SECRETS_MOUNT
from localstack.errors import FaasCliFailed
from provider.sandbox import leftovers, sandbox_name
from provider.sandbox.limits import parse_memory
from tests.support.callbacks import callback_receiver
from tests.support.services import watchdogs
from tests.support.stack import FUNCTION_USER, RunningStack, processes_of
from tests.support.tools import ROOT
from tests.support.waiting import wait_for

EXAMPLE = ROOT / "templates" / "python-watchdog" / "function"
SPREAD = "spread"
_ANSWER = re.compile(r"replica=\S*/replicas/(?P<function>[^/\s]+)/(?P<instance>[^/\s]+)\S* "
                     r"version=(?P<version>\S+)")  # fmt: skip


def answer_of(response: requests.Response) -> dict[str, str]:
    """What the `slow` function said: the replica that ran it and the deployment's VERSION."""
    assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
    match = _ANSWER.search(response.text)
    assert match is not None, f"not an answer of the slow function: {response.text!r}"
    return match.groupdict()


def scale(stack: RunningStack, name: str, replicas: int) -> dict[str, Any]:
    """POST /system/scale-function through the gateway with basic auth (faas-cli has no `scale`).

    The body goes without a JSON content type, as the gateway's own scaler and `curl -d` send it.
    """
    answer = stack.openfaas.post(
        f"{stack.openfaas_url}/system/scale-function/{name}",
        data=json.dumps({"serviceName": name, "replicas": replicas}),
        timeout=10,
    )
    assert answer.status_code in {200, 202}, answer.text

    def scaled() -> dict[str, Any] | None:
        status = stack.function_status(name)
        done = status["replicas"] == replicas and status["availableReplicas"] == replicas
        return status if done else None

    return wait_for(scaled, timeout=60, what=f"{name} at {replicas} available replicas")


def cgroup_value(pid: int, controller: str, v1_file: str, v2_file: str) -> str:
    """A setting of the cgroup holding `pid`: `v1_file` in the v1 `controller` hierarchy, or
    `v2_file` in the unified (v2) one."""
    for line in Path(f"/proc/{pid}/cgroup").read_text(encoding="ascii").splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return Path(f"/sys/fs/cgroup/{controller}{path}/{v1_file}").read_text().strip()
        if controllers == "" and Path(f"/sys/fs/cgroup{path}/{v2_file}").exists():
            return Path(f"/sys/fs/cgroup{path}/{v2_file}").read_text().strip()
    raise AssertionError(f"no {controller} cgroup for pid {pid}")


def memory_limit_of(pid: int) -> int:
    """The memory limit of the cgroup holding `pid` (cgroup v1 or v2), in bytes."""
    return int(cgroup_value(pid, "memory", "memory.limit_in_bytes", "memory.max"))


def process_limit_of(pid: int) -> str:
    """pids.max of the cgroup holding `pid` (cgroup v1 or v2)."""
    return cgroup_value(pid, "pids", "pids.max", "pids.max")


@pytest.fixture(scope="module")
def spread(stack: RunningStack) -> Iterator[str]:
    """The `slow` function, which names the replica that served each call."""
    stack.deploy(SPREAD, "slow", {"environment": {"VERSION": "1"}})
    yield SPREAD
    if SPREAD in stack.faas_cli.list_functions(stack.openfaas_url):  # unless the leak check ran
        stack.faas_cli.run("remove", SPREAD, "--gateway", stack.openfaas_url)


def test_the_template_example_deploys_and_answers_a_sync_call_from_faas_cli(
    stack: RunningStack,
) -> None:
    stack.deploy("example", EXAMPLE)

    listed = stack.faas_cli.list_functions(stack.openfaas_url)
    answer = stack.faas_cli.run(
        "invoke", "example", "--gateway", stack.openfaas_url, "-H", "X-Filename=note.txt",
        stdin="some words\n",
    )  # fmt: skip

    assert "example" in listed
    assert answer == "some words\n"  # the example copies its input to its output


def test_faas_cli_version_names_the_provider_and_its_isolation(stack: RunningStack) -> None:
    output = stack.faas_cli.run(
        "version", "--gateway", stack.openfaas_url, "--warn-update=false"
    )  # offline here

    provider = output[output.index("Provider") :]
    assert re.search(r"name:\s+oscar-local\s", provider), output
    assert re.search(r"orchestration:\s+local-(namespaces|process)\s", provider), output


def test_an_async_invoke_reports_to_the_callback_url_with_status_and_call_id(
    stack: RunningStack,
) -> None:
    stack.deploy("example-async", EXAMPLE)

    with callback_receiver() as receiver:
        stack.faas_cli.run(
            "invoke", "example-async", "--async", "--gateway", stack.openfaas_url,
            "-H", f"X-Callback-Url={receiver.url}", "-H", "X-Filename=queued.txt",
            stdin="queued words",
        )  # fmt: skip
        callback = receiver.next(timeout=60)

    assert callback.headers["X-Function-Status"] == "200"
    assert callback.headers.get("X-Call-Id")
    assert callback.headers["X-Function-Name"] == "example-async"
    assert callback.body == b"queued words"


def test_a_function_scaled_to_three_serves_calls_from_three_replicas(
    stack: RunningStack, spread: str
) -> None:
    status = scale(stack, spread, 3)
    described = stack.wait_available(spread, 3, timeout=30)
    served: set[str] = set()

    def three_served() -> bool:
        with ThreadPoolExecutor(6) as pool:  # concurrent: calls go to the least busy replica
            for response in pool.map(lambda _: stack.invoke(spread, b"x"), range(6)):
                served.add(answer_of(response)["instance"])
        return len(served) == 3

    wait_for(three_served, timeout=30, what="calls answered by 3 distinct replicas")
    assert status["availableReplicas"] == 3
    assert described["Available Replicas"] == "3"
    assert served == set(watchdogs(stack, spread))


def test_a_killed_replica_comes_back_and_is_counted_as_a_restart(
    stack: RunningStack, spread: str
) -> None:
    restarts = scale(stack, spread, 3)["restarts"]
    instance, pid = sorted(watchdogs(stack, spread).items())[0]

    psutil.Process(pid).kill()

    def recovered() -> dict[str, Any] | None:
        status = stack.function_status(spread)
        back = status["restarts"] > restarts and status["availableReplicas"] == 3
        return status if back else None

    status = wait_for(recovered, timeout=60, what=f"{spread} back at 3 replicas after a kill")
    assert status["restarts"] == restarts + 1

    def three_watchdogs() -> dict[str, int] | None:
        live = watchdogs(stack, spread)
        return live if len(live) == 3 else None

    live = wait_for(three_watchdogs, timeout=30, what=f"3 watchdogs of {spread}")
    assert instance not in live
    wait_for(
        lambda: f"netns {sandbox_name(instance)}" not in leftovers(),
        timeout=30,
        what=f"the sandbox of the killed {instance} to be removed",
    )
    assert answer_of(stack.invoke(spread, b"x"))["instance"] in live


def test_a_function_at_zero_replicas_wakes_on_its_next_call(
    stack: RunningStack, spread: str
) -> None:
    # The CE gateway raises a scale to 0 to 1 (zero is a Pro feature): ask the provider.
    provider = stack.status["provider"]["url"]
    scaled = stack.openfaas.post(
        f"{provider}/system/scale-function/{spread}", json={"replicas": 0}, timeout=10
    )
    assert scaled.status_code == 202, scaled.text
    wait_for(lambda: not watchdogs(stack, spread), timeout=30, what=f"{spread} at 0 replicas")
    assert stack.function_status(spread)["availableReplicas"] == 0

    answer = answer_of(stack.invoke(spread, b"x"))  # held by the provider until one is ready

    status = stack.function_status(spread)
    assert status["replicas"] == 1  # its com.openfaas.scale.min, 1 when unset
    assert answer["instance"] in watchdogs(stack, spread)


def test_a_call_of_a_function_that_does_not_exist_is_a_404_with_a_reason(
    stack: RunningStack,
) -> None:
    response = stack.invoke(f"absent-{uuid.uuid4().hex[:6]}", b"x")

    assert response.status_code == 404
    assert "is not deployed" in response.json()["error"]


def test_a_rolling_update_drops_no_call_and_then_serves_the_new_version(
    stack: RunningStack, spread: str
) -> None:
    scale(stack, spread, 2)
    versions: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def call_in_a_loop() -> None:
        while not stop.is_set():
            try:
                response = stack.invoke(spread, b"x")
            except requests.RequestException as e:
                failures.append(repr(e))
                continue
            if response.status_code == 200:
                versions.append(answer_of(response)["version"])
            else:
                failures.append(f"{response.status_code}: {response.text[:300]}")

    callers = [threading.Thread(target=call_in_a_loop) for _ in range(3)]
    for caller in callers:
        caller.start()
    try:
        wait_for(lambda: len(versions) >= 3, timeout=30, what="calls before the update")
        stack.deploy(spread, "slow", {"environment": {"VERSION": "2"}}, replicas=2)
        wait_for(lambda: versions[-6:] == ["2"] * 6, timeout=60, what="only version 2 answering")
    finally:
        stop.set()
        for caller in callers:
            caller.join(timeout=30)

    assert failures == []
    assert versions[0] == "1"
    assert stack.function_status(spread)["envVars"]["VERSION"] == "2"
    assert {answer_of(stack.invoke(spread, b"x"))["version"] for _ in range(4)} == {"2"}


def test_a_removed_function_is_gone_from_list_describe_and_invoke(stack: RunningStack) -> None:
    stack.deploy("doomed", "ok")

    stack.faas_cli.run("remove", "doomed", "--gateway", stack.openfaas_url)

    wait_for(
        lambda: "doomed" not in stack.faas_cli.list_functions(stack.openfaas_url),
        timeout=30,
        what="doomed to leave `faas-cli list`",
    )
    with pytest.raises(FaasCliFailed, match="No such function"):
        stack.describe("doomed")
    missing = stack.openfaas.get(f"{stack.openfaas_url}/system/function/doomed", timeout=10)
    assert missing.status_code == 404
    assert stack.invoke("doomed", b"x").status_code == 404
    assert not (stack.state_dir / "replicas" / "doomed").exists()


def test_a_secret_is_a_file_in_the_function_and_nowhere_else(stack: RunningStack) -> None:
    name, value = "oscar-test-secret", f"s3cr3t-{uuid.uuid4().hex}"
    stack.faas_cli.run("secret", "create", name, f"--from-literal={value}",
                       "--gateway", stack.openfaas_url)  # fmt: skip
    try:
        listed = stack.faas_cli.run("secret", "list", "--gateway", stack.openfaas_url)
        stack.deploy("secretcat", "secretcat", {"environment": {"SECRET_NAME": name},
                                                "secrets": [name]})  # fmt: skip

        answer = stack.invoke("secretcat", b"x")

        assert name in listed
        assert answer.status_code == 200, answer.text
        assert answer.text == value
        assert value not in json.dumps(stack.function_status("secretcat"))
        assert not Path(SECRETS_MOUNT, name).exists()  # mounted in the replica's namespace only
    finally:
        stack.faas_cli.run("remove", "secretcat", "--gateway", stack.openfaas_url)
        stack.faas_cli.run("secret", "remove", name, "--gateway", stack.openfaas_url)


def test_faas_cli_logs_shows_each_replicas_log(stack: RunningStack, spread: str) -> None:
    scale(stack, spread, 2)
    instances = set(watchdogs(stack, spread))

    output = stack.faas_cli.run(
        "logs", spread, "--gateway", stack.openfaas_url, "--tail=false", "--instance",
        "--lines", "50",
    )  # fmt: skip

    assert {i for i in instances if f"({i})" in output} == instances, output[-2000:]
    assert "supervisor listening on" in output


def test_faas_cli_logs_shows_the_scripts_output_lines(stack: RunningStack) -> None:
    stack.deploy("example-logged", EXAMPLE)
    assert stack.invoke("example-logged", b"12345", headers={"X-Filename": "logged.txt"}).ok

    def logged() -> bool:
        output = stack.faas_cli.run(
            "logs", "example-logged", "--gateway", stack.openfaas_url, "--tail=false"
        )
        return "processing logged.txt (5 bytes)" in output

    wait_for(logged, timeout=2, what="the script's line in `faas-cli logs`")


def test_faas_cli_logs_since_a_future_time_shows_nothing(stack: RunningStack, spread: str) -> None:
    output = stack.faas_cli.run(
        "logs", spread, "--gateway", stack.openfaas_url, "--tail=false",
        "--since-time", "2100-01-01T00:00:00Z",
    )  # fmt: skip

    assert output.strip() == ""


def test_a_memory_limit_kills_a_greedy_function_and_spares_the_engine(
    stack: RunningStack, spread: str
) -> None:
    stack.deploy("greedy", "greedy", {"limits": {"memory": "64Mi"}})
    [pid] = watchdogs(stack, "greedy").values()
    assert memory_limit_of(pid) == parse_memory("64Mi")
    assert process_limit_of(pid) == "1024"  # the provider's default for every replica

    answer = stack.invoke("greedy", b"x")

    assert 500 <= answer.status_code < 600, answer.text
    assert requests.get(f"{stack.status['provider']['url']}/healthz", timeout=5).ok
    assert requests.get(f"{stack.openfaas_url}/healthz", timeout=5).ok
    assert answer_of(stack.invoke(spread, b"x"))["function"] == spread
    stack.wait_available("greedy", 1, timeout=60)  # it is restarted, like a pod after an OOM kill
    stack.faas_cli.run("remove", "greedy", "--gateway", stack.openfaas_url)


def test_removing_every_function_leaves_no_sandbox_and_no_function_process(
    stack: RunningStack,
) -> None:
    stack.deploy("last", "ok", {"labels": {"com.openfaas.scale.min": "2"}}, replicas=2)

    removed = stack.remove_all_functions()

    assert "last" in removed
    wait_for(
        lambda: stack.faas_cli.list_functions(stack.openfaas_url) == [],
        timeout=30,
        what="an empty `faas-cli list`",
    )
    wait_for(
        lambda: set(leftovers()) <= stack.leftovers_before,
        timeout=30,
        what="no netns, veth or cgroup of this stack's replicas left",
    )
    wait_for(
        lambda: processes_of(FUNCTION_USER) == [],
        timeout=30,
        what=f"no process of {FUNCTION_USER} left",
    )
    assert sorted(p.name for p in (stack.state_dir / "replicas").glob("*")) == []
