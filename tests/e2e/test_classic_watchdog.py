"""An OpenFaaS user's classic-watchdog function on the local engine, deployed the way the
OpenFaaS docs show it: an image never built here, with an `fprocess`. It runs with the classic
watchdog's semantics: the body on stdin, the answer on stdout, the request in `Http_*`.

(A `lang: dockerfile` function's image, which `oscar build` reads from its Dockerfile, is in
tests/e2e/test_dockerfile_functions.py; the runtime's side is in tests/unit/test_runtimes.py.)"""

from __future__ import annotations

import functools
import hashlib
import uuid
from pathlib import Path

import requests

from tests.support.stack import RunningStack


def test_faas_cli_deploy_with_an_fprocess_runs_it_the_classic_way(
    stack: RunningStack, tmp_path: Path
) -> None:
    name, echo = f"sha-{uuid.uuid4().hex[:6]}", f"env-{uuid.uuid4().hex[:6]}"
    gateway = ("--gateway", stack.openfaas_url)
    # In a folder with no stack.yml: faas-cli would deploy the functions of one it finds.
    faas_cli = functools.partial(stack.faas_cli.run, cwd=tmp_path)
    faas_cli(
        "deploy", "--image", "functions/alpine:latest", "--fprocess", "sha512sum",
        "--name", name, *gateway,
    )  # fmt: skip
    faas_cli(
        "deploy", "--image", "functions/alpine:latest", "--fprocess", "env",
        "--name", echo, "--env", "GREETING=hello", *gateway,
    )  # fmt: skip
    try:
        stack.wait_available(name, 1, timeout=120)
        stack.wait_available(echo, 1, timeout=120)

        answer = stack.invoke(name, b"some bytes")
        assert answer.status_code == 200, answer.text
        assert answer.text.split()[0] == hashlib.sha512(b"some bytes").hexdigest()

        called = requests.put(
            f"{stack.openfaas_url}/function/{echo}/deep/path?colour=blue",
            data=b"x",
            headers={"X-Custom-Header": "yes"},
            timeout=60,
        )
        variables = dict(line.split("=", 1) for line in called.text.splitlines() if "=" in line)
        assert called.status_code == 200, called.text
        assert variables["Http_Method"] == "PUT"
        assert variables["Http_Query"] == "colour=blue"
        assert variables["Http_Path"].endswith("/deep/path")
        assert variables["Http_X_Custom_Header"] == "yes"
        assert variables["GREETING"] == "hello"
    finally:
        for function in (name, echo):
            faas_cli("remove", function, *gateway)
