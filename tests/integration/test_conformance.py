"""OpenFaaS's provider conformance on the local engine, one test per point of the certifier
(github.com/openfaas/certifier, `tests/*_test.go`): the real OpenFaaS gateway in front of our
provider, driven over HTTP as the certifier's SDK calls drive it, and with faas-cli.

Like the certifier, most points deploy `functions/alpine:latest` with an `fprocess` (`env`,
`sha512sum`, `cat`), which the local engine runs with the classic watchdog's semantics. The
table of points, with where each is held, is in docs/CONFORMANCE.md.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from localstack.errors import FaasCliFailed
from tests.support.stack import FUNCTIONS, RunningStack, oscar
from tests.support.waiting import wait_for

ALPINE = "functions/alpine:latest"
NAMESPACE = "openfaas-fn"
SOME_JSON = '{"glossary": {"title": "example glossary", "GlossDiv": {"title": "S"}}}'


@pytest.fixture
def deployed(stack: RunningStack) -> Iterator[list[str]]:
    """The names a test deployed; each is removed afterwards, whatever happened."""
    names: list[str] = []
    yield names
    for name in names:
        stack.openfaas.delete(
            f"{stack.openfaas_url}/system/functions", json={"functionName": name}, timeout=30
        )


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def deploy(
    stack: RunningStack, names: list[str], name: str, *, method: str = "POST", **spec: Any
) -> requests.Response:
    """POST (or PUT) a FunctionDeployment to the gateway's /system/functions, as the SDK does."""
    body = {"service": name, "image": ALPINE, "network": "func_functions", **spec}
    answer = stack.openfaas.request(
        method, f"{stack.openfaas_url}/system/functions", json=body, timeout=60
    )
    if answer.status_code < 400 and name not in names:
        names.append(name)
    return answer


def invoke(
    stack: RunningStack,
    name: str,
    *,
    method: str = "POST",
    query: str = "",
    expected: int = 200,
    body: bytes | None = None,
) -> requests.Response:
    """Call the function until it answers `expected`, as the certifier's invoke retries."""
    url = f"{stack.openfaas_url}/function/{name}" + (f"?{query}" if query else "")

    def call() -> requests.Response | None:
        answer = requests.request(method, url, data=body, timeout=30, allow_redirects=False)
        return answer if answer.status_code == expected else None

    return wait_for(call, timeout=60, what=f"{method} {url} to answer {expected}", interval=0.2)


def status(stack: RunningStack, name: str) -> dict[str, Any]:
    return stack.function_status(name)


