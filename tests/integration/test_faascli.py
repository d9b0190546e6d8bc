"""The gateway's faas-cli plans, run by the real pinned faas-cli against a recording OpenFaaS API.

This holds the flags and outputs gateway/faascli.py relies on (login, `deploy -f` with limits,
`secret create` falling back to `update`, removals that tolerate what is gone) without a stack.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, request
from werkzeug.serving import make_server

from gateway.clients.faascli import FaasCli
from gateway.errors import FaasCliFailed, InvalidService
from gateway.services import fdl
from gateway.services.deploy_plan import Planner
from tests.support.tools import tool

SCRIPT = "#!/bin/sh\n  echo keep my spaces  \n"


@dataclass
class RecordingOpenFaaS:
    url: str = ""
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_deploys: bool = False


def _app(state: RecordingOpenFaaS) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def _auth() -> Response | None:
        expected = "Basic " + base64.b64encode(b"admin:pw").decode()
        if request.headers.get("Authorization") != expected:
            return Response("unauthorized", status=401)
        state.calls.append(f"{request.method} {request.path}")
        return None

    @app.route("/system/functions", methods=["GET", "POST", "PUT", "DELETE"])
    def _functions() -> Response:
        body = request.get_json(silent=True) or {}
        if request.method == "GET":
            return Response(json.dumps(list(state.functions.values())), status=200)
        if request.method == "DELETE":
            found = state.functions.pop(body.get("functionName", ""), None)
            return Response(status=202 if found else 404)
        if state.fail_deploys:
            return Response("image not built: run oscar build", status=400)
        if request.method == "PUT" and body["service"] not in state.functions:
            return Response(status=404)
        state.functions[body["service"]] = body
        return Response(status=202)

    @app.route("/system/secrets", methods=["POST", "PUT", "DELETE"])
    def _secrets() -> Response:
        body = request.get_json(silent=True) or {}
        name = body.get("name", "")
        exists = name in state.secrets
        if request.method == "DELETE":
            state.secrets.pop(name, None)
            return Response(status=200 if exists else 404)
        if request.method == "POST" and exists:
            return Response(status=409)
        if request.method == "PUT" and not exists:
            return Response(status=404)
        state.secrets[name] = body.get("value", "")
        return Response(status=201 if request.method == "POST" else 200)

    return app


@pytest.fixture
def openfaas() -> Iterator[RecordingOpenFaaS]:
    state = RecordingOpenFaaS()
    server = make_server("127.0.0.1", 0, _app(state), threaded=True)
    state.url = f"http://127.0.0.1:{server.port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    thread.join(timeout=5)


def _tools(
    openfaas: RecordingOpenFaaS, tmp_path: Path, password: str = "pw"
) -> tuple[Planner, FaasCli]:
    planner = Planner(
        gateway=openfaas.url, username="admin", password=password, s3_endpoint="http://s3:9000"
    )
    cli = FaasCli(str(tool("faas-cli")), config_dir=tmp_path / "faas-cli", gateway=openfaas.url)
    return planner, cli


def _spec(**changes: Any) -> fdl.ServiceSpec:
    document: dict[str, Any] = {
        "name": "grayify",
        "image": "oscar-examples/grayify:latest",
        "script": SCRIPT,
        "memory": "256Mi",
        "cpu": "500m",
        "input": [{"path": "grayify/in", "suffix": [".png"]}],
        "output": [{"path": "grayify/out"}],
        "environment": {"Variables": {"TEMPLATE": "${NOT_SUBSTITUTED}"}},
        "secrets": ["api-key"],
        **changes,
    }
    return fdl.validate({k: v for k, v in document.items() if v is not None})


def test_a_create_plan_puts_the_script_secret_and_deploys_every_setting(
    openfaas: RecordingOpenFaaS, tmp_path: Path
) -> None:
    planner, cli = _tools(openfaas, tmp_path)

    cli.execute(planner.deploy(_spec()))

    assert openfaas.secrets == {"grayify-script.sh": SCRIPT}  # byte for byte: --trim=false
    deployed = openfaas.functions["grayify"]
    assert deployed["image"] == "oscar-examples/grayify:latest"
    assert deployed["envVars"] == {
        "S3_ENDPOINT": "http://s3:9000",
        "TEMPLATE": "${NOT_SUBSTITUTED}",  # --envsubst=false
        "INPUT_PATH": "grayify/in",
        "OUTPUT_PATH": "grayify/out",
        "SCRIPT_PATH": "/var/openfaas/secrets/grayify-script.sh",
        "SYNC_BASE64": "true",  # OSCAR's clients send and read base64 on /run
    }
    assert deployed["secrets"] == ["s3-access-key", "s3-secret-key", "api-key", "grayify-script.sh"]
    assert deployed["limits"] == {"memory": "256Mi", "cpu": "500m"}
    assert deployed["labels"]["com.openfaas.scale.min"] == "1"
    assert deployed["annotations"]["oscar.suffix"] == ".png"
    # The login file is the gateway's own, never the user's ~/.openfaas.
    assert (tmp_path / "faas-cli" / "config.yml").is_file()


def test_an_update_replaces_the_script_and_the_function(
    openfaas: RecordingOpenFaaS, tmp_path: Path
) -> None:
    planner, cli = _tools(openfaas, tmp_path)
    cli.execute(planner.deploy(_spec()))
    previous = openfaas.functions["grayify"] | {"name": "grayify"}

    cli.execute(planner.deploy(_spec(script="echo two", cpu="1"), previous=previous))

    assert openfaas.secrets == {"grayify-script.sh": "echo two"}
    assert openfaas.functions["grayify"]["limits"]["cpu"] == "1"
    assert "PUT /system/secrets" in openfaas.calls  # create said "exists"; update followed


def test_dropping_the_script_and_deleting_clean_up_the_secret(
    openfaas: RecordingOpenFaaS, tmp_path: Path
) -> None:
    planner, cli = _tools(openfaas, tmp_path)
    cli.execute(planner.deploy(_spec()))
    previous = openfaas.functions["grayify"] | {"name": "grayify"}

    cli.execute(planner.deploy(_spec(script=None), previous=previous))
    assert openfaas.secrets == {}

    # The secret is gone already: its removal is tolerated, as a removed function's would be.
    cli.execute(planner.delete("grayify", previous=previous))
    assert openfaas.functions == {}
    cli.execute(planner.delete("grayify", previous=previous))


def test_a_wrong_password_fails_at_login(openfaas: RecordingOpenFaaS, tmp_path: Path) -> None:
    planner, cli = _tools(openfaas, tmp_path, password="wrong")

    with pytest.raises(FaasCliFailed, match="login --gateway failed") as caught:
        cli.execute(planner.deploy(_spec()))

    assert "username or password is incorrect" in caught.value.message
    assert openfaas.functions == {} and openfaas.secrets == {}


def test_a_deploy_the_provider_refuses_is_the_callers_problem_with_its_reason(
    openfaas: RecordingOpenFaaS, tmp_path: Path
) -> None:
    planner, cli = _tools(openfaas, tmp_path)
    openfaas.fail_deploys = True

    # A 4xx from the platform is not a platform failure (no 502): it said no, and why.
    with pytest.raises(InvalidService, match=r"HTTP 400\): image not built: run oscar build"):
        cli.execute(planner.deploy(_spec(script=None)))
