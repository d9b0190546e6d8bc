"""Build a function from the python-watchdog template and run it behind the watchdog binary.

The function is shrinkwrapped with the real faas-cli, its Python environment is a virtualenv
with the template's and the function's requirements (what the image build would install), and
the watchdog runs with the environment the template's Dockerfile sets. Only what cannot be the
same outside a container is changed: ports, and paths under /home/app.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.dockerfile import parse_dockerfile
from tests.support.processes import Server
from tests.support.tools import ROOT, TOOLS_BIN, tool
from tests.support.waiting import free_port, http_ok, wait_for

TEMPLATE = "python-watchdog"


def shrinkwrap(function_dir: Path, workdir: Path, *, name: str = "fn") -> Path:
    """Run `faas-cli build --shrinkwrap` on a project holding `function_dir`; return the context."""
    project = workdir / "project"
    project.mkdir(parents=True)
    (project / "template").symlink_to(ROOT / "template")
    shutil.copytree(function_dir, project / name)
    (project / "stack.yml").write_text(
        "version: 1.0\n"
        "provider:\n  name: openfaas\n  gateway: http://127.0.0.1:8080\n"
        f"functions:\n  {name}:\n    lang: {TEMPLATE}\n    handler: ./{name}\n"
        f"    image: {name}:test\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [str(tool("faas-cli")), "build", "--shrinkwrap", "-f", "stack.yml"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (
        f"faas-cli build --shrinkwrap failed:\n{result.stdout}{result.stderr}"
    )
    return project / "build" / name


def function_venv(context: Path) -> Path:
    """A virtualenv with the context's requirements, cached by their content; returns its bin/."""
    files = [context / "requirements.txt", context / "function" / "requirements.txt"]
    text = "".join(f.read_text() for f in files if f.exists())
    key = hashlib.sha256(text.encode()).hexdigest()[:12]
    venv = TOOLS_BIN.parent / "venvs" / key
    python = venv / "bin" / "python3"
    if not python.exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        for f in files:
            if f.exists():
                subprocess.run(
                    [
                        str(python),
                        "-m",
                        "pip",
                        "install",
                        "-q",
                        "--disable-pip-version-check",
                        "-r",
                        str(f),
                    ],
                    check=True,
                )
    return venv / "bin"


@dataclass
class RunningFunction:
    server: Server
    url: str
    context: Path
    env: dict[str, str]

    def stop(self) -> None:
        self.server.stop()


def start_function(
    context: Path, workdir: Path, *, env: Mapping[str, str], ready_timeout: float = 30
) -> RunningFunction:
    stage = parse_dockerfile(context / "Dockerfile")
    port, upstream = int(env.get("port") or free_port()), free_port()
    tmp = workdir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    full_env = {
        "PATH": f"{function_venv(context)}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(workdir),
        "TMPDIR": str(tmp),
        **stage.env,
        # What differs from a container: ports, and /home/app paths.
        "port": str(port),
        "upstream_url": f"http://127.0.0.1:{upstream}",
        "SUPERVISOR_LISTEN": f"127.0.0.1:{upstream}",
        "FUNCTION_DIR": str(context / "function"),
        "watchdog_listen_host": "127.0.0.1",
        "metrics_port": str(free_port()),
        **env,
    }
    server = Server([str(tool("of-watchdog"))], env=full_env, cwd=context, log=workdir / "fn.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(http_ok(f"{url}/_/health"), timeout=ready_timeout, what="function healthy")
    except AssertionError:
        server.stop()
        raise AssertionError(
            f"function did not become healthy:\n{server.log_text()[-3000:]}"
        ) from None
    return RunningFunction(server=server, url=url, context=context, env=full_env)