def variables(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_system_info_names_the_provider_its_orchestration_and_both_versions(
    stack: RunningStack,
) -> None:
    info = stack.openfaas.get(f"{stack.openfaas_url}/system/info", timeout=10).json()
    provider = info["provider"]
    assert provider["provider"] and provider["orchestration"]
    assert provider["version"]["release"] and provider["version"]["sha"]
    assert info["version"]["release"]


def test_a_classic_function_deploys_answers_and_is_listed(
    stack: RunningStack, deployed: list[str]
) -> None:
    name = fresh("stronghash")
    answer = deploy(stack, deployed, name, envProcess="sha512sum")
    assert answer.status_code in {200, 202}, answer.text
    listed = stack.openfaas.get(f"{stack.openfaas_url}/system/functions", timeout=10).json()
    assert name in {f["name"] for f in listed}
    assert invoke(stack, name, body=b"abc").text.startswith("ddaf35a193617aba")


def test_custom_env_vars_and_the_query_string_reach_the_function(
    stack: RunningStack, deployed: list[str]
) -> None:
    name = fresh("env-test")
    deploy(stack, deployed, name, envProcess="env", envVars={"custom_env": "custom_env_value"})
    assert variables(invoke(stack, name).text)["custom_env"] == "custom_env_value"
    assert "Http_Query=testing=1" in invoke(stack, name, query="testing=1").text


def test_labels_given_at_deploy_are_in_the_functions_status(
    stack: RunningStack, deployed: list[str]
) -> None:
    name, labels = fresh("env-test-labels"), {"upstream_uri": "example.com", "canary_build": "true"}
    deploy(stack, deployed, name, envProcess="env", labels=labels)
    invoke(stack, name)
    assert status(stack, name)["labels"].items() >= labels.items()


def test_annotations_given_at_deploy_are_in_the_functions_status(
    stack: RunningStack, deployed: list[str]
) -> None:
    name = fresh("env-test-annotations")
    annotations = {"important-date": "Fri Aug 10 08:21:00 BST 2018", "some-json": SOME_JSON}
    deploy(stack, deployed, name, envProcess="env", annotations=annotations)
    invoke(stack, name)
    assert status(stack, name)["annotations"].items() >= annotations.items()


def test_an_update_replaces_image_process_env_labels_and_annotations(
    stack: RunningStack, deployed: list[str]
) -> None:
    name = fresh("update-test")
    deploy(stack, deployed, name, envProcess="env", envVars={"stage": "one"}, labels={"v": "1"})
    assert variables(invoke(stack, name).text)["stage"] == "one"
    answer = deploy(
        stack,
        deployed,
        name,
        method="PUT",
        image="functions/alpine:3.19",
        envProcess="env",
        envVars={"stage": "two"},
        labels={"v": "2"},
        annotations={"note": "updated"},
    )
    assert answer.status_code in {200, 202}, answer.text
    wait_for(
        lambda: variables(invoke(stack, name).text).get("stage") == "two",
        timeout=60,
        what="the updated environment to answer",
    )
    updated = status(stack, name)
    assert updated["image"] == "functions/alpine:3.19"
    assert updated["labels"]["v"] == "2" and updated["annotations"]["note"] == "updated"


def test_updating_a_function_that_is_not_deployed_is_a_404(
    stack: RunningStack, deployed: list[str]
) -> None:
    answer = deploy(stack, deployed, fresh("never"), method="PUT", envProcess="env")
    assert answer.status_code == 404, answer.text


def test_the_provider_lists_its_one_namespace_and_refuses_another_with_a_400(
    stack: RunningStack, deployed: list[str]
) -> None:
    listed = stack.openfaas.get(f"{stack.openfaas_url}/system/namespaces", timeout=10)
    assert listed.status_code == 200 and listed.json() == [NAMESPACE]
    name = fresh("elsewhere")
    answer = deploy(stack, deployed, name, envProcess="env", namespace="staging-fn")
    assert answer.status_code == 400 and NAMESPACE in answer.text, answer.text
    other = stack.openfaas.get(
        f"{stack.openfaas_url}/system/functions", params={"namespace": "staging-fn"}, timeout=10
    )
    assert other.status_code == 400 and NAMESPACE in other.text, other.text


def test_a_function_deployed_into_the_namespace_by_name_answers_at_name_dot_namespace(
    stack: RunningStack, deployed: list[str]
) -> None:
    name = fresh("in-namespace")
    answer = deploy(stack, deployed, name, envProcess="env", namespace=NAMESPACE)
    assert answer.status_code in {200, 202}, answer.text
    assert "Http_Method=POST" in invoke(stack, f"{name}.{NAMESPACE}").text
    in_namespace = stack.openfaas.get(
        f"{stack.openfaas_url}/system/functions", params={"namespace": NAMESPACE}, timeout=10
    )
    assert name in {f["name"] for f in in_namespace.json()}


def test_secrets_are_created_read_listed_updated_and_deleted(
    stack: RunningStack, deployed: list[str]
) -> None:
    secrets = f"{stack.openfaas_url}/system/secrets"
    secret, name = fresh("secret-name"), fresh("test-secret-crud")
    created = stack.openfaas.post(secrets, json={"name": secret, "value": "first"}, timeout=10)
    assert created.status_code in {201, 202}, created.text
    deploy(
        stack, deployed, name, envProcess=f"cat /var/openfaas/secrets/{secret}", secrets=[secret]
    )
    assert invoke(stack, name).text == "first"
    assert secret in {s["name"] for s in stack.openfaas.get(secrets, timeout=10).json()}

    updated = stack.openfaas.put(secrets, json={"name": secret, "value": "second"}, timeout=10)
    assert updated.status_code in {200, 202}, updated.text
    wait_for(lambda: invoke(stack, name).text == "second", timeout=30, what="the updated secret")

    stack.openfaas.delete(
        f"{stack.openfaas_url}/system/functions", json={"functionName": name}, timeout=30
    )
    deployed.remove(name)
    removed = stack.openfaas.delete(secrets, json={"name": secret}, timeout=10)
    assert removed.status_code in {200, 202}, removed.text
    assert secret not in {s["name"] for s in stack.openfaas.get(secrets, timeout=10).json()}


def test_the_min_scale_label_starts_that_many_replicas(
    stack: RunningStack, deployed: list[str]
) -> None:
    name = fresh("test-min-scale")
    deploy(stack, deployed, name, envProcess="sha512sum", labels={"com.openfaas.scale.min": "2"})
    assert status(stack, name)["replicas"] == 2
    stack.wait_available(name, 2, timeout=60)


def test_a_function_scaled_to_zero_on_the_provider_answers_its_next_call_through_the_gateway(
    stack: RunningStack, deployed: list[str]
) -> None:
    name = fresh("test-scale-from-zero")
    deploy(stack, deployed, name, envProcess="sha512sum")
    invoke(stack, name)
    # The CE gateway raises a scale to 0 to 1 (scaling/ranges.go: zero is OpenFaaS Pro's), so
    # the certifier's scale to zero goes to the provider's own /system/scale-function.
    through_gateway = stack.openfaas.post(
        f"{stack.openfaas_url}/system/scale-function/{name}",
        json={"service": name, "replicas": 0},
        timeout=10,
    )
    assert through_gateway.status_code in {200, 202}, through_gateway.text
    assert status(stack, name)["replicas"] == 1
    provider = stack.status["provider"]["url"]
    scaled = stack.openfaas.post(
        f"{provider}/system/scale-function/{name}", json={"replicas": 0}, timeout=10
    )
    assert scaled.status_code == 202, scaled.text
    assert status(stack, name)["replicas"] == 0
    wait_for(
        lambda: status(stack, name)["availableReplicas"] == 0, timeout=30, what="zero replicas"
    )
    assert invoke(stack, name, body=b"abc").text.startswith("ddaf35a193617aba")
    assert status(stack, name)["replicas"] == 1


def test_a_function_scales_up_to_three_replicas_and_back_down_to_one(
    stack: RunningStack, deployed: list[str]
) -> None:
    name = fresh("test-scaling")
    deploy(stack, deployed, name, envProcess="sha512sum")
    for replicas in (3, 1):
        scaled = stack.openfaas.post(
            f"{stack.openfaas_url}/system/scale-function/{name}",
            json={"service": name, "replicas": replicas},
            timeout=10,
        )
        assert scaled.status_code in {200, 202}, scaled.text

        def available(wanted: int = replicas) -> bool:
            return bool(status(stack, name)["availableReplicas"] == wanted)

        wait_for(available, timeout=60, what=f"{replicas} available replicas")
        assert status(stack, name)["replicas"] == replicas


def test_logs_show_the_classic_watchdogs_lines_for_a_call(
    stack: RunningStack, deployed: list[str]
) -> None:
    name = fresh("test-logger")
    deploy(stack, deployed, name, envProcess="sha512sum")
    invoke(stack, name)

    def two_lines() -> list[dict[str, Any]] | None:
        answer = stack.openfaas.get(
            f"{stack.openfaas_url}/system/logs",
            params={"name": name, "tail": "2", "follow": "false"},
            timeout=10,
        )
        lines = [json.loads(line) for line in answer.text.splitlines() if line]
        return lines if len(lines) == 2 else None

    lines = wait_for(two_lines, timeout=30, what="two log lines")
    assert {line["name"] for line in lines} == {name}
    texts = [line["text"].lstrip("0123456789/: ") for line in lines]
    assert texts[0].startswith("Forking fprocess"), texts
    assert texts[1].startswith("Wrote 132 Bytes"), texts


@pytest.mark.parametrize("verb", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_every_http_verb_reaches_the_function(
    stack: RunningStack, deployed: list[str], verb: str
) -> None:
    name = fresh(f"env-test-{verb.lower()}")
    deploy(stack, deployed, name, envProcess="env")
    assert f"Http_Method={verb}" in invoke(stack, name, method=verb).text


def test_a_redirect_reaches_the_caller_with_its_status_and_location(
    stack: RunningStack, deployed: list[str], tmp_path: Path
) -> None:
    # The certifier's redirector is an of-watchdog (http mode) function: ours is a `lang:
    # dockerfile` one, built by `oscar build` (tests/integration/functions/redirector).
    name, destination = fresh("redirector-test"), "http://example.com/elsewhere"
    shutil.copytree(FUNCTIONS / "redirector", tmp_path / "redirector")
    entry = {"lang": "dockerfile", "handler": "./redirector", "image": f"oscar-tests/{name}"}
    document = {"version": 1.0, "provider": {"name": "openfaas"}, "functions": {name: entry}}
    (tmp_path / "stack.yml").write_text(yaml.safe_dump(document))
    built = oscar(stack.env, "build", "-f", str(tmp_path / "stack.yml"))
    assert built.returncode == 0, built.stdout + built.stderr
    deploy(stack, deployed, name, image=entry["image"], envVars={"destination": destination})
    answer = invoke(stack, name, method="GET", expected=302)
    assert answer.headers["Location"] == destination


def test_calling_a_function_that_does_not_exist_is_a_404(stack: RunningStack) -> None:
    answer = requests.post(f"{stack.openfaas_url}/function/notfound", timeout=30)
    assert answer.status_code == 404, answer.text


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"image": "functions/alpine:latest"}', b'{"service": "Bad_Name"}'],
)
def test_a_deploy_with_a_bad_body_is_a_400_with_a_reason(stack: RunningStack, body: bytes) -> None:
    answer = stack.openfaas.post(
        f"{stack.openfaas_url}/system/functions",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 400, answer.text
    assert answer.text.strip()


def test_deleting_or_scaling_a_function_that_does_not_exist_is_a_404(stack: RunningStack) -> None:
    missing = fresh("missing")
    deleted = stack.openfaas.delete(
        f"{stack.openfaas_url}/system/functions", json={"functionName": missing}, timeout=10
    )
    scaled = stack.openfaas.post(
        f"{stack.openfaas_url}/system/scale-function/{missing}", json={"replicas": 1}, timeout=10
    )
    described = stack.openfaas.get(f"{stack.openfaas_url}/system/function/{missing}", timeout=10)
    assert (deleted.status_code, scaled.status_code, described.status_code) == (404, 404, 404)


def test_a_secret_that_exists_is_a_409_and_one_that_does_not_a_404(stack: RunningStack) -> None:
    secrets, name = f"{stack.openfaas_url}/system/secrets", fresh("twice")
    assert stack.openfaas.post(secrets, json={"name": name, "value": "v"}, timeout=10).ok
    try:
        again = stack.openfaas.post(secrets, json={"name": name, "value": "v"}, timeout=10)
        assert again.status_code == 409, again.text
    finally:
        stack.openfaas.delete(secrets, json={"name": name}, timeout=10)
    missing = fresh("missing")
    updated = stack.openfaas.put(secrets, json={"name": missing, "value": "v"}, timeout=10)
    removed = stack.openfaas.delete(secrets, json={"name": missing}, timeout=10)
    assert (updated.status_code, removed.status_code) == (404, 404)


def test_faas_cli_lists_the_namespace_and_says_why_another_is_refused(
    stack: RunningStack, tmp_path: Path
) -> None:
    gateway = ("--gateway", stack.openfaas_url)
    assert NAMESPACE in stack.faas_cli.run("namespaces", *gateway)
    with pytest.raises(FaasCliFailed) as refused:
        stack.faas_cli.run(
            "deploy", "--image", ALPINE, "--fprocess", "env", "--name", fresh("elsewhere"),
            "--namespace", "staging-fn", *gateway, cwd=tmp_path,
        )  # fmt: skip
    assert "is not this provider's: it has one namespace, 'openfaas-fn'" in refused.value.output
