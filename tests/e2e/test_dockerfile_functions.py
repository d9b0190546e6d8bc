"""`lang: dockerfile` functions on the local engine: an OpenFaaS user's stack.yml, built with
`oscar build -f stack.yml` (no Docker: the handler's Dockerfile is read, not run), deployed with
plain `faas-cli deploy` and called through the real OpenFaaS gateway.

The stack file mixes three kinds: the classic watchdog's Dockerfile as `faas-cli new --lang
dockerfile` writes it (with a script COPYed in, ENV and a data folder), an of-watchdog (http
mode) Dockerfile that answers with a redirect, and a python-watchdog template function, which
`oscar build` still shrinkwraps (faas-cli refuses to shrinkwrap the other two).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import requests
import yaml

from tests.support.stack import FUNCTIONS, RunningStack, oscar
from tests.support.tools import ROOT

CLASSIC_DOCKERFILE = """\
FROM ghcr.io/openfaas/classic-watchdog:0.2.1 as watchdog
FROM alpine:3.16.0
RUN mkdir -p /home/app
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
RUN chmod +x /usr/bin/fwatchdog
RUN addgroup -S app && adduser app -S -G app
RUN chown app /home/app
WORKDIR /home/app
USER app
COPY handler.sh .
COPY words/ words/
RUN chmod +x handler.sh
ENV fprocess="/home/app/handler.sh"
ENV GREETING="hello from the Dockerfile"
ENV write_debug="false"
EXPOSE 8080
HEALTHCHECK --interval=3s CMD [ -e /tmp/.lock ] || exit 1
CMD [ "fwatchdog" ]
"""
HANDLER = """#!/bin/sh
echo "$GREETING"
echo "method $Http_Method"
cat words/first.txt
tr 'a-z' 'A-Z'
"""


def project(stack: RunningStack, tag: str) -> Path:
    """A user's folder: stack.yml and three handler folders."""
    folder = stack.root / "projects" / f"dockerfile-{tag}"
    (folder / "shout" / "words").mkdir(parents=True)
    (folder / "shout" / "Dockerfile").write_text(CLASSIC_DOCKERFILE)
    (folder / "shout" / "handler.sh").write_text(HANDLER)  # not executable: RUN chmod +x is
    (folder / "shout" / "words" / "first.txt").write_text("a word from the data folder\n")
    shutil.copytree(FUNCTIONS / "redirector", folder / "redirector")
    shutil.copytree(FUNCTIONS / "ok", folder / "ok")
    (folder / "template").symlink_to(ROOT / "templates")
    functions = {
        f"shout-{tag}": {"lang": "dockerfile", "handler": "./shout", "image": f"u/shout:{tag}"},
        f"redirect-{tag}": {
            "lang": "dockerfile",
            "handler": "./redirector",
            "image": f"u/redirect:{tag}",
            "environment": {"destination": "https://example.com/moved"},
        },
        f"ok-{tag}": {"lang": "python-watchdog", "handler": "./ok", "image": f"u/ok:{tag}"},
    }
    document = {"version": 1.0, "provider": {"name": "openfaas"}, "functions": functions}
    (folder / "stack.yml").write_text(yaml.safe_dump(document))
    return folder


def test_dockerfile_functions_build_deploy_and_answer_through_the_openfaas_gateway(
    stack: RunningStack,
) -> None:
    tag = uuid.uuid4().hex[:6]
    folder = project(stack, tag)
    built = oscar(stack.env, "build", "-f", str(folder / "stack.yml"))
    assert built.returncode == 0, built.stdout + built.stderr
    stack.faas_cli.run("deploy", "-f", "stack.yml", "--gateway", stack.openfaas_url, cwd=folder)
    try:
        for name in (f"shout-{tag}", f"redirect-{tag}", f"ok-{tag}"):
            stack.wait_available(name, 1, timeout=120)

        answer = stack.invoke(f"shout-{tag}", b"make me loud")
        assert answer.status_code == 200, answer.text
        assert answer.text.splitlines() == [
            "hello from the Dockerfile",  # its ENV
            "method POST",  # the classic watchdog's Http_* variables
            "a word from the data folder",  # a COPYed folder, in its WORKDIR
            "MAKE ME LOUD",  # the body on stdin, stdout the answer
        ]

        moved = requests.get(
            f"{stack.openfaas_url}/function/redirect-{tag}", timeout=30, allow_redirects=False
        )
        assert moved.status_code == 302, moved.text
        assert moved.headers["Location"] == "https://example.com/moved"
    finally:
        stack.faas_cli.run("remove", "-f", "stack.yml", "--gateway", stack.openfaas_url, cwd=folder)


def test_a_dockerfile_that_needs_docker_is_refused_by_oscar_build_naming_the_fix(
    stack: RunningStack,
) -> None:
    folder = project(stack, uuid.uuid4().hex[:6])
    dockerfile = folder / "shout" / "Dockerfile"
    dockerfile.write_text(CLASSIC_DOCKERFILE.replace("EXPOSE 8080", "RUN apk add curl"))

    built = oscar(stack.env, "build", "-f", str(folder / "stack.yml"))

    assert built.returncode != 0
    assert "RUN needs Docker; install what it installs on this host" in built.stderr
    assert "apk add curl" in built.stderr
    assert "Traceback" not in built.stderr
