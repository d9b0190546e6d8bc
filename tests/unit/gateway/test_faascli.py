"""`FaasCli` runs steps and reads their outcome, here with a stand-in faas-cli script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.clients.faascli import FaasCli, Step
from gateway.config import GatewayConfig
from gateway.errors import ConfigError, FaasCliFailed, InvalidService, UpstreamError
from gateway.services.deploy_plan import Planner
from tests.support.gateway_config import gateway_config

# Records each call (args, stdin, env, files in its folder), then answers as told by $ANSWERS.
FAKE = """#!/bin/sh
stdin=$(cat)
python3 - "$@" <<EOF
import json, os, sys
record = {
    "args": sys.argv[1:],
    "stdin": '''$stdin''',
    "env": {k: os.environ.get(k) for k in ("OPENFAAS_CONFIG", "OPENFAAS_URL", "HOME")},
    "files": {name: open(name).read() for name in os.listdir(".")},
}
with open("%(log)s", "a") as log:
    log.write(json.dumps(record) + "\\n")
EOF
case "$1 $2" in
%(answers)s
esac
"""


def fake_cli(tmp_path: Path, answers: dict[str, tuple[str, int]]) -> tuple[FaasCli, Path]:
    log = tmp_path / "calls.jsonl"
    cases = "\n".join(
        f'  "{verb}") echo "{text}"; exit {code} ;;' for verb, (text, code) in answers.items()
    )
    binary = tmp_path / "faas-cli"
    binary.write_text(FAKE % {"log": log, "answers": cases}, encoding="utf-8")
    binary.chmod(0o755)
    cli = FaasCli(str(binary), config_dir=tmp_path / "config", gateway="http://of:8080")
    return cli, log


def calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_a_step_runs_in_a_folder_with_its_files_and_a_private_faas_cli_config(
    tmp_path: Path,
) -> None:
    cli, log = fake_cli(tmp_path, {"deploy -f": ("Deployed. 202 Accepted.", 0)})

    output = cli.run(Step(("deploy", "-f", "stack.yml"), files=(("stack.yml", "functions: {}"),)))

    assert "Deployed" in output
    [call] = calls(log)
    assert call["args"] == ["deploy", "-f", "stack.yml"]
    assert call["files"] == {"stack.yml": "functions: {}"}
    assert call["env"] == {
        "OPENFAAS_CONFIG": str(tmp_path / "config"),
        "OPENFAAS_URL": "http://of:8080",
        "HOME": str(tmp_path / "config"),
    }
    assert (tmp_path / "config").is_dir()


def test_stdin_reaches_the_tool(tmp_path: Path) -> None:
    cli, log = fake_cli(tmp_path, {"login --gateway": ("credentials saved", 0)})

    cli.run(Step(("login", "--gateway", "http://of:8080", "--password-stdin"), stdin="pw"))

    assert calls(log)[0]["stdin"] == "pw"


def test_a_non_zero_exit_is_a_502_with_the_tools_last_words(tmp_path: Path) -> None:
    cli, _ = fake_cli(tmp_path, {"deploy -f": ("function 'x' failed to deploy: 400", 1)})

    with pytest.raises(FaasCliFailed) as caught:
        cli.run(Step(("deploy", "-f", "stack.yml")))

    assert caught.value.status == 502
    assert caught.value.message == (
        "faas-cli deploy -f failed (exit 1): function 'x' failed to deploy: 400"
    )
    assert "failed to deploy" in caught.value.detail


def test_a_zero_exit_without_the_expected_words_is_a_failure(tmp_path: Path) -> None:
    # `faas-cli secret create` exits 0 when the gateway refuses the secret.
    cli, _ = fake_cli(tmp_path, {"secret create": ("unauthorized access", 0)})

    with pytest.raises(FaasCliFailed, match="unauthorized access"):
        cli.run(Step(("secret", "create", "s"), stdin="v", expect="Created"))


def test_a_secret_that_exists_is_updated_instead(tmp_path: Path) -> None:
    cli, log = fake_cli(
        tmp_path,
        {
            "secret create": ('secret with the name "s" already exists', 0),
            "secret update": ("Updated: 200 OK", 0),
        },
    )
    update = Step(("secret", "update", "s"), stdin="v2", expect="Updated")

    cli.run(
        Step(
            ("secret", "create", "s"),
            stdin="v2",
            expect="Created",
            fallback=update,
            fallback_on="already exists",
        )
    )

    assert [c["args"] for c in calls(log)] == [["secret", "create", "s"], ["secret", "update", "s"]]
    assert calls(log)[1]["stdin"] == "v2"


def test_a_tolerated_failure_is_not_an_error(tmp_path: Path) -> None:
    cli, _ = fake_cli(tmp_path, {"secret remove": ("unable to find secret: s", 1)})

    cli.run(Step(("secret", "remove", "s"), tolerate="unable to find secret"))


def test_a_plan_stops_at_its_first_failure(tmp_path: Path) -> None:
    cli, log = fake_cli(
        tmp_path, {"login --gateway": ("wrong password", 1), "deploy -f": ("Deployed", 0)}
    )

    with pytest.raises(FaasCliFailed, match="login --gateway failed"):
        cli.execute([Step(("login", "--gateway")), Step(("deploy", "-f"))])

    assert len(calls(log)) == 1


def test_a_missing_binary_is_a_502_that_says_how_to_point_at_it(tmp_path: Path) -> None:
    cli = FaasCli(str(tmp_path / "nope"), config_dir=tmp_path / "c", gateway="http://of:8080")

    with pytest.raises(UpstreamError, match="set FAAS_CLI") as caught:
        cli.run(Step(("list",)))

    assert caught.value.status == 502


def test_a_hung_tool_is_stopped_and_reported(tmp_path: Path) -> None:
    binary = tmp_path / "faas-cli"
    binary.write_text("#!/bin/sh\nexec sleep 30\n", encoding="utf-8")
    binary.chmod(0o755)
    cli = FaasCli(str(binary), config_dir=tmp_path / "c", gateway="http://of:8080", timeout=0.3)

    with pytest.raises(FaasCliFailed, match=r"timed out: no answer within 0\.3s"):
        cli.run(Step(("deploy", "-f", "stack.yml")))


def _config(tmp_path: Path, **env: str) -> GatewayConfig:
    return gateway_config(tmp_path, PATH=str(tmp_path / "bin"), **env)


def test_functions_reach_minio_where_the_gateway_does_unless_told_otherwise(
    tmp_path: Path,
) -> None:
    default = _config(tmp_path, MINIO_ENDPOINT="http://127.0.0.1:9000")
    told = _config(tmp_path, FUNCTION_S3_ENDPOINT="http://minio.oscar.svc:9000")

    assert Planner.from_config(default).s3_endpoint == "http://127.0.0.1:9000"
    assert Planner.from_config(told).s3_endpoint == "http://minio.oscar.svc:9000"


def test_a_function_s3_endpoint_that_is_not_a_url_is_a_config_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FUNCTION_S3_ENDPOINT: expected http"):
        _config(tmp_path, FUNCTION_S3_ENDPOINT="minio:9000")


def test_faas_cli_is_found_on_path_or_named_by_faas_cli(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    on_path = tmp_path / "bin" / "faas-cli"
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)

    assert _config(tmp_path).faas_cli == str(on_path)
    assert _config(tmp_path, FAAS_CLI="/opt/faas-cli").faas_cli == "/opt/faas-cli"


def test_a_deploy_the_provider_refused_with_a_4xx_is_a_422_naming_its_reason_never_a_502(
    tmp_path: Path,
) -> None:
    said = (
        "Deploying: grayify.\\nUnexpected status: 400, message: "
        '{\\"error\\":\\"image x was never built; build it with oscar build\\"}'
    )
    cli, _ = fake_cli(tmp_path, {"deploy -f": (said, 1)})

    with pytest.raises(InvalidService) as refused:
        cli.run(Step(("deploy", "-f", "stack.yml")))

    assert refused.value.status == 422
    assert refused.value.message == (
        "OpenFaaS refused the deployment (HTTP 400): image x was never built; build it with "
        "oscar build"
    )


def test_a_deploy_that_failed_for_another_reason_stays_an_upstream_failure(
    tmp_path: Path,
) -> None:
    cli, _ = fake_cli(tmp_path, {"deploy -f": ("Unexpected status: 502, message: down", 1)})

    with pytest.raises(FaasCliFailed):
        cli.run(Step(("deploy", "-f", "stack.yml")))
