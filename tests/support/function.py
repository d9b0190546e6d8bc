"""Build a function from the python-watchdog template and run one replica of it.

The function is shrinkwrapped with the real faas-cli and materialised into a local image by the
engine's image store (a virtualenv with the template's and the function's requirements, the
settings of the Dockerfile's final stage); the replica runs the watchdog binary with exactly that
environment. Only what cannot be the same outside a container differs: ports and /home/app paths.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from provider.images import ImageStore
from provider.sandbox.replica import Replica, start_replica
from tests.support.tools import ROOT, TOOLS_BIN, tool

TEMPLATE = "python-watchdog"
STORE = ImageStore(TOOLS_BIN.parent / "test-images")


def shrinkwrap(function_dir: Path, workdir: Path, *, name: str | None = None) -> Path:
    """Run `faas-cli build --shrinkwrap` on a project holding `function_dir`; return the context."""
    # Named after its folder, so each test function is its own image in the shared store.
    name = name or function_dir.name
    project = workdir / "project"
    project.mkdir(parents=True)
    (project / "template").symlink_to(ROOT / "templates")
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


def start_function(context: Path, workdir: Path, *, env: Mapping[str, str]) -> Replica:
    image = STORE.materialise(f"tests/{context.name}:test", context)
    settings = dict(env)
    port = int(settings.pop("port", "0"))
    return start_replica(
        image, watchdog=tool("of-watchdog"), workdir=workdir, env=settings, port=port or None
    )
