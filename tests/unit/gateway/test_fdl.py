"""FDL documents become ServiceSpecs, or errors naming every field at fault; specs become plans."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from contract.paths import StoragePath
from gateway.clients.faascli import Step
from gateway.errors import BadRequest, InvalidService, UnsupportedMediaType
from gateway.services import fdl
from gateway.services.deploy_plan import Planner
from gateway.services.model import Service

GATEWAY = "http://127.0.0.1:8080"
S3 = "http://127.0.0.1:9000"
SCRIPT = '#!/bin/sh\nconvert "$INPUT_FILE_PATH" -type Grayscale "$TMP_OUTPUT_DIR/out.png"\n'
YAML_SERVICE = f"""
name: grayify
memory: 1Gi
cpu: '0.5'
image: oscar-examples/grayify:latest
script: |
{"".join("  " + line + chr(10) for line in SCRIPT.splitlines())}
log_level: debug
vo: vo.example.eu
input:
- storage_provider: minio.default
  path: grayify/in
  suffix: [.jpg, .png]
output:
- storage_provider: minio.default
  path: grayify/out
environment:
  Variables:
    QUALITY: 80
    VERBOSE: yes
    GREETING: hello
secrets: [api-key]
max_attempts: 5
concurrency: 2
timeout: 120
"""


def minimal(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": "grayify",
        "image": "oscar-examples/grayify:latest",
        "input": [{"storage_provider": "minio", "path": "grayify/in"}],
        "output": [{"storage_provider": "minio", "path": "grayify/out"}],
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


def parse_json(document: dict[str, Any], *, name: str | None = None) -> fdl.ServiceSpec:
    return fdl.parse(json.dumps(document).encode(), "application/json", name=name)


def problem(document: dict[str, Any], *, name: str | None = None) -> str:
    with pytest.raises(InvalidService) as caught:
        parse_json(document, name=name)
    assert caught.value.status == 422
    return caught.value.message


def planner() -> Planner:
    return Planner(gateway=GATEWAY, username="admin", password="s3cret", s3_endpoint=S3)


def stack_of(step: Step) -> dict[str, Any]:
    files = dict(step.files)
    document: dict[str, Any] = yaml.safe_load(files["stack.yml"])
    return document


# --- parsing -------------------------------------------------------------------------------------


def test_an_oscar_yaml_service_is_read_with_its_environment_variables() -> None:
    spec = fdl.parse(YAML_SERVICE.encode(), "application/yaml")

    assert spec.name == "grayify"
    assert spec.image == "oscar-examples/grayify:latest"
    assert spec.script == SCRIPT
    assert (spec.memory, spec.cpu) == ("1Gi", "0.5")
    assert spec.input == spec.watched == StoragePath("grayify", "in")
    assert spec.output == StoragePath("grayify", "out")
    assert spec.suffixes == (".jpg", ".png")
    assert spec.environment == {"QUALITY": "80", "VERBOSE": "true", "GREETING": "hello"}
    assert spec.secrets == ("api-key",)
    assert spec.log_level == "DEBUG"
    assert (spec.max_attempts, spec.concurrency, spec.timeout) == (5, 2, 120)


def test_the_same_service_reads_the_same_from_json() -> None:
    from_yaml = fdl.parse(YAML_SERVICE.encode(), "text/yaml")
    document = yaml.safe_load(YAML_SERVICE)

    from_json = parse_json(document)

    assert from_json == from_yaml


def test_oscar_json_spells_variables_in_lower_case() -> None:
    spec = parse_json(minimal(environment={"variables": {"A": "1"}, "secrets": {}}))

    assert spec.environment == {"A": "1"}


def test_a_plain_mapping_is_accepted_as_the_environment() -> None:
    spec = parse_json(minimal(environment={"A": "1", "B": 2.5}))

    assert spec.environment == {"A": "1", "B": "2.5"}


def test_a_body_without_content_type_is_read_as_yaml_or_json() -> None:
    assert fdl.parse(YAML_SERVICE.encode(), "").name == "grayify"
    assert fdl.parse(json.dumps(minimal()).encode(), "").name == "grayify"


def test_the_url_names_the_service_when_the_body_does_not() -> None:
    spec = parse_json(minimal(name=None), name="grayify")

    assert spec.name == "grayify"


def test_oscar_fields_with_no_meaning_here_are_ignored_and_listed() -> None:
    document = minimal(vo="vo.example.eu", cluster_id="oscar-cluster", token="abc", alpine=False)

    assert parse_json(document).name == "grayify"
    assert fdl.ignored_fields(document) == ["alpine", "cluster_id", "token", "vo"]


def test_unsupported_oscar_fields_are_accepted_when_empty() -> None:
    assert parse_json(minimal(enable_gpu=False, mount={}, image_pull_secrets=[])).name


def test_an_input_prefix_is_a_folder_below_the_path_that_becomes_jobs() -> None:
    spec = parse_json(minimal(input=[{"path": "grayify/in", "prefix": ["2024"]}]))

    assert spec.input == StoragePath("grayify", "in")
    assert spec.watched == StoragePath("grayify", "in/2024")
    assert spec.service.input == StoragePath("grayify", "in/2024")


def test_a_single_input_mapping_without_its_list_is_accepted() -> None:
    spec = parse_json(minimal(input={"path": "grayify/in", "suffix": ".jpg"}))

    assert spec.suffixes == (".jpg",)


def test_a_service_without_output_is_allowed() -> None:
    assert parse_json(minimal(output=None)).output is None


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"name: [unclosed", "application/yaml", "not valid YAML"),
        (b"", "application/json", "empty body"),
        (b"  \n", "application/yaml", "empty body"),
        (b"- name: a\n", "application/yaml", "found list"),
        (b"just text", "application/yaml", "found str"),
        (b"\xff\xfe", "application/yaml", "not UTF-8"),
        (
            b"functions:\n  oscar:\n  - c:\n      name: a\n",
            "application/yaml",
            "whole FDL file",
        ),
    ],
)
def test_a_body_that_is_not_one_service_is_a_400(
    body: bytes, content_type: str, expected: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        fdl.parse(body, content_type)

    assert caught.value.status == 400
    assert expected in caught.value.message


def test_a_body_of_another_media_type_is_a_415_naming_the_accepted_ones() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        fdl.parse(b"name=a", "application/x-www-form-urlencoded")

    assert caught.value.status == 415
    assert "application/json" in caught.value.message


# --- validation: each problem names its field ----------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": None}, "name: required"),
        ({"name": "Gray_ify"}, "name: 'Gray_ify' is not a DNS-1123 label"),
        ({"name": "a" * 64}, "is not a DNS-1123 label"),
        ({"name": 7}, "name: expected a string, found int"),
        ({"image": None}, "image: required"),
        ({"image": "my image"}, "image: 'my image' contains white space"),
        ({"memory": "256m"}, "did you mean '256Mi'?"),
        ({"memory": "lots"}, "memory: expected a quantity like '256Mi'"),
        ({"memory": "0Mi"}, "memory: '0Mi' must be more than zero"),
        ({"cpu": "half"}, "cpu: expected a quantity cores like '0.5'"),
        ({"cpu": True}, "cpu: expected a quantity"),
        ({"cpu": 0}, "cpu: '0' must be more than zero"),
        ({"input": None}, "input: required; name the bucket/prefix"),
        ({"input": "grayify/in"}, "input: expected a list, found a string"),
        (
            {"input": [{"path": "a/in"}, {"path": "b/in"}]},
            "input: one input is supported, found 2",
        ),
        (
            {"output": [{"path": "a/out"}, {"path": "b/out"}]},
            "output: one output is supported, found 2",
        ),
        ({"input": ["grayify/in"]}, "input[0]: expected a mapping with path, found a string"),
        ({"input": [{"path": ""}]}, "input[0].path: expected 'bucket/prefix'"),
        ({"input": [{"path": "Gray_Ify/in"}]}, "'Gray_Ify' is not a bucket name"),
        (
            {"input": [{"path": "grayify/in", "storage_provider": "s3.aws"}]},
            "input: storage_provider 's3.aws' is not defined; add it under storage_providers",
        ),
        ({"input": [{"path": "grayify/in", "bucket": "x"}]}, "input[0].bucket: unknown field"),
        (
            {"input": [{"path": "grayify/in", "prefix": ["a", "b"]}]},
            "input[0].prefix: one folder below path is supported, found 2",
        ),
        ({"input": [{"path": "grayify/in", "suffix": [1]}]}, "input[0].suffix: expected a list"),
        (
            {"output": [{"path": "grayify/out", "suffix": ["png"]}]},
            "output[0].suffix: not supported",
        ),
        ({"output": [{"path": "grayify/in/results"}]}, "overlaps input grayify/in"),
        ({"output": [{"path": "grayify"}]}, "overlaps input grayify/in"),
        ({"environment": ["A=1"]}, "environment: expected a mapping, found a list"),
        (
            {"environment": {"Variables": {"1A": "x"}}},
            "environment.Variables.1A: '1A' is not a variable name",
        ),
        ({"environment": {"INPUT_PATH": "x/y"}}, "environment.INPUT_PATH: set by the gateway"),
        ({"environment": {"Variables": {"A": [1]}}}, "environment.Variables.A: expected a string"),
        (
            {"environment": {"Variables": {}, "Secrets": {"TOKEN": "x"}}},
            "environment.Secrets: not supported; create the secret",
        ),
        ({"log_level": "LOUD"}, "log_level: expected one of DEBUG, INFO"),
        ({"log_level": "INFO", "environment": {"LOG_LEVEL": "DEBUG"}}, "set only one"),
        ({"secrets": ["API_KEY"]}, "secrets: 'API_KEY' is not a secret name"),
        ({"secrets": "api-key,x"}, "secrets: 'api-key,x' is not a secret name"),
        ({"secrets": ["grayify-script.sh"]}, "the secret the gateway makes from `script`"),
        ({"annotations": {"oscar.input": "x/y"}}, "annotations.oscar.input: oscar.*"),
        ({"labels": {"team": 1}}, "labels.team: expected a string, found int"),
        ({"max_attempts": 0}, "max_attempts: expected a positive integer, found 0"),
        ({"concurrency": True}, "concurrency: expected a positive integer, found True"),
        ({"timeout": 1.5}, "timeout: expected a positive integer, found 1.5"),
        ({"script": ""}, "script: expected the script's text"),
        ({"script": "script.sh"}, "script: 'script.sh' looks like a file name"),
        ({"memroy": "1Gi"}, "memroy: unknown field; did you mean 'memory'?"),
        ({"mount": {"path": "x/y"}}, "mount: not supported by this gateway"),
        ({"enable_gpu": True}, "enable_gpu: not supported by this gateway"),
    ],
)
def test_a_field_at_fault_is_a_422_that_names_it(changes: dict[str, Any], expected: str) -> None:
    document = minimal()
    document.update(changes)
    document = {k: v for k, v in document.items() if v is not None}

    assert expected in problem(document)


def test_a_name_in_the_body_must_agree_with_the_url() -> None:
    assert "the body says 'grayify' but the URL says 'other'" in problem(minimal(), name="other")


def test_every_problem_is_reported_at_once() -> None:
    message = problem(minimal(name="Bad_Name", cpu="x", log_level="LOUD", max_attempts=-1))

    assert message.startswith("the service definition has 4 problems: ")
    for field in ("name:", "cpu:", "log_level:", "max_attempts:"):
        assert field in message


def test_a_rule_over_two_fields_is_reported_with_every_other_problem() -> None:
    message = problem(minimal(cpu="x", output=[{"path": "grayify/in/results"}]))

    assert message.startswith("the service definition has 2 problems: ")
    assert "cpu:" in message and "output: grayify/in/results overlaps input" in message


def test_a_problem_is_named_by_the_path_the_user_wrote_not_the_list_it_became() -> None:
    message = problem(minimal(input={"path": "Gray_Ify/in"}))

    assert "input.path: 'Gray_Ify' is not a bucket name" in message


def test_numbers_written_as_digit_strings_are_accepted() -> None:
    spec = parse_json(minimal(max_attempts="3", memory=268435456, cpu=1))

    assert (spec.max_attempts, spec.memory, spec.cpu) == (3, "268435456", "1")


# --- the function a spec deploys -----------------------------------------------------------------


def test_the_deployed_function_is_discovered_as_the_same_service() -> None:
    spec = fdl.parse(YAML_SERVICE.encode(), "application/yaml")
    function = spec.function(s3_endpoint=S3)

    discovered = Service.from_function(
        {
            "name": spec.name,
            "envVars": function["environment"],
            "annotations": function["annotations"],
        }
    )

    assert discovered == spec.service
    assert discovered == Service(
        "grayify",
        StoragePath("grayify", "in"),
        StoragePath("grayify", "out"),
        suffixes=(".jpg", ".png"),
        max_attempts=5,
        concurrency=2,
        timeout=120.0,
    )


def test_a_service_with_a_prefix_is_discovered_by_its_watched_folder() -> None:
    spec = parse_json(minimal(input=[{"path": "grayify/in", "prefix": ["2024/"]}]))
    function = spec.function(s3_endpoint=S3)

    discovered = Service.from_function(
        {
            "name": spec.name,
            "envVars": function["environment"],
            "annotations": function["annotations"],
        }
    )

    assert function["environment"]["INPUT_PATH"] == "grayify/in"
    assert discovered is not None and discovered.input == StoragePath("grayify", "in/2024")


def test_an_fdl_service_follows_oscars_base64_convention_unless_its_environment_says_not() -> None:
    default = parse_json(minimal()).function(s3_endpoint=S3)["environment"]
    raw = parse_json(minimal(environment={"SYNC_BASE64": "false"})).function(s3_endpoint=S3)

    assert default["SYNC_BASE64"] == "true"
    assert raw["environment"]["SYNC_BASE64"] == "false"


def test_user_variables_may_override_the_s3_endpoint_but_not_the_paths() -> None:
    spec = parse_json(minimal(environment={"S3_ENDPOINT": "http://minio:9000"}))

    env = spec.function(s3_endpoint=S3)["environment"]

    assert env == {
        "S3_ENDPOINT": "http://minio:9000",
        "SYNC_BASE64": "true",
        "INPUT_PATH": "grayify/in",
        "OUTPUT_PATH": "grayify/out",
    }


# --- plans ---------------------------------------------------------------------------------------


def test_creating_with_a_script_logs_in_puts_the_script_secret_then_deploys() -> None:
    spec = fdl.parse(YAML_SERVICE.encode(), "application/yaml")

    plan = planner().deploy(spec)

    assert [str(step) for step in plan] == [
        f"faas-cli login --gateway {GATEWAY} --username admin --password-stdin"
        " < (6 bytes on stdin)",
        f"faas-cli secret create grayify-script.sh --gateway {GATEWAY} --trim=false"
        f" < ({len(SCRIPT)} bytes on stdin)",
        f"faas-cli deploy -f stack.yml --gateway {GATEWAY} --envsubst=false --read-template=false",
    ]
    login, secret, _ = plan
    assert login.stdin == "s3cret"
    assert secret.stdin == SCRIPT and secret.expect == "Created"
    assert secret.fallback is not None and secret.fallback_on == "already exists"
    assert secret.fallback.args[:3] == ("secret", "update", "grayify-script.sh")
    assert secret.fallback.stdin == SCRIPT and secret.fallback.expect == "Updated"
    assert "s3cret" not in " ".join(str(step) for step in plan)
    assert "s3cret" not in repr(plan)


def test_the_stack_file_carries_image_environment_secrets_limits_and_annotations() -> None:
    spec = fdl.parse(YAML_SERVICE.encode(), "application/yaml")

    stack = stack_of(planner().deploy(spec)[-1])

    assert stack["provider"] == {"name": "openfaas", "gateway": GATEWAY}
    function = stack["functions"]["grayify"]
    assert function["image"] == "oscar-examples/grayify:latest"
    assert function["environment"] == {
        "S3_ENDPOINT": S3,
        "SYNC_BASE64": "true",
        "QUALITY": "80",
        "VERBOSE": "true",
        "GREETING": "hello",
        "INPUT_PATH": "grayify/in",
        "OUTPUT_PATH": "grayify/out",
        "LOG_LEVEL": "DEBUG",
        "SCRIPT_PATH": "/var/openfaas/secrets/grayify-script.sh",
    }
    assert function["secrets"] == [
        "s3-access-key",
        "s3-secret-key",
        "api-key",
        "grayify-script.sh",
    ]
    assert function["limits"] == {"memory": "1Gi", "cpu": "0.5"}
    assert function["labels"] == {"com.openfaas.scale.min": "1"}
    annotations = function["annotations"]
    assert annotations["oscar.suffix"] == ".jpg,.png"
    assert annotations["oscar.max_attempts"] == "5"
    assert annotations["oscar.concurrency"] == "2"
    assert annotations["oscar.timeout"] == "120"
    assert annotations["oscar.script_secret"] == "grayify-script.sh"
    assert len(annotations["oscar.script_sha256"]) == 64


def test_a_changed_script_alone_changes_the_deployment() -> None:
    first = parse_json(minimal(script="echo one"))
    second = parse_json(minimal(script="echo two"))

    assert stack_of(planner().deploy(first)[-1]) != stack_of(planner().deploy(second)[-1])


def test_creating_without_a_script_deploys_the_image_as_it_is() -> None:
    plan = planner().deploy(parse_json(minimal()))

    assert [step.args[0] for step in plan] == ["login", "deploy"]
    function = stack_of(plan[-1])["functions"]["grayify"]
    assert "SCRIPT_PATH" not in function["environment"]
    assert function["secrets"] == ["s3-access-key", "s3-secret-key"]
    assert "limits" not in function
    assert not any(name.startswith("oscar.script") for name in function["annotations"])


def test_updating_with_a_script_puts_the_secret_whether_or_not_it_existed() -> None:
    previous = {"name": "grayify", "secrets": ["s3-access-key", "grayify-script.sh"]}

    plan = planner().deploy(parse_json(minimal(script="echo hi")), previous=previous)

    assert [step.args[:2] for step in plan] == [
        ("login", "--gateway"),
        ("secret", "create"),
        ("deploy", "-f"),
    ]


def test_updating_away_from_a_script_removes_its_secret_after_the_deploy() -> None:
    previous = {"name": "grayify", "annotations": {"oscar.script_secret": "grayify-script.sh"}}

    plan = planner().deploy(parse_json(minimal()), previous=previous)

    assert [step.args[:3] for step in plan] == [
        ("login", "--gateway", GATEWAY),
        ("deploy", "-f", "stack.yml"),
        ("secret", "remove", "grayify-script.sh"),
    ]
    assert plan[-1].tolerate == "unable to find secret"


def test_updating_a_service_that_never_had_a_script_removes_no_secret() -> None:
    previous = {"name": "grayify", "secrets": ["s3-access-key", "s3-secret-key"]}

    plan = planner().deploy(parse_json(minimal()), previous=previous)

    assert [step.args[0] for step in plan] == ["login", "deploy"]


def test_deleting_removes_the_function_then_its_script_secret() -> None:
    previous = {"name": "grayify", "secrets": ["grayify-script.sh"]}

    plan = planner().delete("grayify", previous=previous)

    assert [str(step) for step in plan[1:]] == [
        f"faas-cli remove grayify --gateway {GATEWAY}",
        f"faas-cli secret remove grayify-script.sh --gateway {GATEWAY}",
    ]
    assert plan[1].tolerate == "No existing function to remove"


def test_deleting_a_service_without_a_script_removes_only_the_function() -> None:
    plan = planner().delete("grayify", previous={"name": "grayify", "secrets": ["api-key"]})

    assert [step.args[0] for step in plan] == ["login", "remove"]
