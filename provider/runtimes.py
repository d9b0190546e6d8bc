"""What a deployment's image runs as: the image `oscar build` made, or the built-in base runtime.

An OSCAR FDL names a container image (`ghcr.io/grycap/imagemagick`) and ships its script; with
no Docker the local engine cannot pull the image. Rather than refuse OSCAR's own examples, an
image the local store does not hold runs on the base runtime: the python-watchdog template with
no function code of its own, so the FDL's script (its secret, SCRIPT_PATH) runs on this host's
tools (`convert`, `python3`, ...) behind the supervisor. The function's status says so
(`NOTICE_ANNOTATION`). With `OSCAR_UNBUILT_IMAGES=refuse` such a deployment is refused instead,
with a 400 that names both ways out.

The base runtime is materialised into the image store on first use, from the repository's
template, and again whenever the template changes (its digest is compared).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from contract.environment import CLASSIC_FPROCESS, CLASSIC_WORKDIR
from contract.naming import RUNTIME_NOTICE
from provider.errors import ImageNotFound
from provider.images import Image, ImageStore, context_digest

BASE_IMAGE = "oscar-faas/base-runtime:latest"
NOTICE_ANNOTATION = RUNTIME_NOTICE
TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "python-watchdog"
PLACEHOLDER = """#!/bin/sh
echo "this function runs on the base runtime and has no script of its own: give its FDL a" >&2
echo "script, or build the image with \\`oscar build -f stack.yml\\`" >&2
exit 64
"""


class Runtimes:
    def __init__(self, store: ImageStore, *, allow_base: bool, template: Path = TEMPLATE) -> None:
        self._store = store
        self._allow_base = allow_base
        self._template = template
        self._building = threading.Lock()  # one materialisation of the base at a time
        self._ready: Image | None = None  # the base, once checked against the template

    def image_for(self, name: str) -> Image:
        """The image `name` runs as; ImageNotFound (a 400) when it is unbuilt and refused."""
        try:
            return self._store.get(name)
        except ImageNotFound as e:
            if not self._allow_base:
                raise ImageNotFound(
                    f"image {name!r} was never built on the local engine, and this stack refuses "
                    "unbuilt images (OSCAR_UNBUILT_IMAGES=refuse); build it with `oscar build -f "
                    "stack.yml`, or start the stack with `oscar up --unbuilt-images base` to run "
                    "its script on the built-in base runtime"
                ) from e
        return self._base()

    def runnable(self, image: Image, process: str) -> tuple[Image, dict[str, str]]:
        """What a replica of `image` runs, with the environment it adds, given the deployment's
        `fprocess` (`faas-cli deploy --fprocess`, or ""):

        - on the base runtime, an fprocess runs the way OpenFaaS's classic watchdog runs it
          (body on stdin, answer on stdout, `Http_*` variables; supervisor/classic.py);
        - an image built from a classic-watchdog Dockerfile (no of-watchdog `mode=http`, only
          an `fprocess`, e.g. a `lang: dockerfile` function) runs the same way, on the base,
          in its own files' folder (CLASSIC_WORKDIR) with its Dockerfile's other ENVs;
        - an image built on the template runs the given fprocess in place of its own.
        """
        if image.name == BASE_IMAGE:
            return image, ({CLASSIC_FPROCESS: process} if process else {})
        command = process or image.env.get("fprocess", "")
        if image.env.get("mode", "").strip() != "http" and command:
            own = {
                k: image.local_path(v)
                for k, v in image.env.items()
                if k not in {"fprocess", "mode"}
            }
            folder = {CLASSIC_WORKDIR: str(image.context)}
            return self._base(), {**own, CLASSIC_FPROCESS: command, **folder}
        return image, ({"fprocess": process} if process else {})

    def notice(self, name: str) -> str | None:
        """What a function's status says about its image: None for a built one."""
        if self._store.holds(name):
            return None
        return (
            f"image {name!r} was never built here: its script runs on the built-in base "
            "runtime (this host's tools behind the python-watchdog supervisor); build the "
            "image with `oscar build` to run its own code and packages"
        )

    def _base(self) -> Image:
        with self._building:
            if self._ready is None or not self._store.holds(BASE_IMAGE):
                self._ready = self._materialised()
            return self._ready

    def _materialised(self) -> Image:
        with tempfile.TemporaryDirectory(prefix="base-runtime-") as folder:
            context = Path(folder) / "context"
            shutil.copytree(
                self._template,
                context,
                symlinks=False,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "function"),
            )
            (context / "function").mkdir()
            script = context / "function" / "script.sh"
            script.write_text(PLACEHOLDER, encoding="utf-8")
            script.chmod(0o755)
            if self._store.holds(BASE_IMAGE):
                current = self._store.get(BASE_IMAGE)
                if current.digest == context_digest(context):
                    return current
            return self._store.materialise(BASE_IMAGE, context)
